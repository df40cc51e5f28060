"""The photographs pages: bytes only through the authorised, audited view; upload refusals."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from mesoclinic.audit.models import AuditAction, AuditEvent
from mesoclinic.photos.models import Photo
from mesoclinic.photos.services import photo_consent_withdraw
from tests.photos.conftest import NOW, capture, consent_for
from tests.photos.images import blurred_jpeg, sharp_jpeg

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_image_bytes_are_served_only_to_the_organisation_and_every_read_is_audited(
    make_org, patient_of
):
    ours, theirs = make_org(), make_org()
    patient = patient_of(ours)
    consent_for(ours, patient)
    photo = capture(ours, patient, sharp_jpeg())
    nurse = ours.users["nurse"]
    for name in ("photos:image", "photos:thumb"):
        url = reverse(name, args=[photo.pk])
        response = _client(nurse).get(url)
        assert response.status_code == 200
        assert response["Content-Type"] == "image/jpeg"
        assert "no-store" in response["Cache-Control"]
        assert response.content[:2] == b"\xff\xd8"
        assert AuditEvent.objects.filter(
            actor=nurse, action=AuditAction.READ, object_id=str(photo.pk), path=url
        ).exists()
        assert _client(theirs.users["owner"]).get(url).status_code == 404
        assert _client(ours.users["receptionist"]).get(url).status_code == 403
    # Nothing under MEDIA_URL serves it.
    assert Client().get("/media/" + photo.image).status_code == 404
    photo_consent_withdraw(
        scope=ours.scope("practitioner"), consent=photo.consent, reason="", now=NOW
    )
    url = reverse("photos:image", args=[photo.pk])
    assert _client(nurse).get(url).status_code == 404
    assert _client(ours.users["owner"]).get(url).status_code == 200
    page = _client(nurse).get(reverse("photos:patient", args=[patient.pk])).content.decode()
    assert "1 photograph is hidden" in page


def test_capture_form_refuses_bad_files_and_offers_keep_for_a_blurred_photo(world, patient_of):
    patient = patient_of(world)
    client = _client(world.users["practitioner"])
    url = reverse("photos:capture", args=[patient.pk])
    assert "no current consent" in client.get(url).content.decode()
    consent_for(world, patient)
    form = {"zone": "zone.cheeks", "view": "view.frontal", "session": ""}
    text = SimpleUploadedFile("notes.txt", b"just text", content_type="text/plain")
    page = client.post(url, {**form, "image": text}).content.decode()
    assert "does not say it is an image" in page
    blurry = SimpleUploadedFile("face.jpg", blurred_jpeg(), content_type="image/jpeg")
    page = client.post(url, {**form, "image": blurry}).content.decode()
    assert "blurred" in page and 'data-testid="photo-keep"' in page
    assert not Photo.objects.exists()
    blurry = SimpleUploadedFile("face.jpg", blurred_jpeg(), content_type="image/jpeg")
    response = client.post(
        url, {**form, "image": blurry, "keep": "1"}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 204
    assert response["HX-Redirect"] == reverse("photos:patient", args=[patient.pk])
    assert Photo.objects.get().quality_issues == ["blurred"]
