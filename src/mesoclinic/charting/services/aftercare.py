"""Aftercare: the clinic's durations and the e-mailed handout."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import formats
from django.utils.translation import gettext as _

from mesoclinic.accounts.models import Clinic
from mesoclinic.accounts.scope import Scope
from mesoclinic.audit.models import AuditAction
from mesoclinic.audit.services import audit_record
from mesoclinic.charting.models import (
    AftercarePolicy,
    SessionStatus,
    TreatmentSession,
)
from mesoclinic.consultations.engine import kb as knowledge
from mesoclinic.core.knowledge.policy import PolicyError, policy_parse


@transaction.atomic
def aftercare_policy_set(
    *, scope: Scope, clinic: Clinic, hours: Mapping[str, float], now: dt.datetime, request=None
) -> AftercarePolicy:
    """Set the clinic's own aftercare durations (hours per aftercare id of the base)."""
    if clinic.organisation_id != scope.organisation_id:
        raise ValidationError(_("Unknown clinic."))
    scope = scope.in_clinic(clinic.pk)
    scope.require("clinic.manage")
    try:
        policy_parse({"aftercare_hours": dict(hours)}, kb=knowledge())
    except PolicyError as exc:
        raise ValidationError({"hours": str(exc)}) from exc
    policy, _created = AftercarePolicy.objects.update_or_create(
        clinic=clinic,
        defaults={
            "organisation_id": scope.organisation_id,
            "hours": {k: float(v) for k, v in hours.items()},
            "updated_at": now,
        },
    )
    audit_record(
        action=AuditAction.UPDATE, request=request, scope=scope, obj=policy, detail=policy.hours
    )
    return policy


def aftercare_email(*, scope: Scope, session: TreatmentSession, request=None) -> None:
    """Queue the aftercare sheet (PDF, in the patient's language) to the patient's e-mail."""
    scope = scope.in_clinic(session.clinic_id)
    scope.require("patients.view_clinical")
    if session.organisation_id != scope.organisation_id:
        raise ValidationError(_("Unknown session."))
    if session.status != SessionStatus.SIGNED:
        raise ValidationError(_("Aftercare is sent once the session is signed."))
    if not session.patient.email:
        raise ValidationError(_("The patient has no e-mail address on record."))
    from mesoclinic.charting.tasks import aftercare_email_send
    from mesoclinic.jobs.services import job_enqueue

    pk, user_id = session.pk, scope.user_id
    transaction.on_commit(
        lambda: job_enqueue(
            aftercare_email_send,
            pk,
            user_id,
            organisation_id=session.organisation_id,
            clinic_id=session.clinic_id,
            kind="aftercare_email",
            created_by_id=user_id,
            subject=formats.date_format(session.session_date, "DATE_FORMAT"),
        )
    )
