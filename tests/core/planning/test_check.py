"""Clear messages for appointments entered or adjusted by hand, and planner explanations."""

from __future__ import annotations

from datetime import time, timedelta

from mesoclinic.core.planning import (
    Device,
    Placement,
    placement_issues,
    plan_cpsat,
    plan_first_fit,
)
from tests.core.planning.factory import MONDAY, course, hours, practitioner, problem

TUESDAY = MONDAY + timedelta(days=1)


def _placement(**kwargs: object) -> Placement:
    values: dict[str, object] = {
        "course_id": "C1",
        "session_index": 1,
        "day": TUESDAY,
        "start": time(10),
        "end": time(10, 45),
        "practitioner_id": "P1",
        "room_id": "R0",
    }
    values.update(kwargs)
    return Placement(**values)  # type: ignore[arg-type]


def _codes(clinic, *placements: Placement) -> list[str]:
    return [m.code for m in placement_issues(clinic, list(placements))]


def test_valid_appointment_has_no_issues() -> None:
    clinic = problem(courses=(course("C1"),))
    assert _codes(clinic, _placement()) == []


def test_appointment_outside_opening_hours_is_reported() -> None:
    clinic = problem(courses=(course("C1"),))
    issues = placement_issues(clinic, [_placement(start=time(17, 30), end=time(18, 15))])
    assert issues[0].code == "outside_opening_hours"
    assert "17:30-18:15" in issues[0].en and "вне часов работы клиники" in issues[0].ru


def test_appointment_on_a_holiday_or_weekend_is_reported() -> None:
    clinic = problem(courses=(course("C1"),), holidays=frozenset({TUESDAY}))
    assert "clinic_closed" in _codes(clinic, _placement())
    assert "clinic_closed" in _codes(clinic, _placement(day=MONDAY + timedelta(days=6)))


def test_appointment_outside_practitioner_hours_is_reported() -> None:
    staff = (practitioner("P1", working_hours={1: hours(12, 18)}),)
    clinic = problem(courses=(course("C1"),), practitioners=staff)
    assert _codes(clinic, _placement()) == ["outside_working_hours"]


def test_practitioner_without_credential_is_reported() -> None:
    clinic = problem(courses=(course("C1", technique="mesoinjector"),))
    issues = placement_issues(clinic, [_placement()])
    assert [m.code for m in issues] == ["missing_credential"]
    assert "mesoinjector" in issues[0].en


def test_needle_free_session_without_its_device_is_reported() -> None:
    staff = (practitioner("P1", "electroporation"),)
    courses = (course("C1", technique="electroporation", device_kind="electroporation"),)
    clinic = problem(courses=courses, practitioners=staff, devices=(Device("D1", "oxygen"),))
    assert _codes(clinic, _placement()) == ["missing_device"]
    assert _codes(clinic, _placement(device_id="D1")) == ["wrong_device"]


def test_double_booking_is_reported() -> None:
    clinic = problem(courses=(course("C1"), course("C2")))
    other = _placement(course_id="C2", start=time(10, 30), end=time(11, 15))
    assert "double_booked" in _codes(clinic, _placement(), other)


def test_intervals_outside_the_window_are_reported() -> None:
    clinic = problem(courses=(course("C1"),))
    second = _placement(session_index=2, day=TUESDAY + timedelta(days=2))
    late = _placement(session_index=2, day=TUESDAY + timedelta(days=14))
    assert _codes(clinic, _placement(), second) == ["too_early"]
    assert _codes(clinic, _placement(), late) == ["too_late"]


def test_planners_explain_sessions_past_the_horizon() -> None:
    clinic = problem(courses=(course("C1", sessions_remaining=8),), weeks=3)
    for plan in (plan_first_fit(clinic), plan_cpsat(clinic, time_limit_s=5)):
        assert len(plan.placements) == 3
        reasons = [u.reason for u in plan.unplaced]
        assert reasons[0] in {"outside_horizon", "window_past_horizon"}
        assert set(reasons[1:]) == {"previous_unplaced"}


def test_cpsat_keeps_the_same_practitioner_where_first_fit_does_not() -> None:
    staff = (practitioner("P1"), practitioner("P2"))
    courses = tuple(course(f"C{i}", sessions_remaining=4) for i in range(6))
    clinic = problem(courses=courses, practitioners=staff, rooms=2)
    plan = plan_cpsat(clinic, time_limit_s=5)
    assert len(plan.placements) == 24
    for c in courses:
        assert len({p.practitioner_id for p in plan.placements if p.course_id == c.id}) == 1
