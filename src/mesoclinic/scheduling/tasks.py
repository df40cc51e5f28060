"""Background work of scheduling: appointment reminders by e-mail.

Runs through Django's tasks interface (django-tasks): in-process by default, on a
worker when TASKS_BACKEND names one. `mesoclinic reminders` (run daily by cron or a
timer) enqueues each clinic's own tomorrow's reminders.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.urls import reverse
from django.utils import formats, translation
from django.utils.translation import gettext as _
from django_tasks import task

from mesoclinic.accounts.models import Clinic
from mesoclinic.audit.models import AuditAction
from mesoclinic.audit.services import audit_record
from mesoclinic.scheduling.models import ACTIVE_STATUSES, Appointment


@task()
def appointment_reminder_send(appointment_id: int) -> bool:
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
    """The patient's portal page of the visit, if they have an account and the site's
    address is known."""
    from mesoclinic.portal.models import PortalAccount

    if not settings.PORTAL_BASE_URL:
        return ""
    if not PortalAccount.objects.filter(patient_id=appointment.patient_id, active=True).exists():
        return ""
    return settings.PORTAL_BASE_URL + reverse("portal:appointment", args=[appointment.pk])


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
