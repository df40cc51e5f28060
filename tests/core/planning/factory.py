"""Small clinic problems for the planner tests, built in code (no database)."""

from __future__ import annotations

from datetime import date, time, timedelta

from mesoclinic.core.planning import Busy, Course, Device, Practitioner, Problem, Room, TimeRange

MONDAY = date(2025, 3, 3)


def hours(start: int, end: int) -> tuple[TimeRange, ...]:
    return (TimeRange(time(start), time(end)),)


WEEKDAYS_9_18 = {d: hours(9, 18) for d in range(5)}


def practitioner(pid: str, *credentials: str, **kwargs: object) -> Practitioner:
    kwargs.setdefault("working_hours", WEEKDAYS_9_18)
    return Practitioner(id=pid, credentials=frozenset(credentials or {"needle"}), **kwargs)


def course(cid: str, **kwargs: object) -> Course:
    values: dict[str, object] = {
        "patient_id": f"pt-{cid}",
        "technique": "needle",
        "duration_min": 45,
        "sessions_remaining": 4,
        "min_interval_days": 5,
        "max_interval_days": 10,
        "preferred_gap_days": 7,
        "earliest_start": MONDAY,
        "latest_start": MONDAY + timedelta(days=6),
    }
    values.update(kwargs)
    return Course(id=cid, **values)  # type: ignore[arg-type]


def problem(
    *,
    courses: tuple[Course, ...] = (),
    practitioners: tuple[Practitioner, ...] | None = None,
    rooms: int = 1,
    devices: tuple[Device, ...] = (),
    busy: tuple[Busy, ...] = (),
    weeks: int = 6,
    holidays: frozenset[date] = frozenset(),
) -> Problem:
    return Problem(
        start=MONDAY,
        end=MONDAY + timedelta(days=7 * weeks - 1),
        opening_hours=WEEKDAYS_9_18,
        practitioners=practitioners if practitioners is not None else (practitioner("P1"),),
        rooms=tuple(Room(id=f"R{i}") for i in range(rooms)),
        devices=devices,
        courses=courses,
        busy=busy,
        holidays=holidays,
        timezone="Europe/Moscow",
        slot_minutes=15,
    )
