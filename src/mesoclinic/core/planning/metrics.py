"""Quality figures of a plan, shared by the benchmark and the tests."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from statistics import mean, pstdev

from mesoclinic.core.planning.model import Plan, Problem


@dataclass(frozen=True)
class Metrics:
    """How good a plan is; shares are in [0, 1]."""

    placed: int
    total: int
    bound: int
    share_of_all: float
    share_of_bound: float
    mean_gap_deviation_days: float
    continuity: float
    workload_cv: float
    solve_time_s: float


def plan_metrics(problem: Problem, plan: Plan, *, bound: int) -> Metrics:
    """Placed sessions, interval deviation, practitioner continuity and workload spread.

    Deviation is the mean |interval - preferred gap| over consecutive sessions (the
    first remaining one counts from the previous done session). Continuity is the share
    of consecutive placed sessions of a course with the same practitioner. Workload
    spread is the coefficient of variation of booked minutes per practitioner.
    """
    courses = {c.id: c for c in problem.courses}
    by_course = defaultdict(list)
    for p in plan.placements:
        by_course[p.course_id].append(p)
    deviations: list[int] = []
    same: list[bool] = []
    for course_id, items in by_course.items():
        course = courses[course_id]
        items.sort(key=lambda p: p.session_index)
        previous_day = course.previous_session_date
        previous_practitioner = None
        for p in items:
            if previous_day is not None:
                deviations.append(abs((p.day - previous_day).days - course.preferred_gap_days))
            if previous_practitioner is not None:
                same.append(previous_practitioner == p.practitioner_id)
            previous_day, previous_practitioner = p.day, p.practitioner_id
    minutes = dict.fromkeys((p.id for p in problem.practitioners), 0)
    for p in plan.placements:
        minutes[p.practitioner_id] += courses[p.course_id].duration_min
    loads = list(minutes.values())
    cv = pstdev(loads) / mean(loads) if loads and mean(loads) > 0 else 0.0
    total = sum(c.sessions_remaining for c in problem.courses)
    placed = len(plan.placements)
    return Metrics(
        placed=placed,
        total=total,
        bound=bound,
        share_of_all=placed / total if total else 1.0,
        share_of_bound=placed / bound if bound else 1.0,
        mean_gap_deviation_days=mean(deviations) if deviations else 0.0,
        continuity=sum(same) / len(same) if same else 1.0,
        workload_cv=cv,
        solve_time_s=plan.solve_time_s,
    )
