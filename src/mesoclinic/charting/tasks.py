"""Background work of the session day: the aftercare sheet by e-mail.

Runs through Django's tasks interface (django-tasks): in-process by default, on a
worker (`mesoclinic worker`); a mail server that is down is tried again later.
"""

from __future__ import annotations

import smtplib

from django.conf import settings
from django.core.mail import EmailMessage
from django.utils import translation
from django.utils.translation import gettext as _
from django_tasks import task

from mesoclinic.accounts.locales import locale_language
from mesoclinic.audit.models import AuditAction
from mesoclinic.audit.services import audit_record
from mesoclinic.charting.aftercare import aftercare_pdf, patient_date
from mesoclinic.charting.models import SessionStatus, TreatmentSession
from mesoclinic.jobs.worker import retry


@task()
@retry(smtplib.SMTPException, OSError, max_attempts=5, backoff_s=60)
def aftercare_email_send(session_id: int, user_id: int | None = None) -> bool:
    """E-mail the aftercare PDF to the patient in their language; False if nothing to send."""
    session = (
        TreatmentSession.objects.select_related("patient", "clinic")
        .filter(pk=session_id, status=SessionStatus.SIGNED)
        .first()
    )
    if session is None or not session.patient.email:
        return False
    language = session.patient.preferred_language or "en"
    pdf = aftercare_pdf(session=session, language=language)
    code = locale_language(language=language, clinic_locale=session.clinic.locale)
    with translation.override(code):
        subject = _("Aftercare after your session at %(clinic)s") % {"clinic": session.clinic}
        body = _(
            "Hello %(name)s,\n\nattached are the aftercare instructions for your session "
            "of %(date)s. If you notice increasing pain, swelling, warmth, pus or fever, "
            "call us: %(phone)s."
        ) % {
            "name": session.patient.given_name,
            "date": patient_date(session.session_date),
            "phone": session.clinic.phone or "—",
        }
        filename = _("aftercare") + f"-{session.session_date.isoformat()}.pdf"
    message = EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [session.patient.email])
    message.attach(filename, pdf, "application/pdf")
    message.send()
    audit_record(
        action=AuditAction.EXPORT,
        obj=session,
        organisation_id=session.organisation_id,
        detail={"aftercare": "email", "language": language},
    )
    return True
