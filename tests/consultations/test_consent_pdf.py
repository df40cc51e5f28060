# ruff: noqa: F811  (the clinic_case fixture is imported, then requested by name)
"""The signed consent as a PDF: the time in the clinic's zone, named; the clinic's contact."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from mesoclinic.accounts.middleware import CLINIC_SESSION_KEY
from mesoclinic.accounts.models import Clinic
from mesoclinic.consultations.services import consent_sign
from mesoclinic.patients.models import Patient
from tests.consultations.conftest import TODAY, clinic_case, signature_png  # noqa: F401
from tests.pdf_text import internal_words, pdf_text

# 21:25 UTC is 00:25 the next day in Moscow (UTC+3).
SIGNED = dt.datetime(2026, 11, 30, 21, 25, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("language", "locale", "local", "utc", "words"),
    [
        ("en", "en-gb", "01/12/2026 00:25", "30/11/2026 21:25 UTC", "Signed by"),
        ("ru", "ru", "01.12.2026 00:25", "30.11.2026 21:25 UTC", "Подписал(а)"),
    ],
)
def test_the_consent_pdf_names_the_clinics_time_zone_and_contact(
    clinic_case, language, locale, local, utc, words
):
    world = clinic_case.world
    Clinic.objects.filter(pk=world.clinic.pk).update(
        locale=locale, phone="+7 495 123-45-67", address="Tverskaya 1, Moscow"
    )
    Patient.objects.filter(pk=clinic_case.patient.pk).update(preferred_language=language)
    plan = clinic_case.make_plan()
    consent = consent_sign(
        scope=clinic_case.scope,
        plan=plan,
        signer_name="Elena Ivanova",
        signature=signature_png(),
        now=SIGNED,
        today=TODAY,
    )
    client = Client()
    client.force_login(world.users["practitioner"])
    response = client.get(f"/consultations/consents/{consent.pk}/pdf/")
    assert response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content)
    assert words in text
    assert f"{local} (Europe/Moscow, UTC+03:00)" in text
    assert utc in text
    assert "00:25 UTC" not in text
    assert "+7 495 123-45-67" in text and "Tverskaya 1, Moscow" in text
    assert internal_words(text) == []


def test_the_consent_text_writes_dates_in_the_clinics_format(clinic_case):
    Clinic.objects.filter(pk=clinic_case.world.clinic.pk).update(locale="ru")
    Patient.objects.filter(pk=clinic_case.patient.pk).update(preferred_language="ru")
    plan = clinic_case.make_plan()
    consent = consent_sign(
        scope=clinic_case.scope,
        plan=plan,
        signer_name="Elena Ivanova",
        signature=signature_png(),
        now=SIGNED,
        today=TODAY,
    )
    assert "01.04.1985" in consent.text and "23.11.2026" in consent.text
    assert "1985-04-01" not in consent.text
    client = Client()
    client.force_login(clinic_case.world.users["practitioner"])
    text = pdf_text(client.get(f"/consultations/consents/{consent.pk}/pdf/").content)
    assert "01.04.1985" in text and internal_words(text) == []


def test_the_consent_page_shows_the_signing_time_in_the_consents_clinic_zone(clinic_case):
    """Read by someone whose current clinic is in London, a consent signed in the Moscow
    clinic still shows Moscow's time, the zone named."""
    plan = clinic_case.make_plan()
    consent = consent_sign(
        scope=clinic_case.scope,
        plan=plan,
        signer_name="Elena Ivanova",
        signature=signature_png(),
        now=SIGNED,
        today=TODAY,
    )
    world = clinic_case.world
    client = Client()
    client.force_login(world.users["split"])  # nurse in Moscow, practitioner in London
    session = client.session
    session[CLINIC_SESSION_KEY] = world.other_clinic.pk
    session.save()
    page = client.get(f"/consultations/consents/{consent.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "00:25 (Europe/Moscow, UTC+03:00)" in html
    assert "21:25" not in html


def test_a_signed_consent_pdf_is_drawn_once_and_then_read_from_storage(clinic_case):
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    from mesoclinic.audit.models import AuditAction, AuditEvent

    plan = clinic_case.make_plan()
    consent = consent_sign(
        scope=clinic_case.scope,
        plan=plan,
        signer_name="Elena Ivanova",
        signature=signature_png(),
        now=SIGNED,
        today=TODAY,
    )
    client = Client()
    client.force_login(clinic_case.world.users["practitioner"])
    url = f"/consultations/consents/{consent.pk}/pdf/"
    first = client.get(url).content
    folder = f"documents/{consent.organisation_id}/patient-{consent.patient_id}"
    (name,) = default_storage.listdir(folder)[1]
    assert default_storage.open(f"{folder}/{name}", "rb").read() == first
    default_storage.delete(f"{folder}/{name}")
    default_storage.save(f"{folder}/{name}", ContentFile(b"%PDF-1.7 the stored copy"))
    assert client.get(url).content == b"%PDF-1.7 the stored copy"
    assert (
        AuditEvent.objects.filter(action=AuditAction.EXPORT, object_id=str(consent.pk)).count() == 2
    )
