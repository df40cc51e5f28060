"""The clinic's hard rules for one booking, in one place for every booking path.

The planner keeps these rules when it proposes (`mesoclinic.core.planning`); a booking
made any other way (the calendar's booking form, a course booked or re-planned on its
page, the planner's *Book all*, the portal's online booking, moving an appointment)
goes through `slot_check`, which calls `booking_rules_check` here. So a receptionist
cannot book by hand what the planner would never propose:

* the patient's weekly availability and the dates they cannot come;
* a course kept with one practitioner, its last allowed date and the room equipment
  it needs;
* the room's cleaning time after each session, ending by closing time;
* the practitioner's daily maximum of sessions and minutes in the clinic, counting
  the appointments already booked that day.

The patient's preferences (weekdays, times, the plan's practitioner) are soft: they
come back as warnings, never as refusals. Breaks, partial-day absences and devices
serving several techniques are checked by `slot_check` itself.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.utils import formats
from django.utils.translation import gettext as _

from mesoclinic.accounts.models import Clinic, OpeningHours, User, Weekday
from mesoclinic.patients.models import Patient
from mesoclinic.scheduling.models import (
    ACTIVE_STATUSES,
    Appointment,
    AppointmentStatus,
    CourseTerms,
    PatientAvailability,
    PractitionerLimit,
    Room,
    RoomFeature,
)


@dataclass(frozen=True)
class RuleCheck:
    """What the clinic's rules say about one booking.

    `problems` are (form field, message) pairs that refuse it; `warnings` are the
    patient's preferences it does not meet.
    """

    problems: list[tuple[str, str]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _day(value: dt.date) -> str:
    return formats.date_format(value, "SHORT_DATE_FORMAT")


def _hhmm(value: dt.time) -> str:
    return value.strftime("%H:%M")


def _weekdays(days) -> str:
    return ", ".join(str(Weekday(int(d)).label) for d in sorted(days))


def _features(names) -> str:
    labels = dict(RoomFeature.choices)
    return ", ".join(str(labels.get(n, n)) for n in sorted(names))


def _others(ignore_id: int | None):
    rows = Appointment.objects.filter(status__in=ACTIVE_STATUSES)
    return rows.exclude(pk=ignore_id) if ignore_id is not None else rows


def course_practitioner(*, plan_id: int, ignore_id: int | None = None) -> User | None:
    """The practitioner a one-practitioner course is held to, or None if none yet.

    Who gave its latest session that took place, else who holds its first booked one:
    the same choice the planner makes (`Course.previous_practitioner`).
    """
    others = _others(ignore_id).filter(plan_id=plan_id).select_related("practitioner")
    taken = others.filter(status__in=(AppointmentStatus.DONE, AppointmentStatus.ARRIVED))
    held = taken.order_by("-starts_at").first() or others.order_by("starts_at").first()
    return held.practitioner if held else None


def _availability(availability, start: dt.datetime, end: dt.datetime, check: RuleCheck) -> None:
    day = start.date()
    if day.isoformat() in (availability.unavailable_dates or []):
        check.problems.append(
            ("day", _("The patient cannot come on %(day)s.") % {"day": _day(day)})
        )
    weekdays = availability.available_weekdays or []
    if weekdays and day.weekday() not in [int(d) for d in weekdays]:
        check.problems.append(
            (
                "day",
                _("The patient can only come on %(days)s, not on %(day)s.")
                % {"days": _weekdays(weekdays), "day": _day(day)},
            )
        )
    lo, hi = availability.available_from, availability.available_until
    if lo and hi and not (lo <= start.time() and end.time() <= hi):
        check.problems.append(
            (
                "time",
                _("The patient can only come between %(from)s and %(until)s.")
                % {"from": _hhmm(lo), "until": _hhmm(hi)},
            )
        )
    preferred = availability.preferred_weekdays or []
    if preferred and day.weekday() not in [int(d) for d in preferred]:
        check.warnings.append(
            _("The patient prefers to come on %(days)s.") % {"days": _weekdays(preferred)}
        )
    lo, hi = availability.preferred_from, availability.preferred_until
    if lo and hi and not (lo <= start.time() and end.time() <= hi):
        check.warnings.append(
            _("The patient prefers to come between %(from)s and %(until)s.")
            % {"from": _hhmm(lo), "until": _hhmm(hi)}
        )


def _course(
    plan_id: int,
    practitioner: User,
    room: Room | None,
    day: dt.date,
    ignore_id: int | None,
    check: RuleCheck,
) -> None:
    from mesoclinic.consultations.models import TreatmentPlan

    terms = CourseTerms.objects.filter(plan_id=plan_id).first()
    if terms is not None and terms.same_practitioner:
        held = course_practitioner(plan_id=plan_id, ignore_id=ignore_id)
        if held is not None and held.pk != practitioner.pk:
            check.problems.append(
                (
                    "practitioner",
                    _(
                        "This course stays with one practitioner: %(held)s gives every "
                        "session, not %(other)s."
                    )
                    % {"held": held, "other": practitioner},
                )
            )
    if terms is not None and terms.latest_finish is not None and day > terms.latest_finish:
        check.problems.append(
            (
                "day",
                _("The course must finish by %(last)s; %(day)s is later.")
                % {"last": _day(terms.latest_finish), "day": _day(day)},
            )
        )
    needs = set(terms.room_needs or []) if terms is not None else set()
    if room is not None and needs - set(room.features or []):
        check.problems.append(
            (
                "room",
                _("%(room)s does not have what this course needs: %(needs)s.")
                % {"room": room, "needs": _features(needs - set(room.features or []))},
            )
        )
    preferred = (
        TreatmentPlan.objects.filter(pk=plan_id).values_list("practitioner_id", flat=True).first()
    )
    if preferred and preferred != practitioner.pk:
        name = User.objects.filter(pk=preferred).first()
        check.warnings.append(
            _("The plan names %(name)s as the patient's practitioner.") % {"name": name}
        )


def room_cleaning_problems(
    *,
    clinic: Clinic,
    room: Room,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    ignore_id: int | None = None,
) -> list[tuple[str, str]]:
    """The room's cleaning time around this booking: after the session before it, after
    this one before the next, and ending by closing time (cleaning is done while the
    clinic is open)."""
    buffer = dt.timedelta(minutes=room.cleaning_buffer_min)
    if not buffer:
        return []
    problems = []
    zone = clinic.zone
    start, end = starts_at.astimezone(zone), ends_at.astimezone(zone)
    near = (
        _others(ignore_id)
        .filter(room=room, starts_at__lt=ends_at + buffer, ends_at__gt=starts_at - buffer)
        .order_by("starts_at")
    )
    for other in near:
        if other.starts_at < ends_at and starts_at < other.ends_at:
            continue  # an overlap: the database refuses it as a double booking
        if other.ends_at <= starts_at:
            ready = other.ends_at.astimezone(zone) + buffer
            text = _(
                "%(room)s is cleaned for %(minutes)s minutes after the session before; "
                "it is ready at %(ready)s."
            )
        else:
            ready = end + buffer
            text = _(
                "%(room)s is cleaned for %(minutes)s minutes after this session, until "
                "%(ready)s, but the next session there starts earlier."
            )
        problems.append(
            (
                "room",
                text
                % {"room": room, "minutes": room.cleaning_buffer_min, "ready": _hhmm(ready.time())},
            )
        )
        break
    hours = OpeningHours.objects.filter(clinic=clinic, weekday=start.weekday()).values_list(
        "opens", "closes"
    )
    cleaned = end + buffer
    inside = [(a, b) for a, b in hours if a <= start.time() and end.time() <= b]
    if inside and (cleaned.date() != start.date() or cleaned.time() > inside[0][1]):
        problems.append(
            (
                "time",
                _(
                    "%(room)s is cleaned for %(minutes)s minutes after each session, which "
                    "would run past closing time (%(closes)s): choose an earlier time."
                )
                % {
                    "room": room,
                    "minutes": room.cleaning_buffer_min,
                    "closes": _hhmm(inside[0][1]),
                },
            )
        )
    return problems


def _daily_limit(
    clinic: Clinic,
    practitioner: User,
    start: dt.datetime,
    end: dt.datetime,
    ignore_id: int | None,
    check: RuleCheck,
) -> None:
    limit = PractitionerLimit.objects.filter(practitioner=practitioner, clinic=clinic).first()
    if limit is None or (limit.max_sessions_per_day is None and limit.max_minutes_per_day is None):
        return
    zone = clinic.zone
    day_start = dt.datetime.combine(start.date(), dt.time.min, tzinfo=zone)
    day_end = day_start + dt.timedelta(days=1)
    booked = list(
        _others(ignore_id)
        .filter(
            practitioner=practitioner,
            clinic=clinic,
            starts_at__gte=day_start,
            starts_at__lt=day_end,
        )
        .values_list("starts_at", "ends_at")
    )
    count = len(booked) + 1
    if limit.max_sessions_per_day is not None and count > limit.max_sessions_per_day:
        check.problems.append(
            (
                "practitioner",
                _(
                    "%(name)s already has %(count)s sessions on %(day)s; the daily maximum "
                    "is %(limit)s."
                )
                % {
                    "name": practitioner,
                    "count": len(booked),
                    "day": _day(start.date()),
                    "limit": limit.max_sessions_per_day,
                },
            )
        )
    minutes = sum(int((e - s).total_seconds() // 60) for s, e in booked)
    minutes += int((end - start).total_seconds() // 60)
    if limit.max_minutes_per_day is not None and minutes > limit.max_minutes_per_day:
        check.problems.append(
            (
                "practitioner",
                _(
                    "%(name)s would have %(minutes)s minutes of sessions on %(day)s; the "
                    "daily maximum is %(limit)s."
                )
                % {
                    "name": practitioner,
                    "minutes": minutes,
                    "day": _day(start.date()),
                    "limit": limit.max_minutes_per_day,
                },
            )
        )


def booking_rules_check(
    *,
    clinic: Clinic,
    patient: Patient,
    practitioner: User,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    room: Room | None,
    plan_id: int | None = None,
    ignore_id: int | None = None,
) -> RuleCheck:
    """The clinic's hard rules and the patient's preferences for one booking.

    `ignore_id` is the appointment being moved (it does not count against itself).
    Times are checked in the clinic's zone.
    """
    check = RuleCheck()
    zone = clinic.zone
    start, end = starts_at.astimezone(zone), ends_at.astimezone(zone)
    availability = PatientAvailability.objects.filter(patient=patient).first()
    if availability is not None:
        _availability(availability, start, end, check)
    if plan_id is not None:
        _course(plan_id, practitioner, room, start.date(), ignore_id, check)
    if room is not None:
        check.problems.extend(
            room_cleaning_problems(
                clinic=clinic, room=room, starts_at=starts_at, ends_at=ends_at, ignore_id=ignore_id
            )
        )
    _daily_limit(clinic, practitioner, start, end, ignore_id, check)
    return check


def appointment_warnings(*, appointment: Appointment) -> list[str]:
    """The patient's preferences a booked appointment does not meet (for the desk)."""
    return booking_rules_check(
        clinic=appointment.clinic,
        patient=appointment.patient,
        practitioner=appointment.practitioner,
        starts_at=appointment.starts_at,
        ends_at=appointment.ends_at,
        room=appointment.room,
        plan_id=appointment.plan_id,
        ignore_id=appointment.pk,
    ).warnings
