"""The pre-visit questionnaire: patient-reported history, confirmed by a clinician."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from mesoclinic.accounts.models import Clinic, Role
from mesoclinic.accounts.scope import Scope
from mesoclinic.audit.models import AuditAction
from mesoclinic.audit.services import audit_record
from mesoclinic.core.knowledge.lexicon import medicines_split
from mesoclinic.patients.models import FactKind, Patient
from mesoclinic.patients.selectors import history_current
from mesoclinic.patients.services import history_fact_record
from mesoclinic.portal.models import Questionnaire
from mesoclinic.portal.services.access import portal_actor, portal_scope

REPORTED = "Reported by the patient online"


def _split(text: str) -> list[str]:
    return [part.strip() for part in text.replace(";", ",").split(",") if part.strip()]


@transaction.atomic
def questionnaire_submit(
    *, patient: Patient, clinic: Clinic, answers: dict, now: dt.datetime, request=None
) -> Questionnaire:
    """Record a patient's answers as history facts authored by the portal, for review.

    Each answer is an ordinary, versioned history fact (so screening sees it at once)
    whose author is the patient portal and whose note says the patient reported it;
    facts already current in the record are not repeated. The clinician confirms the
    questionnaire at check-in or corrects a fact in the history (a new version).
    """
    scope = portal_scope(patient=patient, clinic=clinic, roles=frozenset({Role.NURSE}))
    today = timezone.localdate(now, clinic.zone)
    current = list(history_current(scope=scope, patient=patient))
    known = {(f.kind, f.code or f.label.casefold()) for f in current if f.present}
    facts = []

    def record(kind: str, **fields) -> None:
        key = (kind, fields.get("code") or fields.get("label", "").casefold())
        if kind not in (FactKind.PREGNANCY, FactKind.BREASTFEEDING) and key in known:
            return
        facts.append(
            history_fact_record(
                scope=scope,
                patient=patient,
                kind=kind,
                now=now,
                today=today,
                note=REPORTED,
                request=request,
                **fields,
            )
        )
        known.add(key)

    for code in answers.get("conditions", []):
        record(FactKind.CONDITION, code=code)
    for text in _split(answers.get("other_conditions", "")):
        record(FactKind.CONDITION, label=text)
    for text in _split(answers.get("allergies", "")):
        record(FactKind.ALLERGY, label=text)
    for text in medicines_split(answers.get("medicines", "")):
        record(FactKind.MEDICATION, label=text)
    record(FactKind.PREGNANCY, present=answers.get("pregnant") == "yes")
    record(FactKind.BREASTFEEDING, present=answers.get("breastfeeding") == "yes")
    if answers.get("procedure"):
        record(FactKind.PROCEDURE, code=answers["procedure"], on_date=answers["procedure_date"])
    stored = {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in answers.items()}
    questionnaire = Questionnaire.objects.create(
        organisation_id=patient.organisation_id,
        clinic=clinic,
        patient=patient,
        submitted_at=now,
        fact_ids=[f.pk for f in facts],
        answers=stored,
    )
    audit_record(
        action=AuditAction.CREATE,
        request=request,
        actor=portal_actor(organisation_id=patient.organisation_id),
        organisation_id=patient.organisation_id,
        obj=questionnaire,
        patient_id=patient.pk,
        detail={"facts": len(facts)},
    )
    return questionnaire


@transaction.atomic
def questionnaire_confirm(
    *, scope: Scope, questionnaire: Questionnaire, now: dt.datetime, request=None
) -> Questionnaire:
    """A clinician confirms the patient-reported answers (after correcting any in the history)."""
    if questionnaire.organisation_id != scope.organisation_id:
        raise ValidationError("questionnaire of another organisation")
    scope.require_in("patients.edit_clinical", questionnaire.clinic_id)
    locked = Questionnaire.objects.select_for_update().get(pk=questionnaire.pk)
    if locked.confirmed_at is not None:
        return locked
    locked.confirmed_by_id = scope.user_id
    locked.confirmed_at = now
    locked.save(update_fields=["confirmed_by", "confirmed_at"])
    audit_record(
        action=AuditAction.UPDATE,
        request=request,
        scope=scope,
        obj=locked,
        patient_id=locked.patient_id,
        detail={"confirmed": True},
    )
    return locked
