"""Booking one course in one step and re-planning it on change."""

from __future__ import annotations

from dataclasses import replace
from datetime import time, timedelta
from itertools import pairwise

from mesoclinic.core.planning import Busy, plan_changes, plan_violations, propose_course
from tests.core.planning.factory import MONDAY, course, practitioner, problem


def test_whole_course_is_booked_with_the_same_practitioner_at_the_preferred_gap() -> None:
    clinic = problem(practitioners=(practitioner("P1"), practitioner("P2")), rooms=2)
    booking = course("C1", sessions_remaining=5)
    plan = propose_course(clinic, booking)
    assert len(plan.placements) == 5 and plan.unplaced == ()
    assert len({p.practitioner_id for p in plan.placements}) == 1
    days = [p.day for p in plan.placements]
    assert all((b - a).days == 7 for a, b in pairwise(days))
    assert plan_violations(replace(clinic, courses=(booking,)), plan) == []


def test_booking_avoids_existing_appointments_and_unavailable_dates() -> None:
    taken = [
        Busy("practitioner", "P1", MONDAY + timedelta(days=d), time(9), time(18)) for d in range(5)
    ]
    clinic = problem(busy=tuple(taken))
    booking = course(
        "C1",
        sessions_remaining=2,
        latest_start=MONDAY + timedelta(days=13),
        unavailable_dates=frozenset({MONDAY + timedelta(days=14)}),
    )
    plan = propose_course(clinic, booking)
    assert plan.placements[0].day >= MONDAY + timedelta(days=7)
    assert all(p.day != MONDAY + timedelta(days=14) for p in plan.placements)
    assert plan_violations(replace(clinic, courses=(booking,)), plan) == []


def test_patient_preferences_for_weekday_and_time_are_followed() -> None:
    from tests.core.planning.factory import hours

    clinic = problem()
    booking = course(
        "C1",
        sessions_remaining=3,
        preferred_weekdays=frozenset({3}),
        preferred_times=hours(15, 18),
    )
    plan = propose_course(clinic, booking)
    assert [p.day.weekday() for p in plan.placements] == [3, 3, 3]
    assert all(p.start >= time(15) for p in plan.placements)


def test_postponed_session_replans_rest_within_windows() -> None:
    clinic = problem(practitioners=(practitioner("P1"), practitioner("P2")), rooms=2)
    booking = course(
        "C1",
        sessions_remaining=4,
        earliest_start=None,
        latest_start=None,
        sessions_done=2,
        previous_session_date=MONDAY - timedelta(days=7),
    )
    saved = propose_course(clinic, booking)
    assert saved.placements[0].day == MONDAY
    # At check-in on Monday a temporary contraindication postpones session 3 by 3 days.
    postponed = replace(booking, earliest_start=MONDAY + timedelta(days=3))
    replanned = propose_course(clinic, postponed)
    assert len(replanned.placements) == 4 and replanned.unplaced == ()
    assert replanned.placements[0].day >= MONDAY + timedelta(days=3)
    assert plan_violations(replace(clinic, courses=(postponed,)), replanned) == []
    changes = plan_changes(saved.placements, replanned)
    assert [c.session_index for c in changes] == [3, 4, 5, 6]
    assert changes[0].kind == "moved"
    assert changes[0].before.day == MONDAY and changes[0].after.day == replanned.placements[0].day


def test_unmeetable_window_is_explained_with_nearest_plan() -> None:
    # Session 3 is due 5-8 days after session 2 (on Monday the 3rd, so by the 11th),
    # but the practitioner is away until the 14th.
    away = frozenset(MONDAY + timedelta(days=d) for d in range(11))
    clinic = problem(practitioners=(practitioner("P1", absences=away),))
    booking = course(
        "C1",
        sessions_remaining=3,
        sessions_done=2,
        earliest_start=None,
        latest_start=None,
        previous_session_date=MONDAY,
        min_interval_days=5,
        max_interval_days=8,
    )
    plan = propose_course(clinic, booking)
    assert plan.placements == ()
    first = plan.unplaced[0]
    assert first.session_index == 3 and first.reason == "window_empty"
    assert "2025-03-08 and 2025-03-11" in first.message_en and "специалист" in first.message_ru
    assert [u.reason for u in plan.unplaced[1:]] == ["previous_unplaced", "previous_unplaced"]
    nearest = plan.nearest
    assert nearest is not None and nearest.relaxation is not None
    assert nearest.relaxation.max_interval_days == 11  # the 14th is 11 days after the 3rd
    assert "11" in nearest.relaxation.message_en and nearest.relaxation.message_ru
    assert len(nearest.placements) == 3
    assert nearest.placements[0].outside_window and nearest.placements[0].day == MONDAY + timedelta(
        days=11
    )
    assert not any(p.outside_window for p in nearest.placements[1:])
    assert plan_violations(replace(clinic, courses=(booking,)), nearest) == []


def test_course_without_credentialed_practitioner_is_explained() -> None:
    clinic = problem()
    booking = course("C1", technique="electroporation", device_kind="electroporation")
    plan = propose_course(clinic, booking)
    assert plan.placements == () and plan.nearest is None
    assert plan.unplaced[0].reason == "no_credentialed_practitioner"
    assert "electroporation" in plan.unplaced[0].message_en


def test_needle_free_course_needs_its_device() -> None:
    clinic = problem(practitioners=(practitioner("P1", "electroporation"),))
    booking = course("C1", technique="electroporation", device_kind="electroporation")
    plan = propose_course(clinic, booking)
    assert plan.unplaced[0].reason == "no_device"
