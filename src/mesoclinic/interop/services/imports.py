"""Importing a patient from another system's FHIR Bundle, as patient-reported facts that a
clinician confirms into the history or rejects."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction

from mesoclinic.accounts.scope import Scope
from mesoclinic.audit.models import AuditAction
from mesoclinic.audit.services import audit_record
from mesoclinic.core.knowledge import load_knowledge
from mesoclinic.interop.fhir.codes import kb_name
from mesoclinic.interop.fhir.importer import BundleRefused, bundle_read
from mesoclinic.interop.models import ImportedFact, ImportedFactStatus
from mesoclinic.patients.models import Patient
from mesoclinic.patients.services import history_fact_record, patient_create

__all__ = ["BundleRefused", "bundle_import", "imported_fact_confirm", "imported_fact_reject"]


@transaction.atomic
def bundle_import(
    *,
    scope: Scope,
    data: str | bytes | dict,
    now: dt.datetime,
    today: dt.date,
    allow_duplicate: bool = False,
    request=None,
) -> Patient:
    """Register the bundle's patient with its demographics; its conditions, allergies and
    medications wait as imported facts for a clinician's confirmation.

    A bundle that is not valid FHIR R4, or holds no single patient, raises BundleRefused
    with the reason; any refusal (a duplicate patient included) leaves nothing behind.
    """
    scope.require("patients.edit_clinical")
    content = bundle_read(data, kb=load_knowledge())
    d = content.demographics
    sex = d.sex if d.sex in ("female", "male", "other", "unknown") else "unknown"
    patient = patient_create(
        scope=scope,
        family_name=d.family_name,
        given_name=d.given_name,
        middle_name=d.middle_name,
        birth_date=d.birth_date,
        sex=sex,
        phone=d.phone,
        email=d.email,
        preferred_language=d.preferred_language,
        today=today,
        allow_duplicate=allow_duplicate,
        request=request,
    )
    for fact in content.facts:
        ImportedFact.objects.create(
            organisation_id=scope.organisation_id,
            patient=patient,
            kind=fact.kind,
            code=fact.code,
            label=fact.label,
            on_date=fact.on_date if fact.on_date and fact.on_date <= today else None,
            source=content.source[:300],
            imported_by_id=scope.user_id,
            imported_at=now,
        )
    audit_record(
        action=AuditAction.CREATE,
        request=request,
        scope=scope,
        obj=patient,
        detail={"fhir": "import", "facts": len(content.facts)},
    )
    return patient


def _pending(scope: Scope, fact: ImportedFact) -> None:
    scope.require("patients.edit_clinical")
    if fact.organisation_id != scope.organisation_id:
        raise ValidationError("fact of another organisation")
    if fact.status != ImportedFactStatus.PENDING:
        raise ValidationError("this imported fact has already been decided")


@transaction.atomic
def imported_fact_confirm(
    *, scope: Scope, fact: ImportedFact, now: dt.datetime, today: dt.date, request=None
):
    """A clinician confirms a reported fact: it joins the history (coded where it can be)."""
    _pending(scope, fact)
    label = fact.label
    if fact.kind == "medication" and fact.code and not label:
        # A medication needs a name: the class's, in the patient's language.
        label = kb_name(load_knowledge(), fact.code, fact.patient.preferred_language)
    recorded = history_fact_record(
        scope=scope,
        patient=fact.patient,
        kind=fact.kind,
        code=fact.code,
        label=label,
        on_date=fact.on_date,
        note=fact.source,
        now=now,
        today=today,
        request=request,
    )
    fact.status = ImportedFactStatus.CONFIRMED
    fact.history_fact = recorded
    fact.decided_by_id = scope.user_id
    fact.decided_at = now
    fact.save(update_fields=["status", "history_fact", "decided_by", "decided_at"])
    return recorded


@transaction.atomic
def imported_fact_reject(*, scope: Scope, fact: ImportedFact, now: dt.datetime, request=None):
    """A clinician rejects a reported fact: it stays on file as rejected, not in the history."""
    _pending(scope, fact)
    fact.status = ImportedFactStatus.REJECTED
    fact.decided_by_id = scope.user_id
    fact.decided_at = now
    fact.save(update_fields=["status", "decided_by", "decided_at"])
    audit_record(
        action=AuditAction.UPDATE,
        request=request,
        scope=scope,
        obj=fact,
        detail={"imported_fact": "rejected"},
    )
    return fact
