"""Slots: whether a practitioner, room and device are free and the clinic open."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from mesoclinic.accounts.locales import current_language
from mesoclinic.accounts.models import Clinic, Membership, OpeningHours, Role, User
from mesoclinic.accounts.scope import Scope
from mesoclinic.core.knowledge import load_knowledge
from mesoclinic.scheduling.models import (
    Absence,
    AppointmentStatus,
    Credential,
    Device,
    Holiday,
    PractitionerBreak,
    Room,
    WorkingHours,
)
from mesoclinic.scheduling.services.rules import booking_rules_check

# Which status may follow which. Done, no-show, cancelled and postponed are final for
# that appointment: a postponed session is booked again as a new appointment.
TRANSITIONS: dict[str, set[str]] = {
    AppointmentStatus.BOOKED: {"confirmed", "arrived", "no_show", "cancelled", "postponed"},
    AppointmentStatus.CONFIRMED: {"arrived", "no_show", "cancelled", "postponed"},
    AppointmentStatus.ARRIVED: {"done", "postponed", "cancelled"},
    AppointmentStatus.DONE: set(),
    AppointmentStatus.NO_SHOW: set(),
    AppointmentStatus.CANCELLED: set(),
    AppointmentStatus.POSTPONED: set(),
}


_CONSTRAINT_FIELDS = {
    "appt_no_double_practitioner": "practitioner",
    "appt_no_double_room": "room",
    "appt_no_double_device": "device",
    "appt_no_double_patient": "patient",
}


@dataclass(frozen=True)
class Slot:
    clinic: Clinic
    practitioner: User
    starts_at: dt.datetime
    ends_at: dt.datetime
    technique_id: str
    room: Room | None
    device: Device | None


def _local(clinic: Clinic, moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(clinic.zone)


def _fmt_range(clinic: Clinic, start: dt.datetime, end: dt.datetime) -> str:
    s, e = _local(clinic, start), _local(clinic, end)
    return f"{formats.date_format(s.date(), 'SHORT_DATE_FORMAT')} {s:%H:%M}–{e:%H:%M}"


def _covered(ranges: list[tuple[dt.time, dt.time]], start: dt.time, end: dt.time) -> bool:
    return any(a <= start and end <= b for a, b in ranges)


def booking_window_check(*, clinic: Clinic, starts_at: dt.datetime, now: dt.datetime) -> None:
    """Refuse a start in the past or beyond the booking horizon (`BOOKING_HORIZON_DAYS`).

    The horizon counts days from today in the clinic's zone, so "a year ahead" means the
    same calendar day everywhere in the clinic.
    """
    start = _local(clinic, starts_at)
    shown = f"{formats.date_format(start.date(), 'SHORT_DATE_FORMAT')} {start:%H:%M}"
    if starts_at < now:
        raise ValidationError(
            {"day": _("%(when)s is in the past: choose a later date or time.") % {"when": shown}}
        )
    last_day = _local(clinic, now).date() + dt.timedelta(days=settings.BOOKING_HORIZON_DAYS)
    if start.date() > last_day:
        raise ValidationError(
            {
                "day": _("Appointments can be booked up to %(days)s days ahead (until %(last)s).")
                % {
                    "days": settings.BOOKING_HORIZON_DAYS,
                    "last": formats.date_format(last_day, "SHORT_DATE_FORMAT"),
                }
            }
        )


def slot_check(
    *,
    scope: Scope,
    clinic: Clinic,
    practitioner: User,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    technique_id: str,
    room: Room | None,
    device: Device | None,
    patient=None,
    plan_id: int | None = None,
    ignore_id: int | None = None,
) -> list[tuple[str, str]]:
    """Every booking rule the slot breaks, as (field, message); empty when it is bookable.

    With `patient` (every booking gives it), the clinic's hard rules for the patient,
    the course of `plan_id`, the room's cleaning and the practitioner's daily maximum
    are checked too (`booking_rules_check`); `ignore_id` is the appointment being moved.
    """
    problems: list[tuple[str, str]] = []
    if timezone.is_naive(starts_at) or timezone.is_naive(ends_at):
        raise ValueError("appointment times must be aware datetimes")
    if ends_at <= starts_at:
        return [("duration", _("An appointment must end after it starts."))]
    start, end = _local(clinic, starts_at), _local(clinic, ends_at)
    if start.date() != end.date():
        # Opening hours are ranges within a day, so running past midnight is always
        # outside them: say so, as for any other late start.
        return [
            (
                "starts_at",
                _("%(when)s is outside the clinic's opening hours.")
                % {"when": _fmt_range(clinic, starts_at, ends_at)},
            )
        ]
    day, weekday = start.date(), start.weekday()
    hours = list(
        OpeningHours.objects.filter(clinic=clinic, weekday=weekday).values_list("opens", "closes")
    )
    if Holiday.objects.filter(clinic=clinic, day=day).exists():
        problems.append(
            ("starts_at", _("The clinic is closed on %(day)s (holiday).") % {"day": day})
        )
    elif not _covered(hours, start.time(), end.time()):
        problems.append(
            (
                "starts_at",
                _("%(when)s is outside the clinic's opening hours.")
                % {"when": _fmt_range(clinic, starts_at, ends_at)},
            )
        )
    if not Membership.objects.filter(
        user=practitioner, clinic=clinic, role=Role.PRACTITIONER
    ).exists():
        problems.append(
            (
                "practitioner",
                _("%(name)s is not a practitioner at %(clinic)s.")
                % {"name": practitioner, "clinic": clinic},
            )
        )
    own_hours = list(
        WorkingHours.objects.filter(
            practitioner=practitioner, clinic=clinic, weekday=weekday
        ).values_list("starts", "ends")
    )
    has_schedule = WorkingHours.objects.filter(practitioner=practitioner, clinic=clinic).exists()
    if has_schedule and not _covered(own_hours, start.time(), end.time()):
        problems.append(
            (
                "starts_at",
                _("%(name)s does not work at %(when)s.")
                % {"name": practitioner, "when": _fmt_range(clinic, starts_at, ends_at)},
            )
        )
    for absence in Absence.objects.filter(
        practitioner=practitioner, first_day__lte=day, last_day__gte=day
    ):
        if absence.starts is None or absence.ends is None:
            problems.append(
                (
                    "practitioner",
                    _("%(name)s is absent on %(day)s.") % {"name": practitioner, "day": day},
                )
            )
        elif absence.starts < end.time() and start.time() < absence.ends:
            problems.append(
                (
                    "practitioner",
                    _("%(name)s is away on %(day)s from %(from)s to %(until)s.")
                    % {
                        "name": practitioner,
                        "day": day,
                        "from": absence.starts.strftime("%H:%M"),
                        "until": absence.ends.strftime("%H:%M"),
                    },
                )
            )
    for b_start, b_end in PractitionerBreak.objects.filter(
        practitioner=practitioner, clinic=clinic, weekday=weekday
    ).values_list("starts", "ends"):
        if b_start < end.time() and start.time() < b_end:
            problems.append(
                (
                    "starts_at",
                    _("%(name)s has a break from %(from)s to %(until)s.")
                    % {
                        "name": practitioner,
                        "from": b_start.strftime("%H:%M"),
                        "until": b_end.strftime("%H:%M"),
                    },
                )
            )
    kb = load_knowledge()
    technique = kb.technique.get(technique_id) if technique_id else None
    if technique_id and technique is None:
        problems.append(("technique_id", _("Unknown technique %(id)s.") % {"id": technique_id}))
    if technique is not None:
        if not Credential.objects.filter(
            practitioner=practitioner, technique_id=technique_id
        ).exists():
            problems.append(
                (
                    "practitioner",
                    _("%(name)s is not credentialed for %(technique)s.")
                    % {"name": practitioner, "technique": technique.name.get(current_language())},
                )
            )
        if technique.kind == "needle-free":
            if device is None:
                problems.append(
                    (
                        "device",
                        _("%(technique)s needs a device.")
                        % {"technique": technique.name.get(current_language())},
                    )
                )
            elif technique_id not in device.technique_ids:
                problems.append(
                    (
                        "device",
                        _("%(device)s cannot deliver %(technique)s.")
                        % {"device": device, "technique": technique.name.get(current_language())},
                    )
                )
    if room is not None and room.clinic_id != clinic.pk:
        problems.append(("room", _("That room belongs to another clinic.")))
    if device is not None and device.clinic_id != clinic.pk:
        problems.append(("device", _("That device belongs to another clinic.")))
    if patient is not None:
        problems += booking_rules_check(
            clinic=clinic,
            patient=patient,
            practitioner=practitioner,
            starts_at=starts_at,
            ends_at=ends_at,
            room=room,
            plan_id=plan_id,
            ignore_id=ignore_id,
        ).problems
    return problems
