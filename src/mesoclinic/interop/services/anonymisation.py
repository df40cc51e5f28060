"""Anonymising a patient when the retention period of their records has ended.

What stays is what the clinic must keep statistics on: which products, lots, zones,
techniques, volumes and depths, on which days, with which side effects, outcome scores
and screening results, and the birth year. What goes is everything that could name the
person: the name, contact details, the birth day, the signer's name, drawn signature and
text of each signed consent, and every free text written about the patient (history
notes and labels, consultation notes, addenda, override reasons, side-effect and
outcome notes, adverse-event notes, appointment notes, imported facts, questionnaire
answers, the reasons of the patient's stock-ledger lines), the portal account, the
photographs, and the patient's name and contact details in the erasure request's reason,
in the labels of the audit trail and in any other stock-ledger reason of the
organisation.

Signed records are protected by database triggers; `patient_anonymise` is the one way
past them (see `AnonymisationPass` and interop migration 0002) and is audited.
"""

from __future__ import annotations

import re

from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Q

from mesoclinic.audit.models import AuditAction
from mesoclinic.audit.services import audit_record
from mesoclinic.interop.models import AnonymisationPass, ImportedFact
from mesoclinic.patients.models import Patient
from mesoclinic.patients.services import patient_search_refresh

# What stands in for erased text where the database requires some (signed consents,
# addenda, override reasons) — never a word a user must translate.
ERASED = "—"
# A drawn signature erased: a 1×1 transparent PNG, so consent pages and PDFs still render.
ERASED_SIGNATURE = (
    "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNk"
    "YAAAAAMAASsJTYQAAAAASUVORK5CYII="
)


def pseudonym(patient: Patient) -> str:
    return f"#{patient.pk}"


