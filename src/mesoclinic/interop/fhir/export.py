"""A patient's record as FHIR R4 resources (plain dicts, validated with fhir.resources).

Each resource type is one builder `(ctx) -> list[dict]` in PATIENT_BUILDERS: exporting
a new kind of record (photos as Media, outcome scores as Observation) is one more
function appended there. The organisation's own resources (Organization, Location,
Practitioner, PractitionerRole) are collected from what the patient's resources cite.
"""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Callable, Collection, Iterable
from typing import Any

from mesoclinic.core.knowledge import load_knowledge
from mesoclinic.core.knowledge.lexicon import medicines_find
from mesoclinic.interop.fhir import codes
from mesoclinic.interop.fhir.context import Context, Resource, instant
from mesoclinic.interop.fhir.photos import media, observations, photo_consents

_instant = instant


def _gender(sex: str) -> str:
    return sex if sex in ("female", "male", "other", "unknown") else "unknown"


def patient_resource(ctx: Context) -> list[Resource]:
    p = ctx.patient
    name = {"family": p.family_name, "given": [g for g in (p.given_name, p.middle_name) if g]}
    out: Resource = {
        "resourceType": "Patient",
        "id": str(p.pk),
        "name": [name],
        "gender": _gender(p.sex),
        "birthDate": p.birth_date.isoformat(),
        "communication": [
            {
                "language": {
                    "coding": [{"system": "urn:ietf:bcp:47", "code": p.preferred_language}]
                },
                "preferred": True,
            }
        ],
    }
    telecom = []
    if p.phone:
        telecom.append({"system": "phone", "value": p.phone})
    if p.email:
        telecom.append({"system": "email", "value": p.email})
    if telecom:
        out["telecom"] = telecom
    if p.home_clinic_id:
        out["managingOrganization"] = {"reference": f"Organization/{p.organisation_id}"}
        ctx.location(p.home_clinic_id)
    return [out]


def _current_facts(patient, kind: str):
    from mesoclinic.patients.models import HistoryFact

    rows = HistoryFact.objects.filter(patient=patient, kind=kind, superseded_by__isnull=True)
    return [f for f in rows.order_by("recorded_at", "id") if not f.retracted]


def conditions(ctx: Context) -> list[Resource]:
    out = []
    for fact in _current_facts(ctx.patient, "condition"):
        out.append(
            {
                "resourceType": "Condition",
                "id": str(fact.pk),
                "clinicalStatus": {
                    "coding": [
                        {
                            "system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
                            "code": "active",
                        }
                    ]
                },
                "verificationStatus": _verification(fact),
                "code": codes.concept(ctx.kb, fact.code, fact.label),
                "subject": ctx.subject,
                "recordedDate": _instant(fact.recorded_at),
                "recorder": ctx.practitioner(fact.recorded_by_id),
                **({"note": [{"text": fact.note}]} if fact.note else {}),
            }
        )
    return out


def _verification(fact) -> dict[str, Any]:
    # Recorded by the clinic's staff: confirmed (imported, unconfirmed facts are not history).
    code = "confirmed"
    return {
        "coding": [
            {
                "system": "http://terminology.hl7.org/CodeSystem/condition-ver-status",
                "code": code,
            }
        ]
    }


def allergies(ctx: Context) -> list[Resource]:
    out = []
    for fact in _current_facts(ctx.patient, "allergy"):
        verification = _verification(fact)
        verification["coding"][0]["system"] = (
            "http://terminology.hl7.org/CodeSystem/allergyintolerance-verification"
        )
        out.append(
            {
                "resourceType": "AllergyIntolerance",
                "id": str(fact.pk),
                "clinicalStatus": {
                    "coding": [
                        {
                            "system": "http://terminology.hl7.org/CodeSystem/"
                            "allergyintolerance-clinical",
                            "code": "active",
                        }
                    ]
                },
                "verificationStatus": verification,
                "code": codes.concept(ctx.kb, fact.code, fact.label),
                "patient": ctx.subject,
                "recordedDate": _instant(fact.recorded_at),
                "recorder": ctx.practitioner(fact.recorded_by_id),
                **({"note": [{"text": fact.note}]} if fact.note else {}),
            }
        )
    return out


