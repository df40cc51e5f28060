"""The clinic optimiser on small random clinics with every hard constraint of a real clinic."""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import time, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mesoclinic.core.planning import (
    Busy,
    Device,
    Problem,
    Room,
    plan_clinic,
    plan_first_fit,
    plan_violations,
    upper_bound,
)
from tests.core.planning.factory import MONDAY, course, hours, practitioner, problem

TECHNIQUES = ("needle", "injector", "electroporation", "oxygen")
KINDS = {"electroporation": "electroporation", "oxygen": "oxygen"}
# A small work budget and a generous clock: the work budget, not the clock, stops the
# search, so runs are reproducible even on a busy machine.
FAST = {"time_limit_s": 2.0, "wall_limit_s": 300.0}
TIMES = ("portfolio_time_s", "search_time_s")  # the only stats that may differ between runs


@st.composite
def clinics(draw: st.DrawFn) -> Problem:
    staff = []
    for i in range(draw(st.integers(1, 3))):
        days = draw(st.sets(st.integers(0, 5), min_size=2))
        start = draw(st.integers(8, 12))
        staff.append(
            practitioner(
                f"P{i}",
                *sorted(draw(st.sets(st.sampled_from(TECHNIQUES), min_size=1))),
                working_hours={d: hours(start, start + draw(st.integers(3, 8))) for d in days},
                max_sessions_per_day=draw(st.sampled_from((None, 2, 4))),
                max_minutes_per_day=draw(st.sampled_from((None, 120))),
            )
        )
    rooms = tuple(
        Room(
            f"R{i}",
            features=draw(st.sampled_from((frozenset(), frozenset({"couch"})))),
            cleaning_buffer_min=draw(st.sampled_from((0, 0, 15, 30))),
        )
        for i in range(draw(st.integers(1, 2)))
    )
    devices = tuple(
        Device(
            f"D{i}",
            kind="electroporation",
            kinds=draw(st.sampled_from((frozenset(), frozenset({"oxygen"})))),
        )
        for i in range(draw(st.integers(0, 1)))
    )
    busy = tuple(
        Busy(
            "practitioner",
            f"P{draw(st.integers(0, len(staff) - 1))}",
            MONDAY + timedelta(days=d),
            time(12),
            time(13),
        )
        for d in draw(st.sets(st.integers(0, 20), max_size=4))
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
                device_kind=KINDS.get(technique),
                duration_min=draw(st.sampled_from((30, 45, 60))),
                sessions_remaining=draw(st.integers(1, 6)),
                min_interval_days=lo,
                max_interval_days=hi,
                preferred_gap_days=draw(st.integers(lo, hi)),
                earliest_start=MONDAY + timedelta(days=first),
                latest_start=MONDAY + timedelta(days=first + draw(st.integers(0, 7))),
                same_practitioner=draw(st.booleans()),
                available_weekdays=draw(
                    st.sampled_from((frozenset(), frozenset({1, 3}), frozenset({0, 2, 4, 5})))
                ),
                available_times=draw(st.sampled_from(((), hours(8, 13), hours(12, 20)))),
                room_needs=draw(st.sampled_from((frozenset(), frozenset({"couch"})))),
                latest_finish=draw(
                    st.sampled_from((None, MONDAY + timedelta(days=draw(st.integers(10, 27)))))
                ),
            )
        )
    base = problem(courses=tuple(courses), practitioners=tuple(staff), weeks=4, busy=busy)
    return replace(
        base,
        rooms=rooms,
        devices=devices,
        opening_hours={**base.opening_hours, 5: hours(9, 15)},
    )


SETTINGS = settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(clinics())
def test_optimiser_plans_are_valid_and_place_at_least_as_many_as_first_fit(
    clinic: Problem,
) -> None:
    plan = plan_clinic(clinic, seed=0, **FAST)
    assert plan_violations(clinic, plan) == []
    first_fit = plan_first_fit(clinic)
    assert plan_violations(clinic, first_fit) == []
    assert len(first_fit.placements) <= len(plan.placements) <= upper_bound(clinic)
    placed = len(plan.placements)
    assert placed + len(plan.unplaced) == sum(c.sessions_remaining for c in clinic.courses)
    assert plan.stats["start_sessions"] <= placed


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(clinics(), st.integers(0, 3))
def test_optimiser_is_deterministic_for_a_seed(clinic: Problem, seed: int) -> None:
    first = plan_clinic(clinic, seed=seed, **FAST)
    second = plan_clinic(clinic, seed=seed, **FAST)
    assert first.placements == second.placements
    assert first.unplaced == second.unplaced


