"""Property tests of both planners on small random clinics."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mesoclinic.core.planning import (
    Device,
    Problem,
    plan_cpsat,
    plan_first_fit,
    plan_violations,
    upper_bound,
)
from tests.core.planning.factory import MONDAY, course, hours, practitioner, problem

TECHNIQUES = ("needle", "injector", "electroporation")


@st.composite
def clinics(draw: st.DrawFn) -> Problem:
    staff = []
    for i in range(draw(st.integers(1, 3))):
        credentials = draw(st.sets(st.sampled_from(TECHNIQUES), min_size=1))
        days = draw(st.sets(st.integers(0, 5), min_size=2))
        start = draw(st.integers(8, 12))
        end = start + draw(st.integers(3, 8))
        absences = draw(st.sets(st.integers(0, 27), max_size=3))
        staff.append(
            practitioner(
                f"P{i}",
                *sorted(credentials),
                working_hours={d: hours(start, end) for d in days},
                absences=frozenset(MONDAY + timedelta(days=a) for a in absences),
            )
        )
    devices = tuple(
        Device(id=f"D{i}", kind="electroporation") for i in range(draw(st.integers(0, 1)))
    )
    courses = []
    for i in range(draw(st.integers(1, 8))):
        technique = draw(st.sampled_from(TECHNIQUES))
        lo = draw(st.integers(1, 7))
        hi = lo + draw(st.integers(0, 6))
        first = draw(st.integers(0, 14))
        courses.append(
            course(
                f"C{i}",
                patient_id=f"pt{draw(st.integers(0, 5))}",
                technique=technique,
                device_kind="electroporation" if technique == "electroporation" else None,
                duration_min=draw(st.sampled_from((30, 45, 60, 90))),
                sessions_remaining=draw(st.integers(1, 6)),
                min_interval_days=lo,
                max_interval_days=hi,
                preferred_gap_days=draw(st.integers(lo, hi)),
                earliest_start=MONDAY + timedelta(days=first),
                latest_start=MONDAY + timedelta(days=first + draw(st.integers(0, 7))),
                unavailable_dates=frozenset(
                    MONDAY + timedelta(days=d)
                    for d in draw(st.sets(st.integers(0, 27), max_size=4))
                ),
            )
        )
    base = problem(
        courses=tuple(courses),
        practitioners=tuple(staff),
        rooms=draw(st.integers(1, 2)),
        devices=devices,
        weeks=4,
    )
    # Saturday opening so that Saturday shifts are usable.
    return Problem(**{**base.__dict__, "opening_hours": {**base.opening_hours, 5: hours(9, 15)}})


PROPERTY_SETTINGS = settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@PROPERTY_SETTINGS
@given(clinics())
def test_first_fit_plans_are_valid_and_within_the_bound(clinic: Problem) -> None:
    plan = plan_first_fit(clinic)
    assert plan_violations(clinic, plan) == []
    assert len(plan.placements) <= upper_bound(clinic)
    total = sum(c.sessions_remaining for c in clinic.courses)
    assert len(plan.placements) + len(plan.unplaced) == total


@PROPERTY_SETTINGS
@given(clinics())
def test_cpsat_plans_are_valid_and_place_at_least_as_many_as_first_fit(clinic: Problem) -> None:
    plan = plan_cpsat(clinic, time_limit_s=5, seed=3)
    assert plan_violations(clinic, plan) == []
    assert len(plan.placements) <= upper_bound(clinic)
    assert len(plan.placements) >= len(plan_first_fit(clinic).placements)
    total = sum(c.sessions_remaining for c in clinic.courses)
    assert len(plan.placements) + len(plan.unplaced) == total
    assert all(u.message_en and u.message_ru for u in plan.unplaced)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(clinics(), st.integers(0, 1000))
def test_cpsat_is_deterministic_for_a_seed(clinic: Problem, seed: int) -> None:
    first = plan_cpsat(clinic, time_limit_s=20, seed=seed, deterministic_time=0.5)
    second = plan_cpsat(clinic, time_limit_s=20, seed=seed, deterministic_time=0.5)
    assert not first.status.endswith("wall_clock")
    assert first.placements == second.placements
    assert first.unplaced == second.unplaced
