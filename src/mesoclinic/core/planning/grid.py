"""The planner's discrete view of a Problem: day indices and slot bitmasks.

A day is an index from `Problem.start`; a time of day is a slot of `slot_minutes`
from midnight. The free time of a resource on a day is a Python int used as a
bitmask (bit i = slot i free), so "is there a start where practitioner, room, device
and patient are all free for L slots" is a handful of big-int operations instead of a
loop over minutes: that is what makes first-fit and the stage-2 packing fast enough
for thousands of sessions.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, time, timedelta

from mesoclinic.core.planning.model import Busy, Course, Practitioner, Problem, TimeRange

MINUTES_PER_DAY = 24 * 60


def to_minutes(value: time) -> int:
    return value.hour * 60 + value.minute


def from_minutes(minutes: int) -> time:
    if minutes >= MINUTES_PER_DAY:
        return time(23, 59)
    return time(minutes // 60, minutes % 60)


def start_mask(free: int, length: int) -> int:
    """Bits i such that slots i .. i+length-1 are all free in `free`."""
    mask = free
    span = 1
    # Doubling: after each step `mask` has bit i iff `span` slots from i are free.
    while span * 2 <= length:
        mask &= mask >> span
        span *= 2
    if span < length:
        mask &= mask >> (length - span)
    return mask


def lowest_bit(mask: int) -> int:
    return (mask & -mask).bit_length() - 1


def popcount(mask: int) -> int:
    return mask.bit_count()


@dataclass(frozen=True)
class SlotChoice:
    """A concrete place for one session on one day."""

    day: int
    slot: int
    practitioner: str
    room: str
    device: str | None


class Grid:
    """Static calendar facts of a Problem, precomputed once per planner call."""

    def __init__(self, problem: Problem) -> None:
        if problem.slot_minutes <= 0 or MINUTES_PER_DAY % problem.slot_minutes:
            raise ValueError("slot_minutes must divide a day (e.g. 5, 10, 15, 30)")
        if problem.end < problem.start:
            raise ValueError("the horizon ends before it starts")
        self.problem = problem
        self.slot = problem.slot_minutes
        self.slots_per_day = MINUTES_PER_DAY // self.slot
        self.full = (1 << self.slots_per_day) - 1
        self.n_days = (problem.end - problem.start).days + 1
        self.dates = [problem.start + timedelta(days=i) for i in range(self.n_days)]
        self.open = [
            0
            if day in problem.holidays
            else self.ranges_mask(problem.opening_hours.get(day.weekday(), ()))
            for day in self.dates
        ]
        self.practitioners = {p.id: p for p in problem.practitioners}
        self.rooms = [r.id for r in problem.rooms]
        self.devices_by_kind: dict[str, list[str]] = {}
        for device in problem.devices:
            for kind in sorted({device.kind} | device.kinds):
                self.devices_by_kind.setdefault(kind, []).append(device.id)
        self.device_kind = {d.id: d.kind for d in problem.devices}
        self.room_features = {r.id: r.features for r in problem.rooms}
        self.room_buffer = {r.id: self.slots(r.cleaning_buffer_min) for r in problem.rooms}
        self._rooms_for: dict[frozenset[str], list[str]] = {}
        self._available: dict[tuple[TimeRange, ...], int] = {}
        self.credentialed: dict[str, list[str]] = {}
        for course in problem.courses:
            self.credentialed_for(course.technique)
        # (practitioner, day) -> sessions and minutes of appointments already booked.
        self.booked_load: dict[tuple[str, int], tuple[int, int]] = {}
        for busy in problem.busy:
            day = self.day_index(busy.day)
            if busy.session and busy.resource == "practitioner" and 0 <= day < self.n_days:
                key = (busy.resource_id, day)
                sessions, minutes = self.booked_load.get(key, (0, 0))
                length = to_minutes(busy.end) - to_minutes(busy.start)
                self.booked_load[key] = (sessions + 1, minutes + length)

    # -- conversions -------------------------------------------------------------------
    def day_index(self, day: date) -> int:
        return (day - self.problem.start).days

    def slots(self, minutes: int) -> int:
        return -(-minutes // self.slot)

    def ranges_mask(self, ranges: Iterable[TimeRange]) -> int:
        """Slots lying wholly inside the ranges (a partial slot is not usable)."""
        mask = 0
        for r in ranges:
            first = -(-to_minutes(r.start) // self.slot)
            end_min = MINUTES_PER_DAY if r.end == time.max else to_minutes(r.end)
            last = end_min // self.slot  # exclusive
            if last > first:
                mask |= ((1 << (last - first)) - 1) << first
        return mask

    def busy_mask(self, start: time, end: time) -> int:
        """Slots touched by [start, end): a busy interval blocks every slot it overlaps."""
        first = to_minutes(start) // self.slot
        end_min = MINUTES_PER_DAY if end == time.max else to_minutes(end)
        last = -(-end_min // self.slot)
        if last <= first:
            return 0
        return ((1 << (last - first)) - 1) << first

    def slot_time(self, slot: int) -> time:
        return from_minutes(slot * self.slot)

    # -- resources ---------------------------------------------------------------------
    def credentialed_for(self, technique: str) -> list[str]:
        if technique not in self.credentialed:
            self.credentialed[technique] = [
                p.id for p in self.problem.practitioners if technique in p.credentials
            ]
        return self.credentialed[technique]

    def working_mask(self, practitioner: Practitioner, day: int) -> int:
        """Working hours inside opening hours, zero on an absence."""
        when = self.dates[day]
        if when in practitioner.absences:
            return 0
        return self.open[day] & self.ranges_mask(practitioner.working_hours.get(when.weekday(), ()))

    def booked_full(self, pid: str, day: int, duration_min: int) -> bool:
        """The practitioner's daily limit leaves no room for one more such session that day
        after the appointments already booked."""
        practitioner = self.practitioners[pid]
        sessions, minutes = self.booked_load.get((pid, day), (0, 0))
        max_sessions, max_minutes = (
            practitioner.max_sessions_per_day,
            practitioner.max_minutes_per_day,
        )
        return (max_sessions is not None and sessions >= max_sessions) or (
            max_minutes is not None and minutes + duration_min > max_minutes
        )

    def rooms_for(self, course: Course) -> list[str]:
        """Rooms with every feature the course needs, in the problem's order."""
        needs = course.room_needs
        if needs not in self._rooms_for:
            self._rooms_for[needs] = [r for r in self.rooms if needs <= self.room_features[r]]
        return self._rooms_for[needs]

    def available_mask(self, course: Course) -> int:
        """Slots in the patient's weekly available times (every slot when none are set)."""
        if not course.available_times:
            return self.full
        key = course.available_times
        if key not in self._available:
            self._available[key] = self.ranges_mask(key)
        return self._available[key]

    def last_day(self, course: Course) -> int:
        """The last day index a session of the course may take (horizon, latest finish)."""
        last = self.n_days - 1
        if course.latest_finish is not None:
            last = min(last, self.day_index(course.latest_finish))
        return last

    def course_day_ok(self, course: Course, day: int) -> bool:
        """The clinic is open and the patient can come (resources are checked elsewhere)."""
        when = self.dates[day]
        return (
            self.open[day] != 0
            and when not in course.unavailable_dates
            and (not course.available_weekdays or when.weekday() in course.available_weekdays)
            and (course.latest_finish is None or when <= course.latest_finish)
        )

    def first_window(self, course: Course) -> tuple[int, int]:
        """Day-index window [lo, hi] of the first remaining session (may be empty/outside)."""
        lo, hi = 0, self.n_days - 1
        if course.previous_session_date is not None:
            prev = self.day_index(course.previous_session_date)
            lo = max(lo, prev + course.min_interval_days)
            hi = min(hi, prev + course.max_interval_days)
        if course.earliest_start is not None:
            lo = max(lo, self.day_index(course.earliest_start))
        if course.latest_start is not None:
            hi = min(hi, self.day_index(course.latest_start))
        return lo, min(hi, self.last_day(course))

    def raw_first_window(self, course: Course) -> tuple[date | None, date | None]:
        """The first window as dates, not clipped to the horizon (for explanations)."""
        lo: date | None = None
        hi: date | None = None
        if course.previous_session_date is not None:
            lo = course.previous_session_date + timedelta(days=course.min_interval_days)
            hi = course.previous_session_date + timedelta(days=course.max_interval_days)
        if course.earliest_start is not None:
            lo = course.earliest_start if lo is None else max(lo, course.earliest_start)
        if course.latest_start is not None:
            hi = course.latest_start if hi is None else min(hi, course.latest_start)
        return lo, hi


