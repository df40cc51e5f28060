"""Background work of scheduling: appointment reminders by e-mail, the clinic planner.

Runs through Django's tasks interface (django-tasks): in-process by default, on a
worker when TASKS_BACKEND names one. `mesoclinic reminders` (run daily by cron or a
timer) enqueues each clinic's own tomorrow's reminders.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import formats, translation
from django.utils.translation import gettext as _
from django_tasks import task

from mesoclinic.accounts.models import Clinic
from mesoclinic.audit.models import AuditAction
from mesoclinic.audit.services import audit_record
from mesoclinic.scheduling.models import ACTIVE_STATUSES, Appointment


@task()
def planner_run_task(run_id: int) -> None:
    """Plan one clinic planner run (see planner_runs.planner_run_execute)."""
    from mesoclinic.scheduling.planner_runs import planner_run_execute

    planner_run_execute(run_id)


@task()
def appointment_reminder_send(appointment_id: int) -> bool:
    """E-mail one patient a reminder in their language; False if there is nothing to send."""
    appointment = (
        Appointment.objects.select_related("patient", "clinic", "practitioner")
        .filter(pk=appointment_id, status__in=ACTIVE_STATUSES)
        .first()
    )
    if appointment is None or not appointment.patient.email:
        return False
    local = appointment.starts_at.astimezone(appointment.clinic.zone)
    with translation.override(appointment.patient.preferred_language):
        subject = _("Reminder: your appointment at %(clinic)s") % {"clinic": appointment.clinic}
        body = _(
            "Hello %(name)s,\n\nthis is a reminder of your appointment at %(clinic)s on "
            "%(date)s at %(time)s with %(practitioner)s.\n\nBefore a mesotherapy session, "
            "tell us if you are pregnant or may be, have a fever, an infection or active "
            "herpes, have started new medicines, or had another cosmetic procedure or "
            "surgery since your last visit.\n\nIf you cannot come, please call us: "
            "%(phone)s."
        ) % {
            "name": appointment.patient.given_name,
            "clinic": appointment.clinic,
            "date": formats.date_format(local.date(), "DATE_FORMAT"),
            "time": local.strftime("%H:%M"),
            "practitioner": appointment.practitioner,
            "phone": appointment.clinic.phone or "—",
        }
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [appointment.patient.email])
    audit_record(
        action=AuditAction.EXPORT,
        obj=appointment,
        organisation_id=appointment.organisation_id,
        detail={"reminder": "email"},
    )
    return True


def reminders_enqueue(*, day: dt.date | None = None, now: dt.datetime | None = None) -> list[int]:
    """Enqueue reminders for active appointments; returns the appointments' ids.

    With `day`, the appointments on that date in each clinic's own time zone. Without
    it, each clinic's own tomorrow as of `now`: at 22:30 UTC Moscow is already a day
    ahead of London, so each clinic gets the reminders of its own next day.
    """
    if day is None and now is None:
        raise ValueError("reminders_enqueue needs a day or the current time")
    queued: list[int] = []
    for clinic in Clinic.objects.all():
        clinic_day = day or now.astimezone(clinic.zone).date() + dt.timedelta(days=1)
        start = dt.datetime.combine(clinic_day, dt.time.min, tzinfo=clinic.zone)
        end = dt.datetime.combine(
            clinic_day + dt.timedelta(days=1), dt.time.min, tzinfo=clinic.zone
        )
        ids = Appointment.objects.filter(
            clinic=clinic,
            status__in=ACTIVE_STATUSES,
            starts_at__gte=start,
            starts_at__lt=end,
        ).values_list("pk", flat=True)
        for pk in ids:
            transaction.on_commit(lambda pk=pk: appointment_reminder_send.enqueue(pk))
            queued.append(pk)
    return queued