@transaction.atomic
def patient_anonymise(*, patient: Patient, erasure_id: int | None = None) -> dict[str, int]:
    """Remove every identifying item of the patient's records; returns how many rows of
    each kind were rewritten (audited, never the values)."""
    from mesoclinic.audit.models import AuditEvent
    from mesoclinic.charting.models import Addendum, SideEffect, TreatmentSession
    from mesoclinic.consultations.models import Consent, Consultation
    from mesoclinic.interop.models import ErasureRequest, SubjectAccessRequest
    from mesoclinic.inventory.models import AdverseEventReport, StockMovement
    from mesoclinic.outcomes.models import OutcomeScore
    from mesoclinic.patients.models import HistoryFact
    from mesoclinic.photos.models import PhotoConsent
    from mesoclinic.portal.models import PortalAccount, Questionnaire

    patient = Patient.objects.select_for_update().get(pk=patient.pk)
    identifying = [
        v
        for v in (
            patient.full_name,
            patient.family_name,
            patient.given_name,
            patient.middle_name,
            patient.email,
            patient.phone,
        )
        if v and len(v) > 2
    ]
    mine = {"patient": patient}
    opened = AnonymisationPass.objects.create(patient_id=patient.pk)
    counts = {
        "history_facts": HistoryFact.objects.filter(**mine).update(label="", note=""),
        "consultations": Consultation.objects.filter(**mine).update(examination="", concerns=""),
        "consents": Consent.objects.filter(**mine).update(
            signer_name=ERASED, signature_png=ERASED_SIGNATURE, text=ERASED
        ),
        "photo_consents": PhotoConsent.objects.filter(**mine).update(
            signer_name=ERASED, signature_png=ERASED_SIGNATURE, text=ERASED
        ),
        "sessions": TreatmentSession.objects.filter(**mine, override_reason__gt="").update(
            override_reason=ERASED
        )
        + TreatmentSession.objects.filter(**mine)
        .exclude(checkin_answers={})
        .update(checkin_answers={}),
        "addenda": Addendum.objects.filter(session__patient=patient).update(text=ERASED),
        "side_effects": SideEffect.objects.filter(**mine).update(note=""),
        "outcome_scores": OutcomeScore.objects.filter(**mine).update(note=""),
        "adverse_event_reports": AdverseEventReport.objects.filter(**mine).update(note=""),
        "appointments": patient.appointments.update(notes="", status_reason=""),
        "imported_facts": ImportedFact.objects.filter(**mine).update(label="", source=""),
        "questionnaires": Questionnaire.objects.filter(**mine).update(answers={}),
        "access_requests": SubjectAccessRequest.objects.filter(**mine).update(
            archive=None, error=""
        ),
    }
    for account in PortalAccount.objects.filter(**mine):
        account.tokens.all().delete()
        PortalAccount.objects.filter(pk=account.pk).update(
            email=f"erased-{account.pk}@portal.invalid", password="", active=False
        )
    # The erasure request keeps its reason (the patient's words to the clinic about the
    # request), with the patient's name and contact details replaced.
    counts["erasure_requests"] = 0
    for request in ErasureRequest.objects.filter(**mine).exclude(reason=""):
        reason = _scrub(request.reason, identifying, pseudonym(patient))
        if reason != request.reason:
            counts["erasure_requests"] += ErasureRequest.objects.filter(pk=request.pk).update(
                reason=reason
            )
    # The stock ledger keeps every quantity; a reason is free text. The patient's own
    # lines lose theirs (a write-off or adjustment needs one: ERASED); any other line
    # of the organisation that names the patient keeps its reason with the name
    # replaced. The ledger lets only the reason change, only during the pass
    # (inventory migration 0005).
    names = Q(pk__in=[])
    for value in identifying:
        names |= Q(reason__icontains=value)
    counts["stock_movements"] = 0
    for line in (
        StockMovement.objects.filter(organisation_id=patient.organisation_id)
        .filter(Q(patient=patient, reason__gt="") | names)
        .only("pk", "patient_id", "reason")
    ):
        if line.patient_id == patient.pk:
            reason = ERASED
        else:
            reason = _scrub(line.reason, identifying, pseudonym(patient))
        if reason != line.reason:
            counts["stock_movements"] += StockMovement.objects.filter(pk=line.pk).update(
                reason=reason
            )
    # The audit trail keeps what happened, with the patient's name replaced in its labels.
    relabelled = 0
    for event in AuditEvent.objects.filter(patient_id=patient.pk).only(
        "pk", "object_label", "actor_label"
    ):
        labels = {"object_label": event.object_label, "actor_label": event.actor_label}
        for field, value in labels.items():
            labels[field] = _scrub(value, identifying, pseudonym(patient))
        if labels != {"object_label": event.object_label, "actor_label": event.actor_label}:
            relabelled += AuditEvent.objects.filter(pk=event.pk).update(**labels)
    counts["audit_labels"] = relabelled

    patient.family_name = ERASED
    patient.given_name = pseudonym(patient)
    patient.middle_name = ""
    # The year stays (age at treatment matters for safety statistics); the day goes.
    patient.birth_date = patient.birth_date.replace(month=1, day=1)
    patient.sex = "unknown"
    patient.phone = ""
    patient.email = ""
    patient.weight_kg = None
    patient.weight_date = None
    patient.data_consent_notice = ""
    patient.save()
    patient_search_refresh(patient=patient)
    counts["photos_deleted"] = photos_delete(patient=patient)
    opened.delete()
    audit_record(
        action=AuditAction.DELETE,
        organisation_id=patient.organisation_id,
        patient_id=patient.pk,
        detail={
            "erasure": erasure_id,
            "anonymised": True,
            "photos_deleted": counts["photos_deleted"],
            "rewritten": {k: v for k, v in counts.items() if v and k != "photos_deleted"},
        },
    )
    return counts


def _scrub(text: str, identifying: list[str], replacement: str) -> str:
    """The text with each identifying string (any case) replaced."""
    for item in identifying:
        text = re.sub(re.escape(item), replacement, text, flags=re.IGNORECASE)
    return text


def photos_delete(*, patient: Patient) -> int:
    """Delete the patient's photographs; their files (image and thumbnail) leave the
    storage once the transaction commits. The outcome scores read from them stay,
    no longer citing a photograph. Returns how many."""
    from mesoclinic.outcomes.models import OutcomeScore
    from mesoclinic.photos.models import Photo

    photos = Photo.objects.filter(patient=patient)
    names = [n for pair in photos.values_list("image", "thumbnail") for n in pair if n]
    OutcomeScore.objects.filter(photo__in=photos).update(photo=None)
    count = photos.delete()[0]

    def remove_files() -> None:
        for name in names:
            default_storage.delete(name)

    transaction.on_commit(remove_files)
    return count
