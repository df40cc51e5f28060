"""The clinic as it is: each hard constraint is kept by every planner and caught by the checker.

Each case is built so that a planner ignoring the constraint would do otherwise (the
first room, the earliest slot, the first practitioner, every session), so each test
fails if the constraint is dropped from the planners or from the checker.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Callable
from datetime import time, timedelta

import pytest

from mesoclinic.core.planning import (
    Busy,
    Course,
    Device,
    Placement,
    Plan,
    Problem,
    Room,
    placement_issues,
    plan_clinic,
    plan_cpsat,
    plan_first_fit,
    plan_violations,
    propose_course,
)
from tests.core.planning.factory import MONDAY, course, hours, practitioner, problem

THURSDAY = MONDAY + timedelta(days=3)


def _clinic(clinic: Problem) -> Plan:
    return plan_clinic(clinic, time_limit_s=5, seed=0)


def _cpsat(clinic: Problem) -> Plan:
    return plan_cpsat(clinic, time_limit_s=5, seed=0)


def _single(clinic: Problem) -> Plan:
    assert len(clinic.courses) == 1
    return propose_course(clinic, clinic.courses[0], max_relax_days=0)


PLANNERS: dict[str, Callable[[Problem], Plan]] = {
    "first_fit": plan_first_fit,
    "clinic": _clinic,
    "cpsat": _cpsat,
}
ALL = {**PLANNERS, "course": _single}


def _plan(name: str, clinic: Problem) -> Plan:
    plan = ALL[name](clinic)
    assert plan_violations(clinic, plan) == []
    return plan


def _codes(clinic: Problem, *placements: Placement) -> list[str]:
    return [m.code for m in placement_issues(clinic, list(placements), check_windows=False)]


def _at(course_id: str = "C1", **kwargs: object) -> Placement:
    values: dict[str, object] = {
        "course_id": course_id,
        "session_index": 1,
        "day": MONDAY,
        "start": time(9),
        "end": time(9, 45),
        "practitioner_id": "P1",
        "room_id": "R0",
    }
    values.update(kwargs)
    return Placement(**values)  # type: ignore[arg-type]


def _with(clinic: Problem, **changes: object) -> Problem:
    from dataclasses import replace

    return replace(clinic, **changes)


# -- rooms -----------------------------------------------------------------------------
def _equipped() -> Problem:
    rooms = (Room("R0"), Room("R1", features=frozenset({"couch", "body"})))
    return _with(problem(courses=(course("C1", room_needs=frozenset({"couch"})),)), rooms=rooms)


@pytest.mark.parametrize("planner", ALL)
def test_a_course_gets_a_room_with_the_equipment_it_needs(planner: str) -> None:
    plan = _plan(planner, _equipped())
    assert len(plan.placements) == 4
    assert {p.room_id for p in plan.placements} == {"R1"}


def test_checker_reports_a_room_without_the_equipment() -> None:
    clinic = _equipped()
    assert _codes(clinic, _at(room_id="R0")) == ["room_unsuitable"]
    assert _codes(clinic, _at(room_id="R1")) == []


def _cleaned() -> Problem:
    clinic = problem(
        courses=tuple(
            course(f"C{i}", sessions_remaining=1, latest_start=MONDAY) for i in range(1, 4)
        ),
        practitioners=(practitioner("P1"), practitioner("P2"), practitioner("P3")),
    )
    return _with(clinic, rooms=(Room("R0", cleaning_buffer_min=30),))


@pytest.mark.parametrize("planner", PLANNERS)
def test_a_room_is_cleaned_between_sessions(planner: str) -> None:
    plan = _plan(planner, _cleaned())
    assert len(plan.placements) == 3
    spans = sorted((p.start, p.end) for p in plan.placements)
    for (_, end), (start, _) in itertools.pairwise(spans):
        gap = (start.hour * 60 + start.minute) - (end.hour * 60 + end.minute)
        assert gap >= 30


def test_checker_reports_a_room_not_cleaned() -> None:
    clinic = _cleaned()
    first = _at("C1")
    second = _at("C2", start=time(9, 45), end=time(10, 30), practitioner_id="P2")
    assert _codes(clinic, first, second) == ["room_not_cleaned"]
    later = _at("C2", start=time(10, 15), end=time(11), practitioner_id="P2")
    assert _codes(clinic, first, later) == []


# -- devices ---------------------------------------------------------------------------
def _shared_device() -> Problem:
    devices = (Device("D1", kind="electroporation", kinds=frozenset({"oxygen_jet"})),)
    return problem(courses=(course("C1", device_kind="oxygen_jet"),), devices=devices)


@pytest.mark.parametrize("planner", ALL)
def test_a_device_serves_several_techniques(planner: str) -> None:
    plan = _plan(planner, _shared_device())
    assert len(plan.placements) == 4
    assert {p.device_id for p in plan.placements} == {"D1"}


def test_checker_accepts_a_device_serving_the_technique_and_no_other() -> None:
    clinic = _shared_device()
    assert _codes(clinic, _at(device_id="D1")) == []
    other = _with(clinic, devices=(Device("D1", kind="electroporation"),))
    assert _codes(other, _at(device_id="D1")) == ["wrong_device"]


# -- practitioners ---------------------------------------------------------------------
def _one_practitioner(**changes: object) -> Problem:
    # P1 works Mondays only; P2 every weekday but Monday mornings. Session 1 is on Monday
    # at 9:00 with P1; the earliest day for session 2 is Thursday, with P2 only.
    values: dict[str, object] = {
        "sessions_remaining": 2,
        "min_interval_days": 3,
        "max_interval_days": 10,
        "preferred_gap_days": 3,
        "latest_start": MONDAY,
        "same_practitioner": True,
    }
    values.update(changes)
    staff = (practitioner("P1", working_hours={0: hours(9, 18)}), practitioner("P2"))
    busy = tuple(
        Busy("practitioner", "P2", MONDAY + timedelta(days=7 * w), time(9), time(12))
        for w in range(6)
    )
    return problem(courses=(course("C1", **values),), practitioners=staff, busy=busy)


@pytest.mark.parametrize("planner", ALL)
def test_a_course_kept_with_one_practitioner_never_switches(planner: str) -> None:
    plan = _plan(planner, _one_practitioner())
    assert len(plan.placements) == 2
    assert len({p.practitioner_id for p in plan.placements}) == 1


@pytest.mark.parametrize("planner", ALL)
def test_a_started_course_stays_with_its_practitioner(planner: str) -> None:
    clinic = _one_practitioner(
        sessions_done=1,
        previous_session_date=MONDAY - timedelta(days=3),
        earliest_start=None,
        latest_start=None,
        previous_practitioner="P2",
    )
    plan = _plan(planner, clinic)
    assert plan.placements
    assert {p.practitioner_id for p in plan.placements} == {"P2"}


def test_checker_reports_a_switch_in_a_one_practitioner_course() -> None:
    clinic = _one_practitioner()
    second = _at(session_index=2, day=THURSDAY, practitioner_id="P2", start=time(12))
    second = Placement(**{**second.__dict__, "end": time(12, 45)})
    assert _codes(clinic, _at(), second) == ["practitioner_changed"]


def _limited(**limits: int) -> Problem:
    staff = (practitioner("P1", **limits),)
    courses = tuple(
        course(f"C{i}", sessions_remaining=1, latest_start=MONDAY + timedelta(days=1))
        for i in range(1, 5)
    )
    return problem(courses=courses, practitioners=staff, rooms=2)


@pytest.mark.parametrize("planner", PLANNERS)
@pytest.mark.parametrize("limits", [{"max_sessions_per_day": 2}, {"max_minutes_per_day": 90}])
def test_a_practitioner_daily_limit_is_kept(planner: str, limits: dict[str, int]) -> None:
    plan = _plan(planner, _limited(**limits))
    per_day = Counter(p.day for p in plan.placements)
    assert len(plan.placements) == 4  # two on Monday, two on Tuesday
    assert max(per_day.values()) == 2


def test_checker_reports_a_daily_limit_exceeded() -> None:
    three = [
        _at(f"C{i}", start=time(9 + i), end=time(9 + i, 45), room_id="R0") for i in range(1, 4)
    ]
    assert _codes(_limited(max_sessions_per_day=2), *three) == ["daily_sessions"]
    assert _codes(_limited(max_minutes_per_day=90), *three) == ["daily_minutes"]


def _limited_with_bookings(**limits: int) -> Problem:
    """P1 already has two appointments on Monday; four one-session courses Mon-Tue."""
    booked = tuple(
        Busy("practitioner", "P1", MONDAY, time(h), time(h, 45), session=True) for h in (9, 10)
    )
    return _with(_limited(**limits), busy=booked)


@pytest.mark.parametrize("planner", ALL)
@pytest.mark.parametrize("limits", [{"max_sessions_per_day": 2}, {"max_minutes_per_day": 90}])
def test_a_daily_limit_counts_the_appointments_already_booked(
    planner: str, limits: dict[str, int]
) -> None:
    clinic = _limited_with_bookings(**limits)
    if planner == "course":
        clinic = _with(clinic, courses=clinic.courses[:1])
    plan = _plan(planner, clinic)
    assert plan.placements
    assert all(p.day != MONDAY for p in plan.placements)


def test_a_break_does_not_count_toward_the_daily_limit() -> None:
    lunch = Busy("practitioner", "P1", MONDAY, time(13), time(13, 45))
    clinic = _with(_limited(max_sessions_per_day=2), busy=(lunch,))
    plan = _plan("first_fit", clinic)
    assert Counter(p.day for p in plan.placements)[MONDAY] == 2


def test_checker_counts_the_appointments_already_booked_toward_the_daily_limit() -> None:
    one = _at("C1", start=time(14), end=time(14, 45))
    assert _codes(_limited_with_bookings(max_sessions_per_day=2), one) == ["daily_sessions"]
    assert _codes(_limited_with_bookings(max_minutes_per_day=90), one) == ["daily_minutes"]
    assert _codes(_limited(max_sessions_per_day=2), one) == []


def test_the_bound_leaves_out_a_day_the_limit_is_used_up() -> None:
    from mesoclinic.core.planning.bounds import allowed_days
    from mesoclinic.core.planning.grid import Grid

    clinic = _limited_with_bookings(max_sessions_per_day=2)
    grid = Grid(clinic)
    assert 0 not in allowed_days(grid, clinic.courses[0])
    assert 1 in allowed_days(grid, clinic.courses[0])


def _closing_buffer() -> Problem:
    """One room with a 30-minute cleaning; the only free time is the last 45 minutes."""
    clinic = problem(courses=(course("C1", sessions_remaining=1, latest_start=MONDAY),))
    before = Busy("practitioner", "P1", MONDAY, time(9), time(17, 15))
    return _with(clinic, rooms=(Room("R0", cleaning_buffer_min=30),), busy=(before,))


@pytest.mark.parametrize("planner", ALL)
def test_a_session_whose_cleaning_runs_past_closing_is_not_placed(planner: str) -> None:
    # 17:15-18:00 fits the day, but its cleaning would end at 18:30 after closing.
    plan = ALL[planner](_closing_buffer())
    assert plan.placements == ()
    assert plan_violations(_closing_buffer(), plan) == []


def test_checker_reports_cleaning_past_closing() -> None:
    clinic = _closing_buffer()
    late = _at(start=time(17, 15), end=time(18))
    assert "cleaning_after_closing" in _codes(_with(clinic, busy=()), late)
    assert _codes(_with(clinic, busy=()), _at(start=time(16, 45), end=time(17, 30))) == []


@pytest.mark.parametrize("planner", ALL)
def test_a_break_is_respected(planner: str) -> None:
    staff = (practitioner("P1", working_hours={0: hours(9, 18)}),)
    busy = tuple(
        Busy("practitioner", "P1", MONDAY + timedelta(days=7 * w), time(9), time(13), "break")
        for w in range(6)
    )
    clinic = problem(courses=(course("C1", sessions_remaining=2),), practitioners=staff, busy=busy)
    plan = _plan(planner, clinic)
    assert len(plan.placements) == 2
    assert all(p.start >= time(13) for p in plan.placements)


# -- the patient -----------------------------------------------------------------------
@pytest.mark.parametrize("planner", ALL)
def test_the_patient_comes_only_on_her_weekdays(planner: str) -> None:
    clinic = problem(courses=(course("C1", available_weekdays=frozenset({3})),))
    plan = _plan(planner, clinic)
    assert len(plan.placements) == 4
    assert {p.day.weekday() for p in plan.placements} == {3}


@pytest.mark.parametrize("planner", ALL)
def test_the_patient_comes_only_at_her_hours(planner: str) -> None:
    clinic = problem(courses=(course("C1", available_times=hours(16, 18)),))
    plan = _plan(planner, clinic)
    assert len(plan.placements) == 4
    assert all(p.start >= time(16) for p in plan.placements)


def test_checker_reports_the_patient_availability() -> None:
    clinic = problem(
        courses=(course("C1", available_weekdays=frozenset({3}), available_times=hours(16, 18)),)
    )
    assert _codes(clinic, _at()) == ["patient_weekday", "patient_hours"]
    fine = _at(day=THURSDAY, start=time(16), end=time(16, 45))
    assert _codes(clinic, fine) == []


@pytest.mark.parametrize("planner", ALL)
def test_a_course_ends_by_its_latest_finish(planner: str) -> None:
    finish = MONDAY + timedelta(days=12)
    clinic = problem(courses=(course("C1", latest_finish=finish),))
    plan = _plan(planner, clinic)
    assert 1 <= len(plan.placements) < 4
    assert all(p.day <= finish for p in plan.placements)
    assert len(plan.unplaced) == 4 - len(plan.placements)


def test_checker_reports_a_session_after_the_latest_finish() -> None:
    clinic = problem(courses=(course("C1", latest_finish=MONDAY),))
    assert _codes(clinic, _at(day=MONDAY + timedelta(days=1))) == ["after_latest_finish"]


def test_course_fields_default_to_no_constraint() -> None:
    c = Course(
        id="C",
        patient_id="p",
        technique="needle",
        duration_min=30,
        sessions_remaining=1,
        min_interval_days=5,
        max_interval_days=10,
        preferred_gap_days=7,
    )
    assert not c.same_practitioner and not c.available_weekdays and c.latest_finish is None


@pytest.mark.parametrize("planner", ALL)
def test_a_course_no_room_can_host_is_explained(planner: str) -> None:
    clinic = problem(courses=(course("C1", room_needs=frozenset({"body"})),))
    plan = ALL[planner](clinic)
    assert plan.placements == ()
    assert {u.reason for u in plan.unplaced} == {"no_suitable_room"}
    assert "body" in plan.unplaced[0].message_en and "кабинет" in plan.unplaced[0].message_ru
