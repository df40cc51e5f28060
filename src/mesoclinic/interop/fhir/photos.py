"""Clinical photographs (Media), their signed consents (Consent) and outcome scores
(Observation) as FHIR R4 resources.

A Media carries the photograph's thumbnail inline (a few tens of kilobytes), so that a
bundle stays small whatever the number of photographs; the full images travel as files
in the subject-access archive (`photos/photo-{id}.jpg`, the Media's id).
"""

from __future__ import annotations

import base64
import hashlib

from django.core.files.storage import default_storage
from django.db.models import Q

from mesoclinic.interop.fhir import codes
from mesoclinic.interop.fhir.context import Context, Resource, instant

HL7 = "http://terminology.hl7.org/CodeSystem/"
PATIENT_CONSENT = {"coding": [{"system": "http://loinc.org", "code": "59284-0"}]}


def read_stored(name: str) -> bytes | None:
    """A stored file's bytes, or None when it is gone (erased after retention)."""
    if not name or not default_storage.exists(name):
        return None
    with default_storage.open(name, "rb") as fh:
        return fh.read()


def photo_consents(ctx: Context) -> list[Resource]:
    """Each signed photo consent: active while given, inactive once withdrawn."""
    from mesoclinic.photos.models import PhotoConsent

    out = []
    rows = PhotoConsent.objects.filter(patient=ctx.patient).order_by("signed_at", "id")
    for consent in rows:
        given = consent.withdrawn_at is None
        text = consent.text.encode()
        resource: Resource = {
            "resourceType": "Consent",
            "id": f"photo-{consent.pk}",
            "status": "active" if given else "inactive",
            "scope": {"coding": [{"system": HL7 + "consentscope", "code": "patient-privacy"}]},
            "category": [
                PATIENT_CONSENT,
                {
                    "coding": [codes.coding(codes.CONSENT_CATEGORY, "photography", "Photography")],
                    "text": "Clinical photographs",
                },
            ],
            "patient": ctx.subject,
            "dateTime": instant(consent.signed_at),
            "performer": [ctx.subject],
            "organization": [{"reference": f"Organization/{consent.organisation_id}"}],
            "sourceAttachment": {
                "contentType": "text/plain; charset=utf-8",
                "language": consent.language,
                "data": base64.b64encode(text).decode(),
                "hash": base64.b64encode(hashlib.sha1(text).digest()).decode(),  # noqa: S324
                "title": f"photo-consent-{consent.pk}.txt",
                "creation": instant(consent.signed_at),
            },
            "policyRule": {
                "coding": [codes.coding(codes.CONSENT_POLICY, f"photography-{consent.scope}")]
            },
            "provision": {"type": "permit" if given else "deny"},
        }
        if not given:
            resource["provision"]["period"] = {"end": instant(consent.withdrawn_at)}
        out.append(resource)
    return out


def _session_procedure(session) -> list[dict[str, str]]:
    # Only signed sessions are exported as Procedures: cite nothing else.
    if session is not None and session.status == "signed":
        return [{"reference": f"Procedure/{session.pk}"}]
    return []


def media(ctx: Context) -> list[Resource]:
    """One Media per photograph: body site, view, when and by whom, the thumbnail inline."""
    from mesoclinic.photos.models import Photo

    rows = Photo.objects.filter(patient=ctx.patient).select_related("session")
    if ctx.hidden_photo_clinics is not None:
        rows = rows.filter(
            Q(consent__withdrawn_at__isnull=True) | Q(clinic_id__in=ctx.hidden_photo_clinics)
        )
    out = []
    for photo in rows.order_by("taken_at", "id"):
        content: Resource = {
            "contentType": photo.content_type,
            "title": f"photo-{photo.pk}-thumbnail.jpg",
            "creation": instant(photo.taken_at),
        }
        thumbnail = read_stored(photo.thumbnail)
        if thumbnail is not None:
            content["data"] = base64.b64encode(thumbnail).decode()
            content["size"] = len(thumbnail)
            content["hash"] = base64.b64encode(hashlib.sha1(thumbnail).digest()).decode()  # noqa: S324
        resource: Resource = {
            "resourceType": "Media",
            "id": str(photo.pk),
            "status": "completed",
            "type": {
                "coding": [{"system": HL7 + "media-type", "code": "image", "display": "Image"}],
                "text": "Photo",
            },
            "view": codes.concept(ctx.kb, photo.view_id),
            "subject": ctx.subject,
            "createdDateTime": instant(photo.taken_at),
            "operator": ctx.practitioner(photo.operator_id),
            "bodySite": codes.concept(ctx.kb, photo.zone_id),
            "height": photo.height,
            "width": photo.width,
            "content": content,
        }
        part_of = _session_procedure(photo.session)
        if part_of:
            resource["partOf"] = part_of
        ctx.location(photo.clinic_id)
        ctx.media.add(photo.pk)
        out.append(resource)
    return out


def observations(ctx: Context) -> list[Resource]:
    """One Observation per outcome score: the scale as code, the level as value.

    value[x] holds one value, so the level's number (the knowledge base's `score`)
    is a component (`outcome-component#score`, valueInteger)."""
    from mesoclinic.outcomes.models import OutcomeScore, Rater

    out = []
    rows = OutcomeScore.objects.filter(patient=ctx.patient).select_related("session")
    for score in rows.order_by("scored_on", "recorded_at", "id"):
        scale = ctx.kb.scale.get(score.scale_id)
        level = scale.level(score.value) if scale is not None else None
        code = score.scale_id.removeprefix("scale.")
        name = scale.name.en if scale is not None else code
        value: Resource = {"text": score.value}
        if scale is not None:
            label = level.label.en if level is not None else ""
            value["coding"] = [codes.coding(scale.code_system, score.value, label)]
            value["text"] = f"{score.value} {label}".strip()
        patient_reported = score.rater == Rater.SUBJECT
        performer = ctx.subject if patient_reported else ctx.practitioner(score.recorded_by_id)
        resource: Resource = {
            "resourceType": "Observation",
            "id": str(score.pk),
            "status": "final",
            "category": [
                {
                    "coding": [
                        {
                            "system": HL7 + "observation-category",
                            "code": "survey" if patient_reported else "exam",
                        }
                    ]
                }
            ],
            "code": {"coding": [codes.coding(codes.OUTCOME_SCALES, code, name)], "text": name},
            "subject": ctx.subject,
            "effectiveDateTime": score.scored_on.isoformat(),
            "issued": instant(score.recorded_at),
            "performer": [performer],
            "valueCodeableConcept": value,
            "component": [
                {
                    "code": {"coding": [codes.coding(codes.OUTCOME_COMPONENT, "score", "Score")]},
                    "valueInteger": score.score,
                }
            ],
        }
        if score.zone_id:
            resource["bodySite"] = codes.concept(ctx.kb, score.zone_id)
        part_of = _session_procedure(score.session)
        if part_of:
            resource["partOf"] = part_of
        if score.photo_id and score.photo_id in ctx.media:
            resource["derivedFrom"] = [{"reference": f"Media/{score.photo_id}"}]
        if score.note:
            resource["note"] = [{"text": score.note}]
        out.append(resource)
    return out
