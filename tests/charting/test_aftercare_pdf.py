"""The aftercare sheet as a PDF: the clinic's contact, the booked next session, local dates,
durations as set, and no internal words, in English and Russian."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from mesoclinic.accounts.models import Clinic
from mesoclinic.charting.models import AftercarePolicy
from mesoclinic.charting.services import session_sign
from tests.charting.factories import NOW, book, charted
from tests.pdf_text import internal_words, pdf_text
from tests.scheduling.conftest import at


def _signed(day, *, locale: str, policy: dict | None = None):
    Clinic.objects.filter(pk=day.world.clinic.pk).update(
        locale=locale, phone="+7 495 123-45-67", address="Tverskaya 1, Moscow"
    )
    if policy:
        AftercarePolicy.objects.create(
            organisation=day.world.organisation,
            clinic=day.world.clinic,
            hours=policy,
            updated_at=NOW,
        )
    return session_sign(scope=day.scope, session=charted(day), now=NOW)


def _pdf(day, session, language: str) -> str:
    client = Client()
    client.force_login(day.world.users["practitioner"])
    response = client.get(f"/sessions/{session.pk}/aftercare.pdf?lang={language}")
    assert response["Content-Type"] == "application/pdf"
    return pdf_text(response.content)


@pytest.mark.parametrize(
    ("language", "locale", "session_day", "window", "durations"),
    [
        ("en", "en-gb", "30 Nov 2026", ("7 Dec 2026", "10 Dec 2026"), ("30 minutes", "2.5 hours")),
        (
            "ru",
            "ru",
            "30 ноября 2026",
            ("7 декабря 2026", "10 декабря 2026"),
            ("30 минут", "2,5 часа"),
        ),
    ],
)
def test_the_aftercare_pdf_gives_the_clinics_contact_local_dates_and_durations_as_set(
    day, language, locale, session_day, window, durations
):
    session = _signed(
        day,
        locale=locale,
        policy={"aftercare.no-makeup": 0.5, "aftercare.alcohol": 2.5},
    )
    text = _pdf(day, session, language)
    assert "+7 495 123-45-67" in text and "Tverskaya 1, Moscow" in text
    assert session_day in text
    assert all(d in text for d in window), text
    assert all(d in text for d in durations), text
    assert "2026-11-30" not in text and "2026-12-07" not in text
    assert internal_words(text) == []


@pytest.mark.parametrize(
    ("language", "booked"),
    [("en", "9 Dec 2026 at 10:00"), ("ru", "9 декабря 2026 в 10:00")],
)
def test_a_booked_next_session_is_printed_instead_of_the_window(day, language, booked):
    session = _signed(day, locale="en-gb" if language == "en" else "ru")
    nxt = book(day.world, day.plan, hhmm="16:00", session_number=2)
    nxt.starts_at = at("2026-12-09", "10:00")
    nxt.ends_at = nxt.starts_at + dt.timedelta(minutes=45)
    nxt.save()
    text = _pdf(day, session, language)
    assert booked in text, text
    assert "7 Dec 2026" not in text and "7 декабря 2026" not in text


def _stored(day) -> list[str]:
    from django.core.files.storage import default_storage

    folder = f"documents/{day.world.organisation.pk}/patient-{day.patient.pk}"
    try:
        return sorted(f"{folder}/{name}" for name in default_storage.listdir(folder)[1])
    except FileNotFoundError:
        return []


def test_the_aftercare_pdf_is_drawn_once_then_served_from_storage_and_each_download_audited(
    day,
):
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    from mesoclinic.audit.models import AuditAction, AuditEvent
    from mesoclinic.web.documents import patient_documents_delete

    session = _signed(day, locale="en-gb")
    client = Client()
    client.force_login(day.world.users["practitioner"])
    url = f"/sessions/{session.pk}/aftercare.pdf?lang=en"
    first = client.get(url).content
    (name,) = _stored(day)
    assert default_storage.open(name, "rb").read() == first
    # What is served the second time is the stored file, not a new drawing.
    default_storage.delete(name)
    default_storage.save(name, ContentFile(b"%PDF-1.7 the stored copy"))
    assert client.get(url).content == b"%PDF-1.7 the stored copy"
    exports = AuditEvent.objects.filter(
        action=AuditAction.EXPORT, object_id=str(session.pk), patient_id=day.patient.pk
    )
    assert exports.count() == 2
    # New content (the clinic's new phone number) is a new document, drawn and stored.
    Clinic.objects.filter(pk=day.world.clinic.pk).update(phone="+7 495 765-43-21")
    assert client.get(url).content.startswith(b"%PDF") and len(_stored(day)) == 2
    assert (
        patient_documents_delete(
            organisation_id=day.world.organisation.pk, patient_id=day.patient.pk
        )
        == 2
    )
    assert _stored(day) == []