def medication_statements(ctx: Context) -> list[Resource]:
    out = []
    for fact in _current_facts(ctx.patient, "medication"):
        medication = codes.concept(ctx.kb, fact.code, fact.label)
        # The medicine named (ATC) besides its class: the knowledge base's dictionary.
        for medicine in medicines_find(ctx.kb, fact.label) if fact.label else []:
            extra = codes.concept(ctx.kb, medicine.id)["coding"]
            medication.setdefault("coding", []).extend(extra)
        resource: Resource = {
            "resourceType": "MedicationStatement",
            "id": str(fact.pk),
            "status": "active",
            "medicationCodeableConcept": medication,
            "subject": ctx.subject,
            "dateAsserted": _instant(fact.recorded_at),
            "informationSource": ctx.practitioner(fact.recorded_by_id),
        }
        if fact.on_date:
            resource["effectiveDateTime"] = fact.on_date.isoformat()
        if fact.note:
            resource["note"] = [{"text": fact.note}]
        out.append(resource)
    return out


APPOINTMENT_STATUS = {
    "booked": "booked",
    "confirmed": "booked",
    "arrived": "arrived",
    "done": "fulfilled",
    "no_show": "noshow",
    "cancelled": "cancelled",
    "postponed": "cancelled",
}


def appointments(ctx: Context) -> list[Resource]:
    from mesoclinic.scheduling.models import Appointment

    out = []
    for a in Appointment.objects.filter(patient=ctx.patient).order_by("starts_at", "id"):
        resource: Resource = {
            "resourceType": "Appointment",
            "id": str(a.pk),
            "status": APPOINTMENT_STATUS[a.status],
            "start": _instant(a.starts_at),
            "end": _instant(a.ends_at),
            "created": _instant(a.created_at),
            "participant": [
                {"actor": ctx.subject, "status": "accepted"},
                {"actor": ctx.practitioner(a.practitioner_id), "status": "accepted"},
                {"actor": ctx.location(a.clinic_id), "status": "accepted"},
            ],
        }
        if a.technique_id:
            resource["serviceType"] = [codes.concept(ctx.kb, a.technique_id)]
        if a.status_reason:
            resource["comment"] = a.status_reason
        out.append(resource)
    return out


def consents(ctx: Context) -> list[Resource]:
    """The signed treatment consents (with their PDF) and the data-processing consent."""
    from mesoclinic.consultations.documents import consent_pdf
    from mesoclinic.consultations.models import Consent

    out = []
    for consent in Consent.objects.filter(patient=ctx.patient).select_related("plan"):
        attachment: Resource = {
            "contentType": "application/pdf",
            "language": consent.language,
            "title": f"consent-{consent.pk}.pdf",
            "creation": _instant(consent.signed_at),
        }
        if ctx.with_pdfs:
            attachment["data"] = base64.b64encode(consent_pdf(consent=consent)).decode()
        out.append(
            {
                "resourceType": "Consent",
                "id": str(consent.pk),
                "status": "active",
                "scope": _consent_scope("treatment"),
                "category": [{"coding": [{"system": "http://loinc.org", "code": "59284-0"}]}],
                "patient": ctx.subject,
                "dateTime": _instant(consent.signed_at),
                "performer": [ctx.subject],
                "organization": [{"reference": f"Organization/{ctx.patient.organisation_id}"}],
                "sourceAttachment": attachment,
                "policyRule": {"coding": [codes.coding(codes.CONSENT_POLICY, "treatment")]},
                "provision": {"type": "permit"},
            }
        )
    p = ctx.patient
    # The consent to processing of personal data: a record even when withdrawn.
    if p.data_consent or p.data_consent_notice:
        privacy: Resource = {
            "resourceType": "Consent",
            "id": f"privacy-{p.pk}",
            "status": "active" if p.data_consent else "inactive",
            "scope": _consent_scope("patient-privacy"),
            "category": [{"coding": [{"system": "http://loinc.org", "code": "59284-0"}]}],
            "patient": ctx.subject,
            "organization": [{"reference": f"Organization/{p.organisation_id}"}],
            "policy": [{"uri": f"{codes.BASE}/privacy-notice/{p.data_consent_notice or 'none'}"}],
            "provision": {"type": "permit" if p.data_consent else "deny"},
        }
        if p.data_consent_at:
            privacy["dateTime"] = _instant(p.data_consent_at)
        out.append(privacy)
    return out


