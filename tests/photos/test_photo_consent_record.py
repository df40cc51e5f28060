"""The signed photo consent as a record: refused edits in the database, its PDF."""

from __future__ import annotations

import io

import pytest
from django.db import IntegrityError, InternalError, OperationalError, connection, transaction
from django.test import Client
from django.urls import reverse

from mesoclinic.audit.models import AuditAction, AuditEvent
from mesoclinic.photos.models import PhotoConsent
from mesoclinic.photos.services import photo_consent_sign, photo_consent_withdraw
from tests.photos.conftest import NOW, consent_for
from tests.scheduling.conftest import signature_data_url

pytestmark = pytest.mark.django_db

REFUSED = (IntegrityError, InternalError, OperationalError)


def _pdf_text(content: bytes) -> str:
    from pypdf import PdfReader

    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)
    return " ".join(text.split())


@pytest.mark.parametrize(
    ("column", "value"),
    [("text", "I agree to anything."), ("signer_name", "Someone else"), ("scope", "marketing")],
)
def test_the_database_refuses_a_raw_update_of_a_signed_photo_consent(
    world, patient_of, column, value
):
    consent = consent_for(world, patient_of(world))
    with pytest.raises(REFUSED), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE photos_photoconsent SET {column} = %s WHERE id = %s",  # noqa: S608
            [value, consent.pk],
        )
    stored = PhotoConsent.objects.get(pk=consent.pk)
    assert getattr(stored, column) != value


def test_only_the_withdrawal_is_written_and_then_the_consent_is_frozen(world, patient_of):
    consent = consent_for(world, patient_of(world))
    withdrawn = photo_consent_withdraw(
        scope=world.scope("practitioner"), consent=consent, reason="changed her mind", now=NOW
    )
    assert withdrawn.withdrawn_at == NOW
    # A withdrawal, once recorded, is itself a record: not rewritten, not undone.
    for change in ({"withdrawal_reason": "another reason"}, {"withdrawn_at": None}):
        with pytest.raises(REFUSED), transaction.atomic():
            PhotoConsent.objects.filter(pk=consent.pk).update(**change)
    stored = PhotoConsent.objects.get(pk=consent.pk)
    assert (stored.withdrawn_at, stored.withdrawal_reason) == (NOW, "changed her mind")


def test_the_database_refuses_to_delete_a_signed_photo_consent(world, patient_of):
    consent = consent_for(world, patient_of(world))
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM audit_purge_guard")
    with pytest.raises(REFUSED), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM photos_photoconsent WHERE id = %s", [consent.pk])
    assert PhotoConsent.objects.filter(pk=consent.pk).exists()


def test_the_photo_consent_pdf_holds_the_signed_text_use_and_time_in_the_clinic_zone(
    world, patient_of
):
    patient = patient_of(world)
    from mesoclinic.accounts.scope import scope_for

    # Signed at the London clinic; the text says 12:00 Moscow time, 09:00 in London.
    consent = photo_consent_sign(
        scope=scope_for(world.londoner, clinic_id=world.other_clinic.pk),
        patient=patient,
        use="education",
        signer_name=patient.full_name,
        signature=signature_data_url(),
        now=NOW,
        today=NOW.date(),
    )
    client = Client()
    client.force_login(world.londoner)
    page = client.get(reverse("photos:consent", args=[consent.pk])).content.decode()
    url = reverse("photos:consent_pdf", args=[consent.pk])
    assert url in page
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    text = _pdf_text(response.content)
    assert "CONSENT TO CLINICAL PHOTOGRAPHS" in text
    assert "professional education" in text  # the education paragraph, as signed
    assert "publicity" not in text
    assert "Medical record and professional education (anonymised)" in text
    assert "Europe/London" in text and "09:00" in text  # 12:00 in Moscow
    assert consent.text_sha256 in text.replace(" ", "")
    assert AuditEvent.objects.filter(
        action=AuditAction.EXPORT, object_id=str(consent.pk), path=url
    ).exists()
    other = Client()
    other.force_login(world.users["receptionist"])
    assert other.get(url).status_code in (403, 404)


def test_a_russian_photo_consent_pdf_is_in_russian(world, patient_of, make_org):
    patient = patient_of(world)
    patient.preferred_language = "ru"
    patient.save(update_fields=["preferred_language"])
    consent = consent_for(world, patient)
    client = Client()
    client.force_login(world.users["practitioner"])
    text = _pdf_text(client.get(reverse("photos:consent_pdf", args=[consent.pk])).content)
    assert "СОГЛАСИЕ" in text.upper() and patient.full_name in text
    stranger = Client()
    stranger.force_login(make_org().users["owner"])
    assert stranger.get(reverse("photos:consent_pdf", args=[consent.pk])).status_code == 404
