"""Plain data of the clinic planner: what goes in (a Problem) and what comes out (a Plan).

All dates and times are local wall-clock values in the clinic's time zone
(`Problem.timezone`); the shell converts to and from aware datetimes. Nothing here
reads the clock: the horizon start is passed in.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

WEEKDAYS = range(7)  # date.weekday(): 0 = Monday ... 6 = Sunday


@dataclass(frozen=True)
class TimeRange:
    """A half-open time-of-day range [start, end) on one day."""

    start: time
    end: time

    def __post_init__(self) -> None:
        if self.end <= self.start:
            raise ValueError(f"time range must end after it starts: {self.start}-{self.end}")


WeeklyHours = Mapping[int, tuple[TimeRange, ...]]
"""Weekday (0 = Monday) -> time ranges; a missing weekday means closed / not working."""


@dataclass(frozen=True)
class Practitioner:
    """A practitioner: weekly working hours, full-day absences, credentialed techniques."""

    id: str
    working_hours: WeeklyHours
    credentials: frozenset[str]
    absences: frozenset[date] = frozenset()
    name: str = ""
    # Daily limits (None: no limit). Breaks and partial-day absences are Busy entries.
    max_sessions_per_day: int | None = None
    max_minutes_per_day: int | None = None


@dataclass(frozen=True)
class Room:
    """A treatment room; every session needs one for its whole duration.

    `features` (e.g. "couch", "body") must include a course's `room_needs`; the room
    needs `cleaning_buffer_min` free minutes after each session before the next starts,
    and the cleaning is done within opening hours: session and buffer end by closing.
    """

    id: str
    name: str = ""
    features: frozenset[str] = frozenset()
    cleaning_buffer_min: int = 0


@dataclass(frozen=True)
class Device:
    """A device, e.g. kind "electroporation"; needle-free techniques need one of their kind.

    A device serves `{kind} | kinds`: one machine may serve several techniques.
    """

    id: str
    kind: str
    name: str = ""
    kinds: frozenset[str] = frozenset()

    def serves(self, kind: str) -> bool:
        return kind == self.kind or kind in self.kinds


@dataclass(frozen=True)
class Busy:
    """A fixed interval that must be respected: an existing appointment, a meeting, repairs.

    `resource` is "practitioner", "room", "device" or "patient"; `resource_id` is the id
    of that practitioner, room, device or patient. `session` marks a practitioner's
    existing appointment: it counts toward their daily maximum of sessions and minutes
    (a break or a meeting does not).
    """

    resource: str
    resource_id: str
    day: date
    start: time
    end: time
    reason: str = ""
    session: bool = False


@dataclass(frozen=True)
class Course:
    """The remaining sessions of one treatment course, with its interval windows.

    The first remaining session must fall in [previous_session_date + min_interval_days,
    previous_session_date + max_interval_days] when a session was already done, and in
    [earliest_start, latest_start] when those are given (both apply when both are set;
    a postponement sets `earliest_start`). Each later session must fall min..max days
    after the one before it. Preferences (practitioner, weekdays, times of day, preferred
    gap) are soft; unavailable dates and the windows are hard.

    Hard patient and clinic constraints: `same_practitioner` (every remaining session
    with one practitioner; `previous_practitioner` when the course already started with
    one), `available_weekdays` and `available_times` (the patient's weekly availability;
    empty = any), `room_needs` (features the room must have) and `latest_finish` (the
    last session on or before that date).
    """

    id: str
    patient_id: str
    technique: str
    duration_min: int
    sessions_remaining: int
    min_interval_days: int
    max_interval_days: int
    preferred_gap_days: int
    device_kind: str | None = None
    sessions_done: int = 0
    previous_session_date: date | None = None
    earliest_start: date | None = None
    latest_start: date | None = None
    preferred_practitioner: str | None = None
    preferred_weekdays: frozenset[int] = frozenset()
    preferred_times: tuple[TimeRange, ...] = ()
    unavailable_dates: frozenset[date] = frozenset()
    same_practitioner: bool = False
    previous_practitioner: str | None = None
    available_weekdays: frozenset[int] = frozenset()
    available_times: tuple[TimeRange, ...] = ()
    room_needs: frozenset[str] = frozenset()
    latest_finish: date | None = None


@dataclass(frozen=True)
class Problem:
    """Everything the planner needs: horizon, clinic calendar, resources, courses, fixed busy.

    The horizon is [start, end], both inclusive. Start times are placed on a grid of
    `slot_minutes` from midnight and durations are rounded up to whole slots.
    """

    start: date
    end: date
    opening_hours: WeeklyHours
    practitioners: tuple[Practitioner, ...]
    rooms: tuple[Room, ...]
    devices: tuple[Device, ...] = ()
    courses: tuple[Course, ...] = ()
    busy: tuple[Busy, ...] = ()
    holidays: frozenset[date] = frozenset()
    timezone: str = "UTC"
    slot_minutes: int = 15


@dataclass(frozen=True)
class Placement:
    """One placed session. `session_index` counts from 1 over the whole course."""

    course_id: str
    session_index: int
    day: date
    start: time
    end: time
    practitioner_id: str
    room_id: str
    device_id: str | None = None
    outside_window: bool = False  # only in a relaxed "nearest feasible" plan

    def start_at(self, timezone: str) -> datetime:
        """The start as an aware datetime in the clinic's time zone."""
        return datetime.combine(self.day, self.start, tzinfo=ZoneInfo(timezone))


@dataclass(frozen=True)
class Unplaced:
    """A session the planner could not place, with a reason code and explanations."""

    course_id: str
    session_index: int
    reason: str
    message_en: str
    message_ru: str


@dataclass(frozen=True)
class Relaxation:
    """What a "nearest feasible" plan relaxes to place more sessions than the strict one."""

    code: str  # "max_interval" or "first_window"
    max_interval_days: int | None
    latest_start: date | None
    message_en: str
    message_ru: str


@dataclass(frozen=True)
class Plan:
    """The result of a planner: placements, explained unplaced sessions and how it stopped.

    `nearest` is set by `propose_course` when the windows cannot all be met: a plan that
    places more sessions by relaxing a window as little as possible, flagged by
    `relaxation` and by `Placement.outside_window`. It is a proposal, never applied
    silently.
    """

    placements: tuple[Placement, ...]
    unplaced: tuple[Unplaced, ...]
    solver: str
    status: str = ""
    solve_time_s: float = 0.0
    relaxation: Relaxation | None = None
    nearest: Plan | None = None
    stats: Mapping[str, float] = field(default_factory=dict)