def _consent_scope(code: str) -> dict[str, Any]:
    return {
        "coding": [{"system": "http://terminology.hl7.org/CodeSystem/consentscope", "code": code}]
    }


def _signed_sessions(patient):
    from mesoclinic.charting.models import TreatmentSession

    return (
        TreatmentSession.objects.filter(patient=patient, status="signed")
        .prefetch_related("entries__product", "entries__lot", "entries__sites__photo__consent")
        .order_by("session_date", "id")
    )


def _injection_point(ctx: Context, entry, point) -> Resource:
    """One placed point or line as a complex extension: zone, picture, position(s) as
    fractions of the picture, volume and depth."""
    parts: list[Resource] = [
        {"url": "zone", "valueCodeableConcept": codes.concept(ctx.kb, entry.zone_id)},
        {"url": "kind", "valueCode": point.kind},
        {"url": "picture", "valueCode": point.canvas},
        {"url": "x", "valueDecimal": float(point.x)},
        {"url": "y", "valueDecimal": float(point.y)},
    ]
    if point.x2 is not None and point.y2 is not None:
        parts += [
            {"url": "x2", "valueDecimal": float(point.x2)},
            {"url": "y2", "valueDecimal": float(point.y2)},
        ]
    if point.photo_id and _media_exported(ctx, point.photo):
        parts.append({"url": "photo", "valueReference": {"reference": f"Media/{point.photo_id}"}})
    if point.volume_ml is not None:
        parts.append(
            {"url": "volume", "valueQuantity": {**_ml(point.volume_ml)}},
        )
    if point.depth_mm is not None:
        parts.append(
            {
                "url": "depth",
                "valueQuantity": {
                    "value": float(point.depth_mm),
                    "unit": "mm",
                    "system": "http://unitsofmeasure.org",
                    "code": "mm",
                },
            }
        )
    return {"url": codes.INJECTION_POINT_EXTENSION, "extension": parts}


def _media_exported(ctx: Context, photo) -> bool:
    """Whether the photograph is in the export as a Media (the rule of photos.media)."""
    if ctx.hidden_photo_clinics is None:
        return True
    return photo.consent.withdrawn_at is None or photo.clinic_id in ctx.hidden_photo_clinics


def _ml(value) -> Resource:
    return {
        "value": float(value),
        "unit": "mL",
        "system": "http://unitsofmeasure.org",
        "code": "mL",
    }


def procedures(ctx: Context) -> list[Resource]:
    """One Procedure per signed session: zones as body sites, techniques, the performer."""
    out = []
    for s in _signed_sessions(ctx.patient):
        entries = list(s.entries.all())
        zones = list(dict.fromkeys(e.zone_id for e in entries))
        techniques = list(dict.fromkeys(e.technique_id for e in entries))
        resource: Resource = {
            "resourceType": "Procedure",
            "id": str(s.pk),
            "status": "completed",
            "code": {
                "coding": [codes.coding(codes.PROCEDURE, codes.MESOTHERAPY, "Mesotherapy session")],
                "text": "Mesotherapy session",
            },
            "subject": ctx.subject,
            "performedDateTime": s.session_date.isoformat(),
            "recorder": ctx.practitioner(s.signed_by_id),
            "performer": [{"actor": ctx.practitioner(s.practitioner_id)}],
            "location": ctx.location(s.clinic_id),
            "bodySite": [codes.concept(ctx.kb, z) for z in zones],
            "extension": [
                {"url": codes.TECHNIQUE_EXTENSION, "valueCodeableConcept": codes.concept(ctx.kb, t)}
                for t in techniques
            ]
            + [_injection_point(ctx, e, p) for e in entries for p in e.sites.all()],
        }
        if not resource["extension"]:
            del resource["extension"]
        if not resource["bodySite"]:
            del resource["bodySite"]
        notes = [a.text for a in s.addenda.order_by("created_at", "id")]
        if s.override_reason:
            notes.insert(0, s.override_reason)
        if notes:
            resource["note"] = [{"text": n} for n in notes]
        out.append(resource)
    return out


