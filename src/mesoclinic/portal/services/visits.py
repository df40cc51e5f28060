"""Links in visit reminders: confirm the visit without signing in, or go on to move it.

A link is signed for one purpose (confirming), one appointment and that appointment's
start: moving the visit makes older links useless, and a link stops working when the
visit has begun or after VISIT_LINK_DAYS, whichever comes first.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from mesoclinic.accounts.models import Role
from mesoclinic.portal.services.access import portal_scope
from mesoclinic.scheduling.models import Appointment, AppointmentStatus

VISIT_LINK_DAYS = 14
_SALT = "mesoclinic.portal.visit-confirm"


def _signer() -> signing.TimestampSigner:
    return signing.TimestampSigner(salt=_SALT)


def visit_link_token(*, appointment: Appointment) -> str:
    """The signed token of a reminder's confirm link for this appointment at its start."""
    return _signer().sign(f"{appointment.pk}.{int(appointment.starts_at.timestamp())}")


def visit_link_url(*, appointment: Appointment) -> str:
    """The full confirm link for a reminder, or "" when the site's address is not set."""
    if not settings.PORTAL_BASE_URL:
        return ""
    return settings.PORTAL_BASE_URL + reverse(
        "portal:visit_link", kwargs={"token": visit_link_token(appointment=appointment)}
    )


def visit_link_appointment(*, token: str, now: dt.datetime) -> Appointment | None:
    """The appointment a confirm link names, or None if the link is forged, expired, for
    a visit that has moved, begun, or is no longer booked."""
    try:
        value = _signer().unsign(token, max_age=dt.timedelta(days=VISIT_LINK_DAYS))
        pk, stamp = (int(part) for part in value.split("."))
    except (signing.BadSignature, ValueError):
        return None
    appointment = (
        Appointment.objects.select_related("clinic", "practitioner", "patient")
        .filter(pk=pk)
        .first()
    )
    if appointment is None or int(appointment.starts_at.timestamp()) != stamp:
        return None
    if appointment.starts_at <= now:
        return None
    if appointment.status not in (AppointmentStatus.BOOKED, AppointmentStatus.CONFIRMED):
        return None
    return appointment


@transaction.atomic
def appointment_confirm_online(*, token: str, now: dt.datetime, request=None) -> Appointment:
    """The patient confirms the visit from a reminder's link: the appointment becomes
    confirmed (shown on the calendar and the day list). Confirming twice is harmless."""
    appointment = visit_link_appointment(token=token, now=now)
    if appointment is None:
        raise ValidationError(
            _("This link no longer works: the visit has changed or the link has expired.")
        )
    appointment = Appointment.objects.select_for_update().get(pk=appointment.pk)
    if appointment.status == AppointmentStatus.CONFIRMED:
        return appointment
    from mesoclinic.scheduling.services import appointment_status_set

    scope = portal_scope(
        patient=appointment.patient,
        clinic=appointment.clinic,
        roles=frozenset({Role.RECEPTIONIST}),
    )
    with translation.override(appointment.clinic.language):
        reason = _("by the patient, from the reminder")
    return appointment_status_set(
        scope=scope,
        appointment=appointment,
        status=AppointmentStatus.CONFIRMED,
        expected_version=appointment.version,
        reason=str(reason),
        request=request,
    )