def _crowded() -> Problem:
    # Two practitioners, one room, 12 short courses competing for the same weeks.
    courses = tuple(
        course(f"C{i}", patient_id=f"pt{i}", duration_min=60, sessions_remaining=4)
        for i in range(12)
    )
    return problem(courses=courses, practitioners=(practitioner("P1"), practitioner("P2")), rooms=1)


def test_progress_is_reported_and_the_search_can_be_stopped() -> None:
    clinic = _crowded()
    seen: list[tuple[float, int]] = []
    plan = plan_clinic(clinic, seed=0, progress=lambda f, n: seen.append((f, n)), **FAST)
    assert seen[0][0] == 0.0 and seen[-1] == (1.0, len(plan.placements))
    assert all(a[0] <= b[0] for a, b in itertools.pairwise(seen))
    stopped = plan_clinic(clinic, seed=0, should_stop=lambda: True, **FAST)
    assert stopped.status == "stopped"
    assert stopped.stats["search_steps"] == 0
    assert len(stopped.placements) == stopped.stats["start_sessions"]
    assert plan_violations(clinic, stopped) == []


def test_stats_name_every_heuristic_and_both_stages() -> None:
    plan = plan_clinic(_crowded(), seed=0, **FAST)
    heuristics = [k for k in plan.stats if k.startswith("heuristic:")]
    assert len(heuristics) >= 6
    assert plan.stats["start_sessions"] == max(plan.stats[k] for k in heuristics)
    assert plan.stats["search_sessions"] == len(plan.placements)


def test_search_that_moves_sessions_between_courses_stays_valid() -> None:
    # A crowded week: the search swaps sessions between courses, so an old place one
    # course leaves is taken by another in the same step.
    staff = (
        practitioner("P1", working_hours={d: hours(9, 13) for d in range(5)}),
        practitioner("P2", working_hours={d: hours(11, 15) for d in range(5)}),
    )
    courses = tuple(
        course(
            f"C{i}",
            patient_id=f"pt{i}",
            duration_min=(30, 45, 60)[i % 3],
            sessions_remaining=3,
            min_interval_days=2,
            max_interval_days=4,
            preferred_gap_days=3,
            earliest_start=MONDAY + timedelta(days=i % 4),
            latest_start=MONDAY + timedelta(days=i % 4 + 2),
            room_needs=frozenset({"couch"}) if i % 2 else frozenset(),
        )
        for i in range(30)
    )
    rooms = (Room("R0", features=frozenset({"couch"}), cleaning_buffer_min=15), Room("R1"))
    clinic = replace(problem(courses=courses, practitioners=staff, weeks=2), rooms=rooms)
    plan = plan_clinic(clinic, seed=1, time_limit_s=4.0, wall_limit_s=300.0)
    assert plan.stats["search_improvements"] > 0
    assert plan_violations(clinic, plan) == []


def test_default_settings_give_the_same_plan_twice_for_a_seed() -> None:
    # The default work budget (time_limit_s=60) on a small crowded clinic where the
    # search improves the start; only the wall-clock safety net is raised, so that a
    # busy machine cannot cut the search (status "budget": the work budget ended it).
    staff = (
        practitioner("P1", working_hours={d: hours(9, 13) for d in range(5)}),
        practitioner("P2", working_hours={d: hours(11, 15) for d in range(5)}),
    )
    courses = tuple(
        course(
            f"C{i}",
            patient_id=f"pt{i}",
            duration_min=(30, 45, 60)[i % 3],
            sessions_remaining=3,
            min_interval_days=2,
            max_interval_days=4,
            preferred_gap_days=3,
            earliest_start=MONDAY + timedelta(days=i % 4),
            latest_start=MONDAY + timedelta(days=i % 4 + 2),
        )
        for i in range(16)
    )
    clinic = problem(courses=courses, practitioners=staff, weeks=2, rooms=1)
    first = plan_clinic(clinic, seed=3, wall_limit_s=3600.0)
    second = plan_clinic(clinic, seed=3, wall_limit_s=3600.0)
    assert first.status == second.status == "budget"
    assert first.stats["search_improvements"] > 0
    assert first.placements == second.placements
    assert first.unplaced == second.unplaced
    assert first.stats == {**second.stats, **{k: first.stats[k] for k in TIMES}}