class Occupancy:
    """Mutable free-time masks of every resource, starting from the fixed busy intervals."""

    def __init__(self, grid: Grid) -> None:
        self.grid = grid
        problem = grid.problem
        n = grid.n_days
        self.practitioner = {
            p.id: [grid.working_mask(p, d) for d in range(n)] for p in problem.practitioners
        }
        self.room = {r: list(grid.open) for r in grid.rooms}
        self.device = {d.id: list(grid.open) for d in problem.devices}
        self.patient: dict[str, dict[int, int]] = {}
        self.minutes = {p.id: 0 for p in problem.practitioners}
        # Per practitioner and day: sessions and minutes booked (for the daily limits).
        self.day_sessions: dict[tuple[str, int], int] = {}
        self.day_minutes: dict[tuple[str, int], int] = {}
        self.limits = {
            p.id: (p.max_sessions_per_day, p.max_minutes_per_day)
            for p in problem.practitioners
            if p.max_sessions_per_day is not None or p.max_minutes_per_day is not None
        }
        # Courses held to one practitioner: the one they are booked with.
        self.course_practitioner: dict[str, str] = {
            c.id: c.previous_practitioner
            for c in problem.courses
            if c.same_practitioner and c.previous_practitioner is not None
        }
        for busy in problem.busy:
            self.block(busy)
        # Appointments already booked that day count toward the daily limits.
        for key, (sessions, minutes) in grid.booked_load.items():
            self.day_sessions[key] = sessions
            self.day_minutes[key] = minutes

    def block(self, busy: Busy) -> None:
        day = self.grid.day_index(busy.day)
        if not 0 <= day < self.grid.n_days:
            return
        mask = ~self.grid.busy_mask(busy.start, busy.end)
        if busy.resource == "patient":
            masks = self.patient.setdefault(busy.resource_id, {})
            masks[day] = masks.get(day, self.grid.full) & mask
            return
        table = {"practitioner": self.practitioner, "room": self.room, "device": self.device}
        if busy.resource == "room" and self.grid.room_buffer.get(busy.resource_id):
            # The room is cleaned after whatever occupied it, as after a session.
            span = self.grid.busy_mask(busy.start, busy.end)
            top = span.bit_length()
            mask = ~(span | (((1 << self.grid.room_buffer[busy.resource_id]) - 1) << top))
        per_day = table.get(busy.resource, {}).get(busy.resource_id)
        if per_day is not None:
            per_day[day] &= mask

    def allows(self, course: Course, pid: str, day: int) -> bool:
        """The practitioner's daily limits and the course's one-practitioner rule allow it."""
        if course.same_practitioner:
            held = self.course_practitioner.get(course.id)
            if held is not None and held != pid:
                return False
        limit = self.limits.get(pid)
        if limit is not None:
            max_sessions, max_minutes = limit
            key = (pid, day)
            if max_sessions is not None and self.day_sessions.get(key, 0) >= max_sessions:
                return False
            used = self.day_minutes.get(key, 0)
            if max_minutes is not None and used + course.duration_min > max_minutes:
                return False
        return True

    def room_starts(self, room: str, day: int, length: int) -> int:
        """Starts at which the room is free for the session and its cleaning buffer."""
        free = self.room[room][day]
        ok = start_mask(free, length)
        buffer = self.grid.room_buffer[room]
        if buffer and ok:
            # The room is cleaned within opening hours: the buffer ends by closing time
            # and never runs into another booking.
            ok &= start_mask(free, length + buffer)
        return ok

    def patient_free(self, patient_id: str, day: int) -> int:
        masks = self.patient.get(patient_id)
        if masks is None:
            return self.grid.full
        return masks.get(day, self.grid.full)

    def find(
        self,
        course: Course,
        day: int,
        practitioners: Sequence[str],
        *,
        earliest_any: bool = False,
        preferred_mask: int = 0,
    ) -> SlotChoice | None:
        """A free place for `course` on `day`, or None.

        With `earliest_any` the earliest start over all practitioners wins (first-fit);
        otherwise practitioners are tried in the given order (continuity, then balance)
        and, for each, a start inside the patient's preferred times comes first.
        """
        length = self.grid.slots(course.duration_min)
        patient = self.patient_free(course.patient_id, day) & self.grid.available_mask(course)
        common = start_mask(patient, length)
        if not common:
            return None
        rooms = self.grid.rooms_for(course)
        room_starts = 0
        for room in rooms:
            room_starts |= self.room_starts(room, day, length)
        common &= room_starts
        if course.device_kind is not None:
            device_starts = 0
            for device in self.grid.devices_by_kind.get(course.device_kind, ()):
                device_starts |= start_mask(self.device[device][day], length)
            common &= device_starts
        if not common:
            return None
        best: tuple[int, str] | None = None
        for pid in practitioners:
            if not self.allows(course, pid, day):
                continue
            ok = start_mask(self.practitioner[pid][day], length) & common
            if not ok:
                continue
            if earliest_any:
                slot = lowest_bit(ok)
                if best is None or slot < best[0]:
                    best = (slot, pid)
                continue
            preferred = ok & preferred_mask
            best = (lowest_bit(preferred or ok), pid)
            break
        if best is None:
            return None
        slot, pid = best
        bit = 1 << slot
        room = next(r for r in rooms if self.room_starts(r, day, length) & bit)
        device = None
        if course.device_kind is not None:
            device = next(
                d
                for d in self.grid.devices_by_kind[course.device_kind]
                if start_mask(self.device[d][day], length) & bit
            )
        return SlotChoice(day=day, slot=slot, practitioner=pid, room=room, device=device)

    def book(self, course: Course, choice: SlotChoice) -> None:
        length = self.grid.slots(course.duration_min)
        taken = ~(((1 << length) - 1) << choice.slot)
        day = choice.day
        self.practitioner[choice.practitioner][day] &= taken
        buffer = self.grid.room_buffer[choice.room]
        self.room[choice.room][day] &= ~(((1 << (length + buffer)) - 1) << choice.slot)
        if choice.device is not None:
            self.device[choice.device][day] &= taken
        masks = self.patient.setdefault(course.patient_id, {})
        masks[day] = masks.get(day, self.grid.full) & taken
        self.minutes[choice.practitioner] += course.duration_min
        key = (choice.practitioner, day)
        self.day_sessions[key] = self.day_sessions.get(key, 0) + 1
        self.day_minutes[key] = self.day_minutes.get(key, 0) + course.duration_min
        if course.same_practitioner:
            self.course_practitioner.setdefault(course.id, choice.practitioner)

    def release(self, course: Course, choice: SlotChoice) -> None:
        """Undo `book` for this choice (the large-neighbourhood search frees sessions)."""
        length = self.grid.slots(course.duration_min)
        span = ((1 << length) - 1) << choice.slot
        day = choice.day
        self.practitioner[choice.practitioner][day] |= span
        buffer = self.grid.room_buffer[choice.room]
        room_span = ((1 << (length + buffer)) - 1) << choice.slot
        self.room[choice.room][day] |= room_span & self.grid.open[day]
        if choice.device is not None:
            self.device[choice.device][day] |= span
        masks = self.patient[course.patient_id]
        masks[day] |= span
        self.minutes[choice.practitioner] -= course.duration_min
        key = (choice.practitioner, day)
        self.day_sessions[key] -= 1
        self.day_minutes[key] -= course.duration_min
