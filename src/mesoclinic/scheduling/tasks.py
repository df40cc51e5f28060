"""Background work of scheduling: appointment reminders by e-mail, the clinic planner.

Runs through Django's tasks interface (django-tasks) on `mesoclinic worker`. Each
day `mesoclinic reminders` (cron or a timer) starts one job per clinic for the
clinic's own tomorrow; the job sends the reminders one by one with its progress on
the Background work page, and is tried again later if the mail server is down (a
reminder already sent is not sent twice).
"""

from __future__ import annotations

import datetime as dt
import smtplib

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import formats, translation
from django.utils.translation import gettext as _
from django_tasks import task

from mesoclinic.accounts.models import Clinic
from mesoclinic.audit.models import AuditAction, AuditEvent
from mesoclinic.audit.services import audit_record
from mesoclinic.jobs.services import job_enqueue, job_progress
from mesoclinic.jobs.worker import retry
from mesoclinic.scheduling.models import ACTIVE_STATUSES, Appointment

# A mail server that is down or refuses for a while: try again after 1, 2, 4, 8 minutes.
TRANSIENT_MAIL_ERRORS = (smtplib.SMTPException, OSError)


@task()
def planner_run_task(run_id: int) -> None:
    """Plan one clinic planner run (see planner_runs.planner_run_execute)."""
    from mesoclinic.scheduling.planner_runs import planner_run_execute

    planner_run_execute(run_id)


@task()
@retry(*TRANSIENT_MAIL_ERRORS, max_attempts=5, backoff_s=60)
def appointment_reminder_send(appointment_id: int) -> bool:
    """E-mail one patient a reminder in their language; False if there is nothing to send."""
    return reminder_send(appointment_id)


@task()
@retry(*TRANSIENT_MAIL_ERRORS, max_attempts=5, backoff_s=60)
def clinic_reminders_send(clinic_id: int, appointment_ids: list[int]) -> int:
    """Send one clinic's reminders of a day, reporting progress; returns how many were sent.

    A reminder already sent (on the audit trail) is skipped, so a retry after a mail
    failure half-way sends each reminder once.
    """
    already = set(
        AuditEvent.objects.filter(
            object_type=Appointment._meta.label,
            object_id__in=[str(pk) for pk in appointment_ids],
            action=AuditAction.EXPORT,
            detail__reminder="email",
        ).values_list("object_id", flat=True)
    )
    sent = 0
    total = len(appointment_ids)
    for done, pk in enumerate(appointment_ids, start=1):
        if str(pk) not in already and reminder_send(pk):
            sent += 1
        job_progress(done / total, f"{done} / {total}")
    return sent


def reminder_send(appointment_id: int) -> bool:
    """E-mail one patient a reminder in their language; False if there is nothing to send."""
    appointment = (
        Appointment.objects.select_related("patient", "clinic", "practitioner")
        .filter(pk=appointment_id, status__in=ACTIVE_STATUSES)
        .first()
    )
    if appointment is None:
        return False
    patient = appointment.patient
    if not patient.email and not patient.phone:
        return False
    local = appointment.starts_at.astimezone(appointment.clinic.zone)
    link = _portal_link(appointment)
    with translation.override(patient.preferred_language):
        subject = _("Reminder: your appointment at %(clinic)s") % {"clinic": appointment.clinic}
        facts = {
            "name": patient.given_name,
            "clinic": appointment.clinic,
            "date": formats.date_format(local.date(), "DATE_FORMAT"),
            "time": local.strftime("%H:%M"),
            "practitioner": appointment.practitioner,
            "phone": appointment.clinic.phone or "—",
        }
        body = (
            _(
                "Hello %(name)s,\n\nthis is a reminder of your appointment at %(clinic)s on "
                "%(date)s at %(time)s with %(practitioner)s.\n\nBefore a mesotherapy session, "
                "tell us if you are pregnant or may be, have a fever, an infection or active "
                "herpes, have started new medicines, or had another cosmetic procedure or "
                "surgery since your last visit.\n\nIf you cannot come, please call us: "
                "%(phone)s."
            )
            % facts
        )
        if link:
            body += "\n\n" + _("To confirm or change your visit: %(link)s") % {"link": link}
        sms = (
            _("%(clinic)s: your visit on %(date)s at %(time)s. Call %(phone)s to change it.")
            % facts
        )
        if link:
            sms += " " + link
    sent = []
    if patient.email:
        message = EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [patient.email])
        message.attach(f"visit-{appointment.pk}.ics", appointment_ics(appointment), "text/calendar")
        message.send()
        sent.append("email")
    if patient.phone:
        from mesoclinic.portal.sms import sms_send

        sms_send(to=patient.phone, text=sms)
        sent.append("sms")
    audit_record(
        action=AuditAction.EXPORT,
        obj=appointment,
        organisation_id=appointment.organisation_id,
        detail={"reminder": "+".join(sent)},
    )
    return True


def _portal_link(appointment: Appointment) -> str:
    """The reminder's signed link to confirm the visit (or go on to move it), if the
    site's address is known; it needs no portal account to confirm."""
    from mesoclinic.portal.services import visit_link_url

    return visit_link_url(appointment=appointment)


def appointment_ics(appointment: Appointment) -> bytes:
    """One visit as an iCalendar file (UTC times), for e-mails and the portal."""
    stamp = "%Y%m%dT%H%M%SZ"

    def text(value: str) -> str:
        return (
            value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")
        )

    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Mesoclinic//Visit//EN",
        "BEGIN:VEVENT",
        f"UID:appointment-{appointment.pk}@mesoclinic",
        f"DTSTAMP:{appointment.created_at.astimezone(dt.UTC).strftime(stamp)}",
        f"DTSTART:{appointment.starts_at.astimezone(dt.UTC).strftime(stamp)}",
        f"DTEND:{appointment.ends_at.astimezone(dt.UTC).strftime(stamp)}",
        f"SUMMARY:{text(appointment.clinic.name)}",
        f"LOCATION:{text(appointment.clinic.address)}",
        "END:VEVENT",
        "END:VCALENDAR",
    ]
    return ("\r\n".join(lines) + "\r\n").encode()


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
        ids = list(
            Appointment.objects.filter(
                clinic=clinic,
                status__in=ACTIVE_STATUSES,
                starts_at__gte=start,
                starts_at__lt=end,
            )
            .order_by("starts_at", "pk")
            .values_list("pk", flat=True)
        )
        if not ids:
            continue
        transaction.on_commit(
            lambda clinic=clinic, ids=ids, clinic_day=clinic_day: job_enqueue(
                clinic_reminders_send,
                clinic.pk,
                ids,
                organisation_id=clinic.organisation_id,
                clinic_id=clinic.pk,
                kind="reminders",
                subject=formats.date_format(clinic_day, "DATE_FORMAT"),
            )
        )
        queued.extend(ids)
    return queued
