"""When a clinic is open and a practitioner can see patients (as the booking rules say):
the free slots at the desk and the owner's utilisation are both measured against it."""

from __future__ import annotations

import datetime as dt

from mesoclinic.accounts.models import Clinic, OpeningHours
from mesoclinic.core.agenda import ranges_intersect
from mesoclinic.scheduling.models import Absence, Holiday, WorkingHours


def open_ranges(clinic: Clinic, day: dt.date, hours) -> list[tuple[dt.datetime, dt.datetime]]:
    """(opens, closes) times of `day` as aware datetimes in the clinic's zone."""
    return [
        (
            dt.datetime.combine(day, opens, tzinfo=clinic.zone),
            dt.datetime.combine(day, closes, tzinfo=clinic.zone),
        )
        for opens, closes in hours
    ]


def week_hours(
    clinic: Clinic, first: dt.date, last: dt.date, practitioners: list
) -> tuple[dict, dict, set, set]:
    """Opening hours, practitioners' own hours, absences and holidays over [first, last]."""
    opening: dict[int, list] = {}
    for weekday, opens, closes in OpeningHours.objects.filter(clinic=clinic).values_list(
        "weekday", "opens", "closes"
    ):
        opening.setdefault(weekday, []).append((opens, closes))
    own: dict[int, dict[int, list]] = {}
    for pid, weekday, starts, ends in WorkingHours.objects.filter(
        clinic=clinic, practitioner__in=practitioners
    ).values_list("practitioner_id", "weekday", "starts", "ends"):
        own.setdefault(pid, {}).setdefault(weekday, []).append((starts, ends))
    absent = set()
    for pid, a, b in Absence.objects.filter(
        practitioner__in=practitioners, first_day__lte=last, last_day__gte=first
    ).values_list("practitioner_id", "first_day", "last_day"):
        day = max(a, first)
        while day <= min(b, last):
            absent.add((pid, day))
            day += dt.timedelta(days=1)
    holidays = set(
        Holiday.objects.filter(clinic=clinic, day__gte=first, day__lte=last).values_list(
            "day", flat=True
        )
    )
    return opening, own, absent, holidays


def practitioner_open(
    clinic: Clinic,
    day: dt.date,
    pid: int,
    opening: dict,
    own: dict,
    absent: set,
    holidays: set,
) -> list[tuple[dt.datetime, dt.datetime]]:
    """When a practitioner can see patients at the clinic on `day` (as the booking rules)."""
    if day in holidays or (pid, day) in absent:
        return []
    clinic_open = open_ranges(clinic, day, opening.get(day.weekday(), []))
    if pid in own:
        return ranges_intersect(
            clinic_open, open_ranges(clinic, day, own[pid].get(day.weekday(), []))
        )
    return clinic_open
