"""The score form's photo picker: the patient's photographs under a current consent, as
thumbnails of the page; the score keeps the photograph it was read from."""

from __future__ import annotations

import pytest
from django.test import Client

from mesoclinic.audit.models import AuditAction, AuditEvent
from mesoclinic.outcomes.models import OutcomeScore
from mesoclinic.photos.services import photo_consent_withdraw
from tests.charting.factories import TODAY
from tests.photos.conftest import NOW, capture, consent_for
from tests.photos.images import sharp_jpeg

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _typed(**extra) -> dict:
    return {
        "level": "scale.wsrs:3",
        "rater": "investigator",
        "zone_id": "zone.cheeks",
        "timepoint": "baseline",
        "scored_on": TODAY.isoformat(),
        **extra,
    }


def test_the_picker_offers_current_photos_and_the_score_keeps_the_one_chosen(world, signed):
    patient = signed.patient
    consent_for(world, patient)
    cheeks = capture(world, patient, sharp_jpeg())
    forehead = capture(world, patient, sharp_jpeg(), zone="zone.forehead")
    practitioner = world.users["practitioner"]
    client = _client(practitioner)
    url = f"/outcomes/patients/{patient.pk}/"
    page = client.get(url).content.decode()
    assert "Photograph scored" in page
    assert f"/photos/{cheeks.pk}/thumb/?t=" in page and f"/photos/{forehead.pk}/thumb/?t=" in page
    event = AuditEvent.objects.filter(actor=practitioner, action=AuditAction.READ).latest("id")
    assert sorted(event.detail["photos"]) == sorted([cheeks.pk, forehead.pk])

    # A photograph of another zone than the one scored is refused, nothing written.
    refused = client.post(url, _typed(photo=forehead.pk))
    assert refused.status_code == 400
    assert "Choose a photograph of the zone scored." in refused.content.decode()
    assert not OutcomeScore.objects.exists()

    assert client.post(url, _typed(photo=cheeks.pk)).status_code == 302
    assert OutcomeScore.objects.get().photo == cheeks


def test_photos_of_a_withdrawn_consent_are_not_offered_nor_accepted(world, signed):
    patient = signed.patient
    consent = consent_for(world, patient)
    photo = capture(world, patient, sharp_jpeg())
    photo_consent_withdraw(scope=world.scope("practitioner"), consent=consent, reason="", now=NOW)
    # The owner still sees the photograph elsewhere; the picker never offers it.
    client = _client(world.users["practitioner"])
    url = f"/outcomes/patients/{patient.pk}/"
    assert "Photograph scored" not in client.get(url).content.decode()
    response = client.post(url, _typed(photo=photo.pk))
    # Without photographs the form has no picker: the value is ignored, never stored.
    assert response.status_code == 302
    assert OutcomeScore.objects.get().photo is None


def test_the_service_refuses_a_photo_of_a_withdrawn_consent(world, signed):
    from django.core.exceptions import ValidationError

    from mesoclinic.outcomes.services import score_record

    patient = signed.patient
    consent = consent_for(world, patient)
    photo = capture(world, patient, sharp_jpeg())
    photo_consent_withdraw(scope=world.scope("practitioner"), consent=consent, reason="", now=NOW)
    with pytest.raises(ValidationError, match="withdrew the consent"):
        score_record(
            scope=world.scope("practitioner"),
            patient=patient,
            scale_id="scale.wsrs",
            value="3",
            rater="investigator",
            timepoint="baseline",
            zone_id="zone.cheeks",
            scored_on=TODAY,
            clinic_id=world.clinic.pk,
            photo_id=photo.pk,
            now=NOW,
        )
    assert not OutcomeScore.objects.exists()
