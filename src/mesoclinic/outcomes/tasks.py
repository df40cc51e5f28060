"""Follow-up reminders: on the day a course's follow-up falls due, its practitioner is told.

`mesoclinic reminders` (daily) calls `followup_reminders_enqueue`; a follow-up is
e-mailed once, on the day it falls due (the course's last session, or six months
after it), and stays on the home pages until its score is recorded.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Max, Q
from django.utils import formats, translation
from django.utils.translation import gettext as _
from django_tasks import task

from mesoclinic.accounts.models import User
from mesoclinic.audit.models import AuditAction
from mesoclinic.audit.services import audit_record
from mesoclinic.charting.models import SessionStatus
from mesoclinic.consultations.models import PlanStatus, TreatmentPlan
from mesoclinic.core.screening import add_months
from mesoclinic.outcomes.models import OutcomeScore, Timepoint
from mesoclinic.outcomes.selectors import MAINTENANCE_MONTHS


def plans_falling_due(*, day: dt.date) -> list[tuple[int, str]]:
    """(plan id, time point) of every finished course whose follow-up falls due on `day`."""
    signed = Q(treatment_sessions__status=SessionStatus.SIGNED)
    plans = TreatmentPlan.objects.filter(
        status__in=[PlanStatus.ACTIVE, PlanStatus.COMPLETED]
    ).annotate(last_session=Max("treatment_sessions__session_date", filter=signed))
    due = []
    for timepoint, months in (
        (Timepoint.FOLLOW_UP, 0),
        (Timepoint.MAINTENANCE, MAINTENANCE_MONTHS),
    ):
        last = add_months(day, -months)
        for plan in plans.filter(last_session=last).only("pk", "status", "sessions"):
            if plan.status != PlanStatus.COMPLETED and (
                plan.treatment_sessions.filter(status=SessionStatus.SIGNED).count() < plan.sessions
            ):
                continue
            if OutcomeScore.objects.filter(plan=plan, timepoint=timepoint).exists():
                continue
            due.append((plan.pk, str(timepoint)))
    return due


@task()
def followup_reminder_send(plan_id: int, timepoint: str) -> bool:
    """E-mail the course's practitioner that its follow-up is due; False without an address."""
    plan = TreatmentPlan.objects.select_related("patient", "practitioner", "clinic").get(pk=plan_id)
    practitioner: User = plan.practitioner
    if not practitioner.email:
        return False
    with translation.override(getattr(practitioner, "language", "") or settings.LANGUAGE_CODE):
        kind = str(Timepoint(timepoint).label)
        subject = _("Follow-up due: %(patient)s") % {"patient": plan.patient.full_name}
        body = _(
            "%(kind)s is due for %(patient)s (course started %(start)s at %(clinic)s).\n\n"
            "Please take the follow-up photos and record the outcome scores: the "
            "practitioner's scales and the patient's own (satisfaction, GAIS)."
        ) % {
            "kind": kind,
            "patient": plan.patient.full_name,
            "start": formats.date_format(plan.target_start, "DATE_FORMAT"),
            "clinic": plan.clinic,
        }
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [practitioner.email])
    audit_record(
        action=AuditAction.EXPORT,
        obj=plan,
        actor=practitioner,
        organisation_id=plan.organisation_id,
        detail={"reminder": "follow-up", "timepoint": timepoint},
    )
    return True


def followup_reminders_enqueue(*, day: dt.date) -> list[tuple[int, str]]:
    """Enqueue a reminder for every follow-up falling due on `day`; returns what was queued."""
    due = plans_falling_due(day=day)
    for plan_id, timepoint in due:
        transaction.on_commit(lambda p=plan_id, t=timepoint: followup_reminder_send.enqueue(p, t))
    return due
