"""Helpers shared by the planners: windows, practitioner order, building placements."""

from __future__ import annotations

from mesoclinic.core.planning.grid import Grid, Occupancy, SlotChoice, start_mask, to_minutes
from mesoclinic.core.planning.model import Course, Placement


def window(grid: Grid, course: Course, k: int, previous_day: int | None) -> tuple[int, int]:
    """Day-index window [lo, hi] of remaining session k, clipped to the horizon."""
    if k == 0:
        return grid.first_window(course)
    assert previous_day is not None
    lo = max(0, previous_day + course.min_interval_days)
    hi = min(grid.last_day(course), previous_day + course.max_interval_days)
    return lo, hi


def preferred_mask(grid: Grid, course: Course) -> int:
    """Slots where a session may start and stay inside the patient's preferred times."""
    if not course.preferred_times:
        return grid.full
    length = grid.slots(course.duration_min)
    inside = grid.ranges_mask(course.preferred_times)
    return start_mask(inside, length)


def practitioner_order(
    grid: Grid, occupancy: Occupancy, course: Course, home: str | None
) -> list[str]:
    """Credentialed practitioners: the course's own first (continuity), then least loaded."""
    candidates = grid.credentialed_for(course.technique)
    held = occupancy.course_practitioner.get(course.id) if course.same_practitioner else None
    if held is not None:
        return [held] if held in candidates else []
    others = sorted((p for p in candidates if p != home), key=lambda p: (occupancy.minutes[p], p))
    if home is not None and home in candidates:
        return [home, *others]
    return others


def to_placement(grid: Grid, course: Course, k: int, choice: SlotChoice) -> Placement:
    start_min = choice.slot * grid.slot
    start = grid.slot_time(choice.slot)
    end_min = start_min + course.duration_min
    day = grid.dates[choice.day]
    if end_min >= 24 * 60:  # a session ending at midnight is stored as 23:59
        end = grid.slot_time(grid.slots_per_day - 1).replace(minute=59)
    else:
        end = grid.slot_time(0).replace(hour=end_min // 60, minute=end_min % 60)
    assert to_minutes(start) == start_min
    return Placement(
        course_id=course.id,
        session_index=course.sessions_done + k + 1,
        day=day,
        start=start,
        end=end,
        practitioner_id=choice.practitioner,
        room_id=choice.room,
        device_id=choice.device,
    )
