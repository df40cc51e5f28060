"""Photographs (Media), photo consents (Consent) and outcome scores (Observation) in the
FHIR export: valid R4, and what the database holds."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json

import pytest
from django.core.files.storage import default_storage

from mesoclinic.interop.fhir import codes
from mesoclinic.interop.fhir.export import bundle, patient_everything, validate

NOW = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)


def _by_type(resources):
    from fhir.resources.R4B.bundle import Bundle

    parsed = Bundle.model_validate(bundle(resources, now=NOW))
    by_type: dict[str, list] = {}
    for entry in parsed.entry:
        by_type.setdefault(entry.resource.get_resource_type(), []).append(entry.resource)
    return by_type


@pytest.mark.django_db
def test_photos_scores_and_photo_consent_round_trip(photographed):
    from mesoclinic.outcomes.models import OutcomeScore
    from mesoclinic.photos.models import Photo, PhotoConsent

    resources = patient_everything(photographed, with_pdfs=False)
    for resource in resources:
        validate(resource)
    by_type = _by_type(resources)
    photo = Photo.objects.get(patient=photographed)

    (media,) = by_type["Media"]
    assert media.id == str(photo.pk)
    assert media.type.coding[0].code == "image"
    assert (media.bodySite.coding[0].system, media.bodySite.coding[0].code) == (
        codes.ZONE,
        "zone.cheeks",
    )
    assert (media.view.coding[0].system, media.view.coding[0].code) == (
        codes.PHOTO_VIEW,
        "view.frontal",
    )
    assert media.view.coding[0].display  # the knowledge base's name of the view
    assert media.createdDateTime == photo.taken_at
    assert media.operator.reference == f"Practitioner/{photo.operator_id}"
    assert media.partOf[0].reference == f"Procedure/{photo.session_id}"
    assert (media.width, media.height) == (photo.width, photo.height)
    # The thumbnail travels inline (decoded by fhir.resources), the full image does not.
    with default_storage.open(photo.thumbnail, "rb") as fh:
        thumbnail = fh.read()
    assert media.content.contentType == "image/jpeg"
    assert media.content.data == thumbnail
    assert media.content.hash == hashlib.sha1(thumbnail).digest()  # noqa: S324
    assert len(thumbnail) < photo.size_bytes

    observations = {o.code.coding[0].code: o for o in by_type["Observation"]}
    assert set(observations) == {"wsrs", "pain-vas"}
    wsrs_score = OutcomeScore.objects.get(patient=photographed, scale_id="scale.wsrs")
    wsrs = observations["wsrs"]
    assert wsrs.id == str(wsrs_score.pk)
    assert wsrs.code.coding[0].system == codes.OUTCOME_SCALES
    value = wsrs.valueCodeableConcept.coding[0]
    assert (value.system, value.code) == ("https://mesoclinic.org/fhir/CodeSystem/wsrs", "3")
    assert value.display  # the level's label
    assert wsrs.component[0].valueInteger == wsrs_score.score == 3
    assert wsrs.effectiveDateTime == wsrs_score.scored_on
    assert wsrs.performer[0].reference == f"Practitioner/{wsrs_score.recorded_by_id}"
    assert wsrs.derivedFrom[0].reference == f"Media/{photo.pk}"
    assert wsrs.partOf[0].reference == f"Procedure/{wsrs_score.session_id}"
    assert wsrs.bodySite.coding[-1].code == "zone.cheeks"
    pain = observations["pain-vas"]
    # A patient's own answer: performed by the patient, a survey, no photograph.
    assert pain.performer[0].reference == f"Patient/{photographed.pk}"
    assert pain.category[0].coding[0].code == "survey"
    assert pain.derivedFrom is None

    consent = PhotoConsent.objects.get(patient=photographed)
    (exported,) = [c for c in by_type["Consent"] if c.id == f"photo-{consent.pk}"]
    assert exported.status == "active" and exported.provision.type == "permit"
    assert "photography" in {c.code for cat in exported.category for c in cat.coding}
    assert exported.sourceAttachment.data.decode() == consent.text
    assert exported.policyRule.coding[0].code == "photography-record"


@pytest.mark.django_db
def test_a_withdrawn_photo_consent_is_inactive_and_its_photos_reach_only_the_owner(
    world, photographed
):
    from mesoclinic.interop.services import patient_export
    from mesoclinic.photos.models import Photo, PhotoConsent
    from mesoclinic.photos.services import photo_consent_withdraw

    consent = PhotoConsent.objects.get(patient=photographed)
    photo_consent_withdraw(scope=world.scope("practitioner"), consent=consent, reason="", now=NOW)
    resources = patient_everything(photographed, with_pdfs=False)
    (exported,) = [r for r in resources if r["id"] == f"photo-{consent.pk}"]
    validate(exported)
    assert (exported["status"], exported["provision"]["type"]) == ("inactive", "deny")
    consent.refresh_from_db()
    assert exported["provision"]["period"]["end"] == consent.withdrawn_at.isoformat().replace(
        "+00:00", "Z"
    )

    def media_ids(role):
        data = patient_export(scope=world.scope(role), patient=photographed, now=NOW)
        resources = [e["resource"] for e in data["entry"]]
        media = {r["id"] for r in resources if r["resourceType"] == "Media"}
        cited = {
            ref["reference"]
            for r in resources
            if r["resourceType"] == "Observation"
            for ref in r.get("derivedFrom", [])
        }
        return media, cited

    photo = Photo.objects.get(patient=photographed)
    assert media_ids("owner") == ({str(photo.pk)}, {f"Media/{photo.pk}"})
    # Hidden from the practitioner as on the pages: no Media, and no reference to one.
    assert media_ids("practitioner") == (set(), set())


@pytest.mark.django_db
def test_bulk_export_writes_media_and_observations(world, photographed):
    from mesoclinic.interop.services import bulk_export_run, bulk_export_start

    export = bulk_export_start(scope=world.scope("owner"), now=NOW)
    export = bulk_export_run(export.pk)
    assert export.counts["Media"] == 1
    assert export.counts["Observation"] == 2
    with export.files.get(resource_type="Media").open() as fh:
        (line,) = fh.read().decode("utf-8").splitlines()
    # The thumbnail inline: a JPEG.
    assert base64.b64decode(json.loads(line)["content"]["data"])[:2] == b"\xff\xd8"
