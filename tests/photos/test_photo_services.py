"""Photo consent, capture, storage and withdrawal through the services, on the real database."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from PIL import Image

from mesoclinic.audit.models import AuditAction, AuditEvent
from mesoclinic.photos.models import Photo
from mesoclinic.photos.selectors import (
    photo_consent_current,
    photo_get,
    photos_hidden_count,
    photos_visible,
)
from mesoclinic.photos.services import PhotoQualityIssues, photo_consent_withdraw
from tests.photos.conftest import NOW, capture, consent_for
from tests.photos.images import (
    blurred_jpeg,
    exif_with_gps_and_rotation,
    jpeg,
    pattern,
    sharp_jpeg,
)

pytestmark = pytest.mark.django_db


def _stored_files() -> int:
    root = default_storage.path("")
    import os

    return sum(len(files) for _d, _s, files in os.walk(root))


def test_consent_gates_capture_and_records_its_scope(world, patient_of):
    patient = patient_of(world)
    with pytest.raises(ValidationError, match="no current consent"):
        capture(world, patient, sharp_jpeg())
    assert not Photo.objects.filter(patient=patient).exists()
    with pytest.raises(PermissionDenied):
        consent_for(world, patient, role="receptionist")
    consent = consent_for(world, patient, use="marketing")
    assert consent.scope == "marketing"
    assert "publicity" in consent.text and "education" in consent.text
    assert photo_consent_current(patient=patient) == consent
    assert AuditEvent.objects.filter(action=AuditAction.SIGN, object_id=str(consent.pk)).exists()
    record = consent_for(world, patient, use="record")
    assert "publicity" not in record.text and "education" not in record.text
    with pytest.raises(PermissionDenied):
        capture(world, patient, sharp_jpeg(), scope=world.scope("receptionist"))


def test_capture_stores_a_clean_jpeg_and_thumbnail_through_the_storage(world, consented):
    data = jpeg(pattern(1200, 1600), exif=exif_with_gps_and_rotation())
    photo = capture(world, consented, data)
    assert photo.quality_issues == []
    assert (photo.width, photo.height) == (1600, 1200)
    assert photo.image.startswith(f"photos/{consented.organisation_id}/{consented.pk}/")
    with default_storage.open(photo.image) as fh:
        stored = fh.read()
    assert b"TestCam" not in stored
    assert len(Image.open(io.BytesIO(stored)).getexif()) == 0
    assert default_storage.exists(photo.thumbnail)
    assert photo.content_type == "image/jpeg" and photo.operator == world.users["practitioner"]
    assert AuditEvent.objects.filter(action=AuditAction.CREATE, object_id=str(photo.pk)).exists()


BAD_INPUT = [
    (b"hello, not a picture", "image/jpeg", "not a photograph"),
    (sharp_jpeg()[:4000], "image/jpeg", "damaged"),
    (sharp_jpeg(), "application/pdf", "does not say it is an image"),
    (b"", "image/jpeg", "Choose a photograph"),
]


def test_bad_input_is_refused_and_nothing_is_stored(world, consented, settings):
    before = _stored_files()
    for data, content_type, message in BAD_INPUT:
        with pytest.raises(ValidationError, match=message):
            capture(world, consented, data, content_type=content_type)
    settings.PHOTO_MAX_UPLOAD_MB = 0
    with pytest.raises(ValidationError, match="larger than 0 MB"):
        capture(world, consented, sharp_jpeg())
    assert not Photo.objects.exists()
    assert _stored_files() == before


def test_blurred_photo_is_refused_until_kept_and_then_marked(world, consented):
    before = _stored_files()
    with pytest.raises(PhotoQualityIssues) as refused:
        capture(world, consented, blurred_jpeg())
    assert refused.value.issues == ["blurred"]
    assert "blurred" in refused.value.messages[0]
    assert not Photo.objects.exists() and _stored_files() == before
    kept = capture(world, consented, blurred_jpeg(), keep=True)
    assert kept.quality_issues == ["blurred"] and kept.kept_below_standard
    # The kept photo is the baseline of its view: a later one must match its orientation.
    with pytest.raises(PhotoQualityIssues) as refused:
        capture(world, consented, sharp_jpeg(1600, 1200))
    assert refused.value.issues == ["orientation"]
    # Another view has its own baseline; a view must be one of the zone's.
    assert capture(world, consented, sharp_jpeg(1600, 1200), view="view.left-45").pk
    with pytest.raises(ValidationError, match="standard views"):
        capture(world, consented, sharp_jpeg(), zone="zone.scalp", view="view.left-45")


def test_withdrawal_hides_photos_from_everyone_but_the_owner(world, consented):
    photo = capture(world, consented, sharp_jpeg())
    consent = photo.consent
    practitioner = world.scope("practitioner")
    photo_consent_withdraw(scope=practitioner, consent=consent, reason="changed her mind", now=NOW)
    consent.refresh_from_db()
    assert consent.withdrawn_at == NOW and consent.withdrawal_reason == "changed her mind"
    assert photo_consent_current(patient=consented) is None
    assert list(photos_visible(scope=practitioner, patient=consented)) == []
    assert photos_hidden_count(scope=practitioner, patient=consented) == 1
    from django.http import Http404

    with pytest.raises(Http404):
        photo_get(scope=practitioner, photo_id=photo.pk)
    owner = world.scope("owner")
    assert photo_get(scope=owner, photo_id=photo.pk) == photo
    assert photos_hidden_count(scope=owner, patient=consented) == 0
    # And no new photograph until a new consent is signed.
    with pytest.raises(ValidationError, match="no current consent"):
        capture(world, consented, sharp_jpeg(seed=3))
    with pytest.raises(ValidationError, match="already been withdrawn"):
        photo_consent_withdraw(scope=practitioner, consent=consent, reason="", now=NOW)


def test_photos_of_another_organisation_are_never_reached(make_org, patient_of):
    ours, theirs = make_org(), make_org()
    patient = patient_of(ours)
    consent_for(ours, patient)
    photo = capture(ours, patient, sharp_jpeg())
    from django.http import Http404

    with pytest.raises(Http404):
        photo_get(scope=theirs.scope("owner"), photo_id=photo.pk)
    with pytest.raises(PermissionDenied):
        capture(theirs, patient, sharp_jpeg())


def test_the_signed_text_of_a_photo_consent_cannot_be_changed(world, consented):
    consent = consented.photo_consents.get()
    consent.text = "something else"
    with pytest.raises(ValueError, match="only by its withdrawal"):
        consent.save()
    with pytest.raises(ValueError, match="only by its withdrawal"):
        consent.save(update_fields=["text", "withdrawn_at"])
