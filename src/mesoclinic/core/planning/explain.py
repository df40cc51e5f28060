"""Why a session could not be placed, in words a receptionist can act on."""

from __future__ import annotations

from datetime import timedelta

from mesoclinic.core.planning.bounds import Reach
from mesoclinic.core.planning.grid import Grid, Occupancy, start_mask
from mesoclinic.core.planning.messages import message
from mesoclinic.core.planning.model import Course, Unplaced


def session_number(course: Course, k: int) -> int:
    """The 1-based number of remaining session k (0-based) over the whole course."""
    return course.sessions_done + k + 1


def unplaced(course: Course, k: int, code: str, **params: object) -> Unplaced:
    msg = message(code, session=session_number(course, k), **params)
    return Unplaced(
        course_id=course.id,
        session_index=session_number(course, k),
        reason=code,
        message_en=msg.en,
        message_ru=msg.ru,
    )


def explain(
    grid: Grid,
    course: Course,
    k: int,
    reach: Reach,
    *,
    previous_day: int | None,
    occupancy: Occupancy | None = None,
) -> Unplaced:
    """Explain why remaining session `k` of `course` is unplaced.

    `previous_day` is the day of the placed session k-1 (None when k == 0 or when k-1
    is unplaced too); `occupancy` is the final state of the clinic, used to name the
    resource that was fully booked.
    """
    problem = grid.problem
    if not grid.credentialed_for(course.technique):
        return unplaced(course, k, "no_credentialed_practitioner", technique=course.technique)
    if course.device_kind is not None and not grid.devices_by_kind.get(course.device_kind):
        return unplaced(course, k, "no_device", kind=course.device_kind)
    if not grid.rooms_for(course):
        return unplaced(course, k, "no_suitable_room", needs=", ".join(sorted(course.room_needs)))
    if (
        course.same_practitioner
        and course.previous_practitioner is not None
        and course.previous_practitioner not in grid.credentialed_for(course.technique)
    ):
        return unplaced(
            course, k, "own_practitioner_unavailable", practitioner=course.previous_practitioner
        )
    if k > 0 and previous_day is None:
        return unplaced(course, k, "previous_unplaced", previous=session_number(course, k - 1))
    if k == 0:
        lo_date, hi_date = grid.raw_first_window(course)
        if hi_date is not None and hi_date < problem.start:
            return unplaced(course, k, "window_in_past", latest=hi_date, start=problem.start)
        if lo_date is not None and lo_date > problem.end:
            return unplaced(course, k, "outside_horizon", earliest=lo_date, end=problem.end)
        lo, hi = grid.first_window(course)
    else:
        assert previous_day is not None
        lo = previous_day + course.min_interval_days
        hi = previous_day + course.max_interval_days
        if lo >= grid.n_days:
            earliest = grid.dates[previous_day] + timedelta(days=course.min_interval_days)
            return unplaced(course, k, "outside_horizon", earliest=earliest, end=problem.end)
        hi = min(hi, grid.n_days - 1)
    days = [d for d in range(lo, hi + 1) if d in reach.allowed]
    if not days and k > 0 and previous_day + course.max_interval_days >= grid.n_days:
        assert previous_day is not None
        latest = grid.dates[previous_day] + timedelta(days=course.max_interval_days)
        return unplaced(
            course,
            k,
            "window_past_horizon",
            earliest=grid.dates[lo],
            latest=latest,
            end=problem.end,
        )
    if not days:
        if k == 0:
            return unplaced(
                course, k, "window_empty", earliest=grid.dates[lo], latest=grid.dates[hi]
            )
        return unplaced(
            course,
            k,
            "chain_broken",
            previous=session_number(course, k - 1),
            previous_day=grid.dates[previous_day],  # type: ignore[index]
            min_days=course.min_interval_days,
            max_days=course.max_interval_days,
        )
    detail_en, detail_ru = _busy_detail(grid, course, days, occupancy)
    return unplaced(
        course,
        k,
        "no_free_slot",
        earliest=grid.dates[days[0]],
        latest=grid.dates[days[-1]],
        detail=detail_en,
        detail_ru=detail_ru,
    )


def _busy_detail(
    grid: Grid, course: Course, days: list[int], occupancy: Occupancy | None
) -> tuple[str, str]:
    """Name the resources that had no free stretch long enough on any day of the window."""
    if occupancy is None:
        return "the clinic is fully booked", "клиника полностью занята"
    length = grid.slots(course.duration_min)
    full_en: list[str] = []
    full_ru: list[str] = []
    practitioners = grid.credentialed_for(course.technique)
    if not any(
        start_mask(occupancy.practitioner[p][d], length) for p in practitioners for d in days
    ):
        full_en.append(f"practitioners credentialed for {course.technique} are fully booked")
        full_ru.append(f"специалисты с допуском к {course.technique} полностью заняты")
    if not any(occupancy.room_starts(r, d, length) for r in grid.rooms_for(course) for d in days):
        full_en.append("all suitable rooms are fully booked")
        full_ru.append("все подходящие кабинеты заняты")
    if course.device_kind is not None and not any(
        start_mask(occupancy.device[x][d], length)
        for x in grid.devices_by_kind[course.device_kind]
        for d in days
    ):
        full_en.append(f"the {course.device_kind} devices are fully booked")
        full_ru.append(f"аппараты «{course.device_kind}» полностью заняты")
    available = grid.available_mask(course)
    if not any(
        start_mask(occupancy.patient_free(course.patient_id, d) & available, length) for d in days
    ):
        full_en.append("the patient has other appointments")
        full_ru.append("у пациента другие записи")
    if not full_en:
        return (
            "practitioner, room and device are never free at the same time",
            "специалист, кабинет и аппарат ни разу не свободны одновременно",
        )
    return "; ".join(full_en), "; ".join(full_ru)
