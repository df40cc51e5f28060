"""The signed session record as a PDF: the chart, the placed points drawn on the diagram
and on the embedded baseline photograph, in English and Russian, without internal words."""

from __future__ import annotations

import io

import pytest
from django.test import Client

from mesoclinic.charting.services import PointForm, chart_save, session_sign
from tests.charting.factories import NOW, checked_in, row
from tests.pdf_text import internal_words, pdf_text
from tests.photos.conftest import capture, consent_for
from tests.photos.images import sharp_jpeg


def _signed_with_points(day, *, photo=None):
    session = checked_in(day)
    points = [
        PointForm(row="0", canvas="face", x="0.3", y="0.5", volume="0.4", depth="1"),
        PointForm(row="0", canvas="face", x="0.7", y="0.5", volume="0.6", depth="1"),
        PointForm(
            row="0",
            canvas="face",
            kind="line",
            x="0.3",
            y="0.3",
            x2="0.7",
            y2="0.3",
            volume="1",
            depth="0.8",
        ),
    ]
    if photo is not None:
        points.append(
            PointForm(row="1", canvas="photo", photo=str(photo.pk), x="0.5", y="0.5", depth="1")
        )
    rows = [row("zone.cheeks", lot=day.lot, volume="")]
    if photo is not None:
        rows.append(row("zone.forehead", lot=day.lot, volume="0.5"))
    session = chart_save(
        scope=day.scope,
        session=session,
        rows=rows,
        points=points,
        expected_version=session.version,
        save_token="",
        now=NOW,
    )
    return session_sign(scope=day.scope, session=session, now=NOW)


def _get(day, url):
    client = Client()
    client.force_login(day.world.users["practitioner"])
    return client.get(url)


def _images(content: bytes) -> int:
    from pypdf import PdfReader

    return sum(len(page.images) for page in PdfReader(io.BytesIO(content)).pages)


@pytest.mark.parametrize(
    ("language", "heading", "zone"),
    [("en", "Injection points", "Cheeks"), ("ru", "Точки инъекций", "Щёки")],
)
def test_the_record_pdf_lists_the_points_drawn_on_the_diagram(day, language, heading, zone):
    session = _signed_with_points(day)
    user = day.world.users["practitioner"]
    user.language = language
    user.save(update_fields=["language"])
    response = _get(day, f"/sessions/{session.pk}/record.pdf")
    assert response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content)
    assert heading in text
    assert zone in text
    comma = "," if language == "ru" else "."
    assert f"0{comma}4" in text and f"0{comma}6" in text  # each point's volume
    assert internal_words(text) == []


def test_the_record_pdf_embeds_the_baseline_photograph_from_storage(day):
    consent_for(day.world, day.patient)
    photo = capture(day.world, day.patient, sharp_jpeg(), zone="zone.forehead")
    session = _signed_with_points(day, photo=photo)
    response = _get(day, f"/sessions/{session.pk}/record.pdf")
    assert _images(response.content) >= 1
    assert "Photograph" in pdf_text(response.content)


def test_a_draft_session_has_no_record_pdf(day):
    session = checked_in(day)
    assert _get(day, f"/sessions/{session.pk}/record.pdf").status_code == 404
