"""Independent validation of placements against a Problem.

Written apart from the planners (minutes and dates, no slot bitmasks) so that tests
and the benchmark check the planners rather than repeat them. The same checks give
the receptionist clear messages when an appointment is entered or adjusted by hand.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date, time

from mesoclinic.core.planning.messages import RESOURCE_RU, Message, message
from mesoclinic.core.planning.model import Course, Placement, Plan, Problem, TimeRange


def _minutes(value: time) -> int:
    if value == time(23, 59):
        return 24 * 60  # the planner stores a session ending at midnight as 23:59
    return value.hour * 60 + value.minute


def _covered(ranges: Iterable[TimeRange], start: int, end: int) -> bool:
    """[start, end) lies inside the union of the ranges."""
    spans = sorted((_minutes(r.start), _minutes(r.end)) for r in ranges)
    cursor = start
    for lo, hi in spans:
        if lo > cursor:
            break
        cursor = max(cursor, hi)
        if cursor >= end:
            return True
    return cursor >= end


def _label(p: Placement) -> tuple[str, str]:
    return (
        f"Course {p.course_id} session {p.session_index}",
        f"Курс {p.course_id}, сеанс {p.session_index}",
    )


def placement_issues(
    problem: Problem,
    placements: Sequence[Placement],
    *,
    check_windows: bool = True,
) -> list[Message]:
    """Everything wrong with these placements, as messages a receptionist can act on.

    Checks the horizon, opening hours and holidays, practitioner hours, absences and
    credentials, devices, session length and slot grid, the patient's unavailable dates,
    double bookings (among the placements and against `problem.busy`) and, with
    `check_windows`, each course's interval windows.
    """
    courses = {c.id: c for c in problem.courses}
    practitioners = {p.id: p for p in problem.practitioners}
    rooms = {r.id: r for r in problem.rooms}
    devices = {d.id: d for d in problem.devices}
    held: dict[str, str] = {}
    issues: list[Message] = []
    for p in placements:
        what, what_ru = _label(p)
        ctx = {"what": what, "what_ru": what_ru, "day": p.day, "start": p.start, "end": p.end}
        course = courses.get(p.course_id)
        if course is None:
            issues.append(
                message("unknown_resource", resource="course", resource_id=p.course_id, **ctx)
            )
            continue
        start, end = _minutes(p.start), _minutes(p.end)
        if not problem.start <= p.day <= problem.end:
            issues.append(message("outside_horizon_day", **ctx))
        opening = problem.opening_hours.get(p.day.weekday(), ())
        if p.day in problem.holidays or not opening:
            issues.append(message("clinic_closed", **ctx))
        elif not _covered(opening, start, end):
            issues.append(message("outside_opening_hours", **ctx))
        if end - start != course.duration_min or start % problem.slot_minutes:
            issues.append(message("off_grid", slot=problem.slot_minutes, **ctx))
        if p.day in course.unavailable_dates:
            issues.append(message("patient_unavailable", **ctx))
        if course.available_weekdays and p.day.weekday() not in course.available_weekdays:
            issues.append(message("patient_weekday", **ctx))
        if course.available_times and not any(
            _minutes(r.start) <= start and end <= _minutes(r.end) for r in course.available_times
        ):
            issues.append(message("patient_hours", **ctx))
        if course.latest_finish is not None and p.day > course.latest_finish:
            issues.append(message("after_latest_finish", latest=course.latest_finish, **ctx))
        if course.same_practitioner:
            expected = held.setdefault(course.id, course.previous_practitioner or p.practitioner_id)
            if p.practitioner_id != expected:
                issues.append(
                    message(
                        "practitioner_changed",
                        expected=expected,
                        practitioner=p.practitioner_id,
                        **ctx,
                    )
                )
        practitioner = practitioners.get(p.practitioner_id)
        if practitioner is None:
            issues.append(
                message(
                    "unknown_resource",
                    resource="practitioner",
                    resource_id=p.practitioner_id,
                    **ctx,
                )
            )
        else:
            who = practitioner.name or practitioner.id
            if p.day in practitioner.absences:
                issues.append(message("practitioner_absent", practitioner=who, **ctx))
            elif not _covered(practitioner.working_hours.get(p.day.weekday(), ()), start, end):
                issues.append(message("outside_working_hours", practitioner=who, **ctx))
            if course.technique not in practitioner.credentials:
                issues.append(
                    message(
                        "missing_credential", practitioner=who, technique=course.technique, **ctx
                    )
                )
        room = rooms.get(p.room_id)
        if room is None:
            issues.append(
                message("unknown_resource", resource="room", resource_id=p.room_id, **ctx)
            )
        elif not course.room_needs <= room.features:
            needs = ", ".join(sorted(course.room_needs - room.features))
            issues.append(message("room_unsuitable", room=room.name or room.id, needs=needs, **ctx))
        if course.device_kind is not None:
            device = devices.get(p.device_id) if p.device_id is not None else None
            if p.device_id is None:
                issues.append(message("missing_device", kind=course.device_kind, **ctx))
            elif device is None or not device.serves(course.device_kind):
                issues.append(
                    message("wrong_device", device=p.device_id, kind=course.device_kind, **ctx)
                )
    issues += _overlaps(problem, placements, courses)
    issues += _cleaning(problem, placements)
    issues += _daily_limits(problem, placements, courses)
    if check_windows:
        issues += _windows(problem, placements, courses)
    return issues


def _overlaps(
    problem: Problem, placements: Sequence[Placement], courses: dict[str, Course]
) -> list[Message]:
    """Double bookings of practitioners, rooms, devices and patients."""
    booked: dict[tuple[str, str, date], list[tuple[int, int, Placement | None]]] = defaultdict(list)
    for busy in problem.busy:
        key = (busy.resource, busy.resource_id, busy.day)
        booked[key].append((_minutes(busy.start), _minutes(busy.end), None))
    for p in placements:
        span = (_minutes(p.start), _minutes(p.end), p)
        booked[("practitioner", p.practitioner_id, p.day)].append(span)
        booked[("room", p.room_id, p.day)].append(span)
        if p.device_id is not None:
            booked[("device", p.device_id, p.day)].append(span)
        course = courses.get(p.course_id)
        if course is not None:
            booked[("patient", course.patient_id, p.day)].append(span)
    issues = []
    for (resource, resource_id, _day), spans in booked.items():
        spans.sort(key=lambda s: (s[0], s[1]))
        for (s1, e1, p1), (s2, _e2, p2) in itertools.pairwise(spans):
            if s2 < e1 and (p1 is not None or p2 is not None):
                target = p2 if p2 is not None else p1
                assert target is not None
                what, what_ru = _label(target)
                other = p1 if target is p2 else p2
                start, end = (other.start, other.end) if other is not None else (s1, e1)
                issues.append(
                    message(
                        "double_booked",
                        what=what,
                        what_ru=what_ru,
                        resource=resource,
                        resource_ru=RESOURCE_RU.get(resource, resource),
                        resource_id=resource_id,
                        start=start if isinstance(start, time) else f"{s1 // 60:02d}:{s1 % 60:02d}",
                        end=end if isinstance(end, time) else f"{e1 // 60:02d}:{e1 % 60:02d}",
                        day=target.day,
                    )
                )
    return issues


def _cleaning(problem: Problem, placements: Sequence[Placement]) -> list[Message]:
    """A room with a cleaning buffer stays free that long after each session in it.

    The cleaning is done within opening hours: a session whose buffer would run past
    closing time is refused like one whose buffer runs into the next booking.
    """
    buffers = {r.id: r for r in problem.rooms if r.cleaning_buffer_min > 0}
    spans: dict[tuple[str, date], list[tuple[int, int, Placement | None]]] = defaultdict(list)
    issues = []
    for p in placements:
        room = buffers.get(p.room_id)
        if room is None or p.day in problem.holidays:
            continue
        start, end = _minutes(p.start), _minutes(p.end)
        opening = problem.opening_hours.get(p.day.weekday(), ())
        if _covered(opening, start, end) and not _covered(
            opening, start, end + room.cleaning_buffer_min
        ):
            what, what_ru = _label(p)
            issues.append(
                message(
                    "cleaning_after_closing",
                    what=what,
                    what_ru=what_ru,
                    room=room.name or room.id,
                    minutes=room.cleaning_buffer_min,
                    day=p.day,
                )
            )
    for busy in problem.busy:
        if busy.resource == "room" and busy.resource_id in buffers:
            spans[(busy.resource_id, busy.day)].append(
                (_minutes(busy.start), _minutes(busy.end), None)
            )
    for p in placements:
        if p.room_id in buffers:
            spans[(p.room_id, p.day)].append((_minutes(p.start), _minutes(p.end), p))
    for (room_id, _day), items in spans.items():
        room = buffers[room_id]
        items.sort(key=lambda s: (s[0], s[1]))
        for (_s1, e1, p1), (s2, _e2, p2) in itertools.pairwise(items):
            target = p2 if p2 is not None else p1
            if target is None or s2 >= e1 + room.cleaning_buffer_min or s2 < e1:
                continue  # overlaps are reported as double bookings
            what, what_ru = _label(target)
            issues.append(
                message(
                    "room_not_cleaned",
                    what=what,
                    what_ru=what_ru,
                    room=room.name or room.id,
                    minutes=room.cleaning_buffer_min,
                    start=time(s2 // 60, s2 % 60) if s2 < 24 * 60 else time(23, 59),
                    day=target.day,
                )
            )
    return issues


def _daily_limits(
    problem: Problem, placements: Sequence[Placement], courses: dict[str, Course]
) -> list[Message]:
    """Each practitioner's daily maximum of sessions and of minutes.

    Appointments already booked that day (`Busy.session`) count with the placements.
    """
    limited = {
        p.id: p
        for p in problem.practitioners
        if p.max_sessions_per_day is not None or p.max_minutes_per_day is not None
    }
    booked: dict[tuple[str, date], tuple[int, int]] = {}
    for busy in problem.busy:
        if busy.session and busy.resource == "practitioner" and busy.resource_id in limited:
            key = (busy.resource_id, busy.day)
            count, minutes = booked.get(key, (0, 0))
            booked[key] = (count + 1, minutes + _minutes(busy.end) - _minutes(busy.start))
    per_day: dict[tuple[str, date], list[Placement]] = defaultdict(list)
    for p in placements:
        if p.practitioner_id in limited:
            per_day[(p.practitioner_id, p.day)].append(p)
    issues = []
    for (pid, day), items in sorted(per_day.items()):
        practitioner = limited[pid]
        who = practitioner.name or practitioner.id
        last = max(items, key=lambda p: (p.start, p.course_id))
        what, what_ru = _label(last)
        ctx = {"what": what, "what_ru": what_ru, "practitioner": who, "day": day}
        count_before, minutes_before = booked.get((pid, day), (0, 0))
        count = count_before + len(items)
        limit = practitioner.max_sessions_per_day
        if limit is not None and count > limit:
            issues.append(message("daily_sessions", count=count, limit=limit, **ctx))
        minutes = minutes_before + sum(
            courses[p.course_id].duration_min for p in items if p.course_id in courses
        )
        limit = practitioner.max_minutes_per_day
        if limit is not None and minutes > limit:
            issues.append(message("daily_minutes", count=minutes, limit=limit, **ctx))
    return issues


def _windows(
    problem: Problem, placements: Sequence[Placement], courses: dict[str, Course]
) -> list[Message]:
    """Each course's placed sessions follow one another inside their windows."""
    by_course: dict[str, list[Placement]] = defaultdict(list)
    for p in placements:
        by_course[p.course_id].append(p)
    issues = []
    for course_id, items in by_course.items():
        course = courses.get(course_id)
        if course is None:
            continue
        items.sort(key=lambda p: p.session_index)
        previous = course.previous_session_date
        expected = course.sessions_done + 1
        for n, p in enumerate(items):
            what, what_ru = _label(p)
            ctx = {"what": what, "what_ru": what_ru, "day": p.day}
            if p.session_index != expected:
                issues.append(
                    message("previous_unplaced", session=p.session_index, previous=expected)
                )
            expected = p.session_index + 1
            if n == 0:
                if course.earliest_start is not None and p.day < course.earliest_start:
                    issues.append(message("before_window", earliest=course.earliest_start, **ctx))
                late = course.latest_start is not None and p.day > course.latest_start
                if late and not p.outside_window:
                    issues.append(message("after_window", latest=course.latest_start, **ctx))
            if previous is not None:
                days = (p.day - previous).days
                if days < course.min_interval_days:
                    issues.append(
                        message("too_early", days=days, min_days=course.min_interval_days, **ctx)
                    )
                if days > course.max_interval_days and not p.outside_window:
                    issues.append(
                        message("too_late", days=days, max_days=course.max_interval_days, **ctx)
                    )
            previous = p.day
    return issues


def plan_violations(problem: Problem, plan: Plan) -> list[str]:
    """Every rule the plan breaks, in English; empty for a valid plan.

    Placements flagged `outside_window` (a relaxed "nearest feasible" proposal) are
    checked for everything except the late side of their window; the minimum interval
    is a safety limit and is always checked.
    """
    issues = placement_issues(problem, plan.placements)
    seen: set[tuple[str, int]] = set()
    for p in plan.placements:
        key = (p.course_id, p.session_index)
        if key in seen:
            issues.append(
                message(
                    "unknown_resource",
                    what="plan",
                    what_ru="план",
                    resource="duplicate session",
                    resource_id=f"{key}",
                )
            )
        seen.add(key)
    return [m.en for m in issues]
