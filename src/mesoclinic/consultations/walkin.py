"""Walk-in and one-off visits: a one-session plan made from an appointment, consent on the spot.

A visit that is not part of a course still goes through every safety step: the
single-session plan is screened like any plan, needs a signed consent as it stands
and is started only when its screening does not block it; the visit is then checked
in (screened again for the day) and charted like any course session.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from mesoclinic.accounts.locales import current_language
from mesoclinic.accounts.scope import Scope
from mesoclinic.audit.models import AuditAction
from mesoclinic.audit.services import audit_record
from mesoclinic.consultations import engine
from mesoclinic.consultations.models import Consent, PlanStatus, TreatmentPlan
from mesoclinic.consultations.services import consent_sign, plan_activate, plan_create
from mesoclinic.scheduling.models import Appointment

# Statuses of an appointment that can still become a treated visit.
OPEN_STATUSES = ("booked", "confirmed", "arrived")
# The interval window of a one-session plan is never used; it only has to be valid.
SINGLE_INTERVAL_DAYS = (7, 14)


def _visit_day(appointment: Appointment) -> dt.date:
    return appointment.starts_at.astimezone(appointment.clinic.zone).date()


def walkin_plan_of(appointment: Appointment) -> TreatmentPlan | None:
    """The plan an appointment belongs to, if any (same organisation only)."""
    if not appointment.plan_id:
        return None
    return TreatmentPlan.objects.filter(
        pk=appointment.plan_id, organisation_id=appointment.organisation_id
    ).first()


@transaction.atomic
def walkin_plan_create(
    *,
    scope: Scope,
    appointment: Appointment,
    zones: Sequence[str],
    technique_ids: Sequence[str],
    products: Sequence[tuple[str, object]],
    now: dt.datetime,
    today: dt.date,
    request=None,
) -> TreatmentPlan:
    """Make a screened one-session draft plan for an appointment that has none, and link them.

    The appointment becomes session 1 of 1 of the plan. An appointment booked for a
    technique keeps it: the plan must include that technique.
    """
    if appointment.organisation_id != scope.organisation_id:
        raise PermissionDenied("appointment of another organisation")
    scope = scope.in_clinic(appointment.clinic_id)
    scope.require("plans.create")
    appointment = (
        Appointment.objects.select_for_update().select_related("clinic").get(pk=appointment.pk)
    )
    if appointment.plan_id:
        raise ValidationError(_("This appointment is already part of a treatment plan."))
    if appointment.status not in OPEN_STATUSES:
        raise ValidationError(
            _("An appointment that is %(status)s cannot be treated.")
            % {"status": appointment.get_status_display()}
        )
    if appointment.technique_id and appointment.technique_id not in technique_ids:
        technique = engine.kb().get(appointment.technique_id).name.get(current_language())
        raise ValidationError(
            {
                "technique_ids": _("The appointment is booked for %(technique)s: include it.")
                % {"technique": technique}
            }
        )
    low, high = SINGLE_INTERVAL_DAYS
    plan = plan_create(
        scope=scope,
        patient=appointment.patient,
        now=now,
        today=today,
        zones=zones,
        technique_ids=technique_ids,
        products=products,
        sessions=1,
        interval_min_days=low,
        interval_max_days=high,
        preferred_interval_days=low,
        target_start=max(_visit_day(appointment), today),
        request=request,
    )
    if plan.clinic_id != appointment.clinic_id:
        plan.clinic_id = appointment.clinic_id
        plan.save(update_fields=["clinic"])
    appointment.plan_id = plan.pk
    appointment.session_number = 1
    if not appointment.technique_id and len(plan.technique_ids) == 1:
        appointment.technique_id = plan.technique_ids[0]
    appointment.version += 1
    appointment.save(update_fields=["plan_id", "session_number", "technique_id", "version"])
    audit_record(
        action=AuditAction.UPDATE,
        request=request,
        scope=scope,
        obj=appointment,
        detail={"walk_in_plan": plan.pk},
    )
    return plan


@transaction.atomic
def walkin_consent_sign(
    *,
    scope: Scope,
    appointment: Appointment,
    signer_name: str,
    signature: str,
    now: dt.datetime,
    today: dt.date,
    request=None,
) -> Consent:
    """Sign the consent to an appointment's one-session plan and start the plan, together.

    Either both happen or neither: a plan whose screening blocks it is not started,
    and then no consent is kept either.
    """
    if appointment.organisation_id != scope.organisation_id:
        raise PermissionDenied("appointment of another organisation")
    scope = scope.in_clinic(appointment.clinic_id)
    scope.require("plans.create")
    appointment = Appointment.objects.select_for_update().get(pk=appointment.pk)
    plan = walkin_plan_of(appointment)
    if plan is None:
        raise ValidationError(_("Plan the single session first."))
    if plan.status != PlanStatus.DRAFT:
        raise ValidationError(_("Consent is collected before the plan starts."))
    consent = consent_sign(
        scope=scope,
        plan=plan,
        signer_name=signer_name,
        signature=signature,
        now=now,
        today=today,
        request=request,
    )
    plan_activate(scope=scope, plan=plan, now=now, today=today, request=request)
    return consent
