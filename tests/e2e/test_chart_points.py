"""Placing injection points and lines on the face diagram and on a baseline photograph,
on a 768x1024 tablet in English and Russian: saved, signed, shown on the record and its PDF."""

from __future__ import annotations

import io
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from mesoclinic.charting.models import ChartPoint
from mesoclinic.charting.services import session_checkin
from tests.charting.factories import no_answers
from tests.conftest import PASSWORD
from tests.e2e.conftest import chart_ready, login
from tests.e2e.test_session_day import today_appointment  # noqa: F401  (fixture)
from tests.e2e.test_tablet_layout import _no_sideways_scroll, _targets_big_enough

TABLET = {"width": 768, "height": 1024}
TEXT = {
    "en": {
        "point": "places an injection point",
        "line": "draws a line",
        "depth": "Depth (mm)",
        "volume": "Volume (mL)",
        "pdf": "Injection points",
    },
    "ru": {
        "point": "ставит точку инъекции",
        "line": "проводит линию",
        "depth": "Глубина (мм)",
        "volume": "Объём (мл)",
        "pdf": "Точки инъекций",
    },
}


def _open_chart(page, live_server, world, appointment, language):
    session = session_checkin(
        scope=world.scope("practitioner"),
        appointment=appointment,
        answers=no_answers(),
        now=timezone.now(),
    )
    page.set_viewport_size(TABLET)
    login(page, live_server, world.users["practitioner"].username, PASSWORD)
    if language == "ru":
        page.get_by_test_id("lang-switch").click()
        expect(page.locator("html")).to_have_attribute("lang", "ru")
    page.goto(f"{live_server.url}/sessions/{session.pk}/chart/")
    chart_ready(page)
    return session


def _fill_rows(page, text):
    rows = page.get_by_test_id("chart-row")
    for i in range(rows.count()):
        rows.nth(i).get_by_label(text["depth"], exact=True).fill("1")
        rows.nth(i).get_by_label(text["volume"], exact=True).fill("1")
    expect(page.get_by_test_id("totals")).to_have_attribute("data-ok", "1")


def _pdf_text(page, url: str) -> str:
    from pypdf import PdfReader

    response = page.request.get(url)
    assert response.headers["content-type"] == "application/pdf"
    return "".join(p.extract_text() for p in PdfReader(io.BytesIO(response.body())).pages)


@pytest.mark.parametrize("language", ["en", "ru"])
def test_points_and_a_line_on_the_face_are_saved_signed_and_shown_on_the_record(
    page,
    live_server,
    world,
    today_appointment,  # noqa: F811
    language,
):
    appointment, _lot = today_appointment
    text = TEXT[language]
    session = _open_chart(page, live_server, world, appointment, language)
    face = page.locator('[data-map="face"]')
    page.get_by_label(text["point"]).check()
    face.locator('[data-zone="zone.cheeks"] ellipse').first.click()
    face.locator('[data-zone="zone.forehead"] ellipse').first.click()
    face.locator('[data-zone="zone.cheeks"] ellipse').last.click()
    page.get_by_label(text["line"]).check()
    forehead = face.locator('[data-zone="zone.forehead"] ellipse').first
    forehead.click(position={"x": 4, "y": 8})
    forehead.click(position={"x": 30, "y": 8})
    expect(page.get_by_test_id("chart-row")).to_have_count(2)
    expect(page.get_by_test_id("point-item")).to_have_count(4)
    expect(face.get_by_test_id("placed-mark")).to_have_count(4)
    _no_sideways_scroll(page)
    _targets_big_enough(page)
    _fill_rows(page, text)
    page.get_by_test_id("chart-save").click()
    expect(page.get_by_test_id("entry")).to_have_count(2)
    assert ChartPoint.objects.filter(session=session).count() == 4
    assert ChartPoint.objects.filter(session=session, kind="line").count() == 1
    page.get_by_test_id("sign").click()
    expect(page.get_by_test_id("signed")).to_be_visible()
    points = page.get_by_test_id("injection-points")
    expect(points.get_by_test_id("mark")).to_have_count(4)
    expect(points.locator('[data-testid=mark][data-kind="line"]')).to_have_count(1)
    expect(points.get_by_test_id("placed-point")).to_have_count(4)
    pdf = _pdf_text(page, f"{live_server.url}/sessions/{session.pk}/record.pdf")
    assert text["pdf"] in pdf
    assert "zone." not in pdf


def test_points_on_a_baseline_photograph(page, live_server, world, today_appointment):  # noqa: F811
    from tests.photos.conftest import capture, consent_for
    from tests.photos.images import sharp_jpeg

    appointment, _lot = today_appointment
    consent_for(world, appointment.patient)
    photo = capture(world, appointment.patient, sharp_jpeg(), zone="zone.cheeks")
    session = _open_chart(page, live_server, world, appointment, "en")
    picture = page.locator(f'[data-testid=baseline-photo][data-photo="{photo.pk}"]')
    expect(picture).to_be_visible()
    page.get_by_label(TEXT["en"]["point"]).check()
    picture.locator("svg").click(position={"x": 40, "y": 40})
    picture.locator("svg").click(position={"x": 80, "y": 60})
    expect(page.get_by_test_id("point-item")).to_have_count(2)
    # A drag along the photograph draws a line (here removed again).
    picture.locator("svg").scroll_into_view_if_needed()
    box = picture.locator("svg").bounding_box()
    page.mouse.move(box["x"] + 20, box["y"] + 20)
    page.mouse.down()
    page.mouse.move(box["x"] + 60, box["y"] + 30, steps=4)
    page.mouse.up()
    items = page.get_by_test_id("point-item")
    expect(items).to_have_count(3)
    expect(items.nth(2).locator('input[name="point_kind"]')).to_have_value("line")
    items.nth(2).get_by_role("button", name="Remove the point").click()
    row = page.get_by_test_id("chart-row")
    expect(row).to_have_attribute("data-zone", "zone.cheeks")
    items = page.get_by_test_id("point-item")
    for i in range(2):
        items.nth(i).get_by_label("Point volume (mL)").fill("0.5")
    expect(row.get_by_label("Volume (mL)", exact=True)).to_have_value("1")
    row.get_by_label("Depth (mm)", exact=True).fill("1")
    expect(page.get_by_test_id("totals")).to_have_attribute("data-ok", "1")
    page.get_by_test_id("chart-save").click()
    expect(page.get_by_test_id("entry")).to_have_count(1)
    page.get_by_test_id("sign").click()
    expect(page.get_by_test_id("signed")).to_be_visible()
    shown = page.locator('[data-testid=point-picture][data-canvas="photo"]')
    expect(shown.get_by_test_id("mark")).to_have_count(2)
    expect(shown.locator("image")).to_have_attribute(
        "href", re.compile(rf"/photos/{photo.pk}/thumb/")
    )
    assert set(ChartPoint.objects.filter(session=session).values_list("photo_id", flat=True)) == {
        photo.pk
    }
    pdf = page.request.get(f"{live_server.url}/sessions/{session.pk}/record.pdf")
    assert pdf.ok and len(pdf.body()) > 5_000