def medication_administrations(ctx: Context) -> list[Resource]:
    """One MedicationAdministration per charted product, its lot as Medication.batch."""
    out = []
    for s in _signed_sessions(ctx.patient):
        for e in s.entries.all():
            if not e.product_id:
                continue
            product = e.product
            medication: Resource = {
                "resourceType": "Medication",
                "id": "product",
                "code": {"text": e.shown_product_name},
                "batch": {"lotNumber": e.shown_lot_number},
            }
            if product.kb_product_id:
                medication["code"] = codes.concept(
                    ctx.kb, product.kb_product_id, e.shown_product_name
                )
            if product.manufacturer:
                medication["identifier"] = [
                    {"system": codes.PRODUCT_IDENTIFIER, "value": str(product.pk)}
                ]
            if e.shown_lot_expiry:
                medication["batch"]["expirationDate"] = e.shown_lot_expiry.isoformat()
            dosage: Resource = {
                "site": codes.concept(ctx.kb, e.zone_id),
                "method": codes.concept(ctx.kb, e.technique_id),
                "route": {
                    "coding": [{"system": "http://snomed.info/sct", "code": "372464004"}],
                    "text": "Intradermal",
                },
            }
            if e.volume_ml is not None:
                dosage["dose"] = {
                    "value": float(e.volume_ml),
                    "unit": "mL",
                    "system": "http://unitsofmeasure.org",
                    "code": "mL",
                }
            out.append(
                {
                    "resourceType": "MedicationAdministration",
                    "id": str(e.pk),
                    "contained": [medication],
                    "status": "completed",
                    "medicationReference": {"reference": "#product"},
                    "subject": ctx.subject,
                    "effectiveDateTime": s.session_date.isoformat(),
                    "performer": [{"actor": ctx.practitioner(s.practitioner_id)}],
                    "partOf": [{"reference": f"Procedure/{s.pk}"}],
                    "dosage": dosage,
                }
            )
    return out


SEVERITY = {"mild": "mild", "moderate": "moderate", "severe": "severe"}
OUTCOME = {
    "ongoing": "ongoing",
    "resolved": "resolved",
    "sequelae": "resolvedWithSequelae",
    "unknown": "unknown",
}


def adverse_events(ctx: Context) -> list[Resource]:
    from mesoclinic.charting.models import SideEffect

    out = []
    rows = SideEffect.objects.filter(patient=ctx.patient).order_by("recorded_at", "id")
    for se in rows:
        system = "http://terminology.hl7.org/CodeSystem/"
        resource: Resource = {
            "resourceType": "AdverseEvent",
            "id": str(se.pk),
            "actuality": "actual",
            "event": codes.concept(ctx.kb, se.kind),
            "subject": ctx.subject,
            "date": se.onset_on.isoformat(),
            "recordedDate": _instant(se.recorded_at),
            "recorder": ctx.practitioner(se.recorded_by_id),
            "seriousness": {
                "coding": [
                    {
                        "system": system + "adverse-event-seriousness",
                        "code": "serious" if se.serious else "non-serious",
                    }
                ]
            },
            "severity": {
                "coding": [
                    {"system": system + "adverse-event-severity", "code": SEVERITY[se.severity]}
                ]
            },
            "outcome": {
                "coding": [
                    {"system": system + "adverse-event-outcome", "code": OUTCOME[se.outcome]}
                ]
            },
            "suspectEntity": [{"instance": {"reference": f"Procedure/{se.session_id}"}}],
        }
        if se.zone_id:
            resource["location"] = ctx.location(se.session.clinic_id)
        out.append(resource)
    return out


