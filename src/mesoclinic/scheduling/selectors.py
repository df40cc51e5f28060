"""Reads for the calendar: appointments of a clinic over a period, by practitioner or room."""

from __future__ import annotations

import datetime as dt

from django.db.models import QuerySet

from mesoclinic.accounts.models import Clinic, Role, User
from mesoclinic.accounts.scope import Scope, get_in_clinic_or_404, in_my_clinics, scoped
from mesoclinic.scheduling.models import Appointment, CalendarFeed, Room


def clinic_practitioners(*, scope: Scope, clinic: Clinic) -> QuerySet[User]:
    """Practitioners working in the clinic, by name."""
    return (
        User.objects.filter(
            organisation_id=scope.organisation_id,
            memberships__clinic=clinic,
            memberships__role=Role.PRACTITIONER,
            is_active=True,
        )
        .distinct()
        .order_by("display_name", "username")
    )


def users_by_id(*, scope: Scope, ids) -> QuerySet[User]:
    """Staff of the user's organisation by id (a past appointment's practitioner)."""
    return User.objects.filter(organisation_id=scope.organisation_id, pk__in=ids)


def clinic_rooms(*, scope: Scope, clinic: Clinic) -> QuerySet[Room]:
    return scoped(Room, scope, permission="schedule.view").filter(clinic=clinic, active=True)


def appointment_list(
    *,
    scope: Scope,
    clinic: Clinic,
    first_day: dt.date,
    last_day: dt.date,
    practitioner_id: int | None = None,
    room_id: int | None = None,
) -> QuerySet[Appointment]:
    """Appointments starting on [first_day, last_day] in the clinic's own time zone."""
    zone = clinic.zone
    start = dt.datetime.combine(first_day, dt.time.min, tzinfo=zone)
    end = dt.datetime.combine(last_day + dt.timedelta(days=1), dt.time.min, tzinfo=zone)
    qs = (
        scoped(Appointment, scope, permission="schedule.view")
        .filter(clinic=clinic, starts_at__gte=start, starts_at__lt=end)
        .select_related("patient", "practitioner", "room", "device")
        .order_by("starts_at", "pk")
    )
    if practitioner_id:
        qs = qs.filter(practitioner_id=practitioner_id)
    if room_id:
        qs = qs.filter(room_id=room_id)
    return qs


# What one calendar card shows, read as plain rows: a week holds ~200 appointments and
# building a model instance for each, its patient, practitioner and room was a large part
# of the page's time.
CALENDAR_FIELDS = (
    "pk",
    "status",
    "starts_at",
    "ends_at",
    "session_number",
    "practitioner_id",
    "room_id",
    "room__name",
    "patient_id",
    "patient__family_name",
    "patient__given_name",
    "patient__middle_name",
)


def calendar_appointments(
    *,
    scope: Scope,
    clinic: Clinic,
    first_day: dt.date,
    last_day: dt.date,
    practitioner_id: int | None = None,
) -> QuerySet:
    """The calendar's appointments of [first_day, last_day] as dicts of CALENDAR_FIELDS."""
    return appointment_list(
        scope=scope,
        clinic=clinic,
        first_day=first_day,
        last_day=last_day,
        practitioner_id=practitioner_id,
    ).values(*CALENDAR_FIELDS)


def appointment_get(*, scope: Scope, appointment_id: int) -> Appointment:
    """One appointment of one of the user's clinics (any role there), or 404."""
    return get_in_clinic_or_404(
        Appointment.objects.select_related("patient", "practitioner", "room", "device", "clinic"),
        scope,
        permission="schedule.view",
        pk=appointment_id,
    )


def patient_appointments(*, scope: Scope, patient_id: int) -> QuerySet[Appointment]:
    return (
        in_my_clinics(scoped(Appointment, scope, permission="schedule.view"), scope)
        .filter(patient_id=patient_id)
        .select_related("practitioner", "clinic", "room")
        .order_by("starts_at")
    )


def feed_by_token(*, token: str) -> CalendarFeed | None:
    """The live feed with this secret token (feeds are read without signing in)."""
    return (
        CalendarFeed.objects.filter(token=token, revoked_at__isnull=True)
        .select_related("practitioner", "patient")
        .first()
    )