# One builder per resource type of a patient's record, in bundle order (Media before the
# Observations that cite them).
PATIENT_BUILDERS: list[Callable[[Context], list[Resource]]] = [
    patient_resource,
    conditions,
    allergies,
    medication_statements,
    appointments,
    consents,
    procedures,
    medication_administrations,
    adverse_events,
    photo_consents,
    media,
    observations,
]


def organisation_resources(
    *, organisation, clinic_ids: Iterable[int], user_ids: Iterable[int]
) -> list[Resource]:
    """Organization, the cited clinics as Locations, practitioners and their roles."""
    from mesoclinic.accounts.models import Clinic, Membership, User

    out: list[Resource] = [
        {"resourceType": "Organization", "id": str(organisation.pk), "name": organisation.name}
    ]
    for clinic in Clinic.objects.filter(organisation=organisation, pk__in=set(clinic_ids)):
        location: Resource = {
            "resourceType": "Location",
            "id": str(clinic.pk),
            "status": "active",
            "name": clinic.name,
            "managingOrganization": {"reference": f"Organization/{organisation.pk}"},
        }
        if clinic.address:
            location["address"] = {"text": clinic.address}
        if clinic.phone:
            location["telecom"] = [{"system": "phone", "value": clinic.phone}]
        out.append(location)
    users = User.objects.filter(organisation=organisation, pk__in=set(user_ids)).order_by("pk")
    for user in users:
        out.append(
            {
                "resourceType": "Practitioner",
                "id": str(user.pk),
                "name": [{"text": str(user)}],
            }
        )
    memberships = Membership.objects.filter(user__in=users).order_by("pk")
    for m in memberships:
        out.append(
            {
                "resourceType": "PractitionerRole",
                "id": str(m.pk),
                "practitioner": {"reference": f"Practitioner/{m.user_id}"},
                "organization": {"reference": f"Organization/{organisation.pk}"},
                "location": [{"reference": f"Location/{m.clinic_id}"}],
                "code": [
                    {
                        "coding": [codes.coding(codes.own("role"), m.role)],
                        "text": m.get_role_display(),
                    }
                ],
            }
        )
    return out


def patient_everything(
    patient,
    *,
    kb=None,
    with_pdfs: bool = True,
    hidden_photo_clinics: Collection[int] | None = None,
) -> list[Resource]:
    """Every resource of one patient's record and the organisation's resources it cites.

    Photographs taken under a withdrawn consent are exported only from
    `hidden_photo_clinics` (None: from every clinic), as their pages show them only to
    the clinic's owner."""
    ctx = Context(
        patient=patient,
        kb=kb or load_knowledge(),
        with_pdfs=with_pdfs,
        hidden_photo_clinics=hidden_photo_clinics,
    )
    own = [r for build in PATIENT_BUILDERS for r in build(ctx)]
    shared = organisation_resources(
        organisation=patient.organisation, clinic_ids=ctx.clinics, user_ids=ctx.practitioners
    )
    return own + shared


def bundle(resources: list[Resource], *, now: dt.datetime) -> Resource:
    """A searchset Bundle of the resources, as $everything answers."""
    return {
        "resourceType": "Bundle",
        "type": "searchset",
        "timestamp": _instant(now),
        "total": len(resources),
        "entry": [
            {
                "fullUrl": f"{codes.BASE}/{r['resourceType']}/{r['id']}",
                "resource": r,
                "search": {"mode": "match"},
            }
            for r in resources
        ],
    }


def validate(resource: Resource):
    """The resource parsed by fhir.resources (R4B models); raises on an invalid one."""
    from fhir.resources.R4B import get_fhir_model_class

    return get_fhir_model_class(resource["resourceType"]).model_validate(resource)
