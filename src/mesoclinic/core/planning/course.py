"""Booking one course in one step, and re-planning it when a session moves.

`propose_course` places the remaining sessions of one course around the clinic's
existing appointments (`Problem.busy`). One course is small enough to solve exactly:
whether a session fits on a day with a practitioner does not depend on the course's
other sessions (they are on other days), so a dynamic programme over (session, day,
practitioner) finds the plan with the most sessions inside their windows and, among
those, the least cost (preferred gap, same practitioner, the patient's preferred
practitioner, weekdays and times, earliest start).

Re-planning is the same call: the shell sets `previous_session_date` to the last done
session and `earliest_start` after a postponement (e.g. a temporary contraindication at
check-in), frees the course's future appointments from `busy`, calls `propose_course`
and shows `plan_changes(old, new)` before anything is saved.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import timedelta
from time import perf_counter

from mesoclinic.core.planning.bounds import allowed_days, reach
from mesoclinic.core.planning.explain import explain
from mesoclinic.core.planning.grid import Grid, Occupancy, SlotChoice
from mesoclinic.core.planning.messages import message
from mesoclinic.core.planning.model import Course, Placement, Plan, Problem, Relaxation
from mesoclinic.core.planning.placing import preferred_mask, to_placement

# Costs among plans with the same number of sessions; see the module docstring.
C_GAP = 4  # per day away from the preferred gap
C_SWITCH = 6  # practitioner differs from the previous session's
C_NOT_PREFERRED_PRACTITIONER = 5
C_WEEKDAY = 2
C_TIME = 2
C_START = 1  # per day the first session starts after its window opens
INF = float("inf")


@dataclass(frozen=True)
class PlanChange:
    """How one session of a course changes between the saved plan and a new proposal."""

    course_id: str
    session_index: int
    kind: str  # "unchanged", "moved", "added" or "removed"
    before: Placement | None
    after: Placement | None


def propose_course(problem: Problem, course: Course, *, max_relax_days: int = 14) -> Plan:
    """Propose dates, times and resources for all remaining sessions of `course`.

    `problem` carries the clinic's resources, calendar and existing appointments in
    `busy`; its `courses` are ignored. Sessions that cannot be placed inside their
    windows are explained in `Plan.unplaced`, and `Plan.nearest` then holds the nearest
    feasible plan: the maximum interval (and the first session's latest date) stretched
    by the fewest days, up to `max_relax_days`, that places more sessions. The minimum
    interval is a safety limit and is never relaxed.
    """
    started = perf_counter()  # reporting only
    problem = replace(problem, courses=(course,))
    grid = Grid(problem)
    occupancy = Occupancy(grid)
    allowed = allowed_days(grid, course)
    options = _day_options(grid, occupancy, course, allowed)
    chain = _best_chain(grid, course, options)
    strict = reach(grid, course, allowed=allowed)
    placements = [to_placement(grid, course, k, c) for k, c in enumerate(chain)]
    previous = chain[-1].day if chain else None
    unplaced = [
        explain(
            grid,
            course,
            k,
            strict,
            previous_day=previous if k == len(chain) else None,
            occupancy=occupancy,
        )
        for k in range(len(chain), course.sessions_remaining)
    ]
    nearest = None
    if unplaced and max_relax_days > 0 and grid.credentialed_for(course.technique):
        nearest = _nearest(grid, course, options, allowed, len(chain), max_relax_days)
    return Plan(
        placements=tuple(placements),
        unplaced=tuple(unplaced),
        solver="course",
        status="OPTIMAL",
        solve_time_s=perf_counter() - started,
        nearest=nearest,
    )


def plan_changes(before: list[Placement] | tuple[Placement, ...], after: Plan) -> list[PlanChange]:
    """Session by session, what a new proposal changes in the saved plan."""
    old = {(p.course_id, p.session_index): p for p in before}
    new = {(p.course_id, p.session_index): p for p in after.placements}
    changes = []
    for key in sorted(old.keys() | new.keys()):
        a, b = old.get(key), new.get(key)
        if a is None:
            kind = "added"
        elif b is None:
            kind = "removed"
        elif (a.day, a.start, a.practitioner_id, a.room_id, a.device_id) == (
            b.day,
            b.start,
            b.practitioner_id,
            b.room_id,
            b.device_id,
        ):
            kind = "unchanged"
        else:
            kind = "moved"
        changes.append(PlanChange(key[0], key[1], kind, a, b))
    return changes


# -- the dynamic programme -------------------------------------------------------------
def _day_options(
    grid: Grid, occupancy: Occupancy, course: Course, allowed: frozenset[int]
) -> dict[int, list[tuple[SlotChoice, int]]]:
    """Per allowed day: for each credentialed practitioner free long enough, a slot and
    the node cost of using it (the practitioner's position in the order is the slot
    search's, so preferred times come first)."""
    mask = preferred_mask(grid, course)
    options: dict[int, list[tuple[SlotChoice, int]]] = {}
    for day in sorted(allowed):
        weekday_cost = (
            C_WEEKDAY
            if course.preferred_weekdays
            and grid.dates[day].weekday() not in course.preferred_weekdays
            else 0
        )
        row = []
        for pid in grid.credentialed_for(course.technique):
            choice = occupancy.find(course, day, [pid], preferred_mask=mask)
            if choice is None:
                continue
            cost = weekday_cost
            if not (mask >> choice.slot) & 1:
                cost += C_TIME
            if course.preferred_practitioner is not None and pid != course.preferred_practitioner:
                cost += C_NOT_PREFERRED_PRACTITIONER
            row.append((choice, cost))
        if row:
            options[day] = row
    return options


def _best_chain(
    grid: Grid,
    course: Course,
    options: dict[int, list[tuple[SlotChoice, int]]],
) -> list[SlotChoice]:
    """The longest chain of sessions inside the windows, cheapest among the longest."""
    lo, hi = grid.first_window(course)
    prev_done = (
        grid.day_index(course.previous_session_date)
        if course.previous_session_date is not None
        else None
    )
    # layer: (day, practitioner index in options[day]) -> (cost, back-pointer)
    layer: dict[tuple[int, int], tuple[float, tuple[int, int] | None]] = {}
    for day in range(max(lo, 0), min(hi, grid.n_days - 1) + 1):
        for j, (_, cost) in enumerate(options.get(day, ())):
            extra = C_START * (day - lo) if prev_done is None else 0
            if prev_done is not None:
                extra = C_GAP * abs(day - prev_done - course.preferred_gap_days)
            layer[(day, j)] = (cost + extra, None)
    layers = []
    while layer and len(layers) < course.sessions_remaining:
        layers.append(layer)
        # Cheapest predecessor per day, overall and per practitioner id.
        best_any: dict[int, tuple[float, tuple[int, int]]] = {}
        best_by: dict[tuple[int, str], tuple[float, tuple[int, int]]] = {}
        for (day, j), (cost, _) in layer.items():
            pid = options[day][j][0].practitioner
            if day not in best_any or cost < best_any[day][0]:
                best_any[day] = (cost, (day, j))
            best_by[(day, pid)] = (cost, (day, j))
        nxt: dict[tuple[int, int], tuple[float, tuple[int, int] | None]] = {}
        for day, row in options.items():
            for j, (choice, node_cost) in enumerate(row):
                best: tuple[float, tuple[int, int] | None] = (INF, None)
                for prev in range(
                    day - course.max_interval_days, day - course.min_interval_days + 1
                ):
                    if prev not in best_any:
                        continue
                    gap_cost = C_GAP * abs(day - prev - course.preferred_gap_days)
                    cost_any, key_any = best_any[prev]
                    candidate = (cost_any + C_SWITCH + gap_cost, key_any)
                    if course.same_practitioner:
                        candidate = (INF, None)  # a switch is not allowed at all
                    same = best_by.get((prev, choice.practitioner))
                    if same is not None and (
                        candidate[1] is None or same[0] + gap_cost <= candidate[0]
                    ):
                        candidate = (same[0] + gap_cost, same[1])
                    if candidate[0] < best[0]:
                        best = candidate
                if best[1] is not None:
                    nxt[(day, j)] = (best[0] + node_cost, best[1])
        layer = nxt
    if not layers:
        return []
    key: tuple[int, int] | None = min(layers[-1], key=lambda k: (layers[-1][k][0], k))
    chain: list[SlotChoice] = []
    for level in reversed(layers):
        assert key is not None
        chain.append(options[key[0]][key[1]][0])
        key = level[key][1]
    chain.reverse()
    return chain


def _nearest(
    grid: Grid,
    course: Course,
    options: dict[int, list[tuple[SlotChoice, int]]],
    allowed: frozenset[int],
    strict_count: int,
    max_relax_days: int,
) -> Plan | None:
    """The plan placing the most sessions with the least stretch of the windows."""

    def relaxed(days: int) -> Course:
        max_first = course.latest_start
        if max_first is not None:
            max_first = max_first + timedelta(days=days)
        return replace(
            course, max_interval_days=course.max_interval_days + days, latest_start=max_first
        )

    target = len(_best_chain(grid, relaxed(max_relax_days), options))
    if target <= strict_count:
        return None
    lo, hi = 1, max_relax_days  # fewest days reaching the target; counts grow with days
    while lo < hi:
        mid = (lo + hi) // 2
        if len(_best_chain(grid, relaxed(mid), options)) >= target:
            hi = mid
        else:
            lo = mid + 1
    chain = _best_chain(grid, relaxed(lo), options)
    placements = []
    previous = course.previous_session_date
    for k, choice in enumerate(chain):
        p = to_placement(grid, course, k, choice)
        outside = previous is not None and (p.day - previous).days > course.max_interval_days
        if k == 0 and course.latest_start is not None and p.day > course.latest_start:
            outside = True
        placements.append(replace(p, outside_window=outside))
        previous = p.day
    new_latest = relaxed(lo).latest_start
    msg = message(
        "relax_max_interval", old=course.max_interval_days, new=course.max_interval_days + lo
    )
    if new_latest is not None:
        first = message("relax_first_window", days=lo, latest=new_latest)
        msg = replace(msg, en=f"{msg.en} {first.en}", ru=f"{msg.ru} {first.ru}")
    relaxed_reach = reach(grid, relaxed(lo), allowed=allowed)
    unplaced = [
        explain(
            grid,
            relaxed(lo),
            k,
            relaxed_reach,
            previous_day=chain[-1].day if chain and k == len(chain) else None,
        )
        for k in range(len(chain), course.sessions_remaining)
    ]
    return Plan(
        placements=tuple(placements),
        unplaced=tuple(unplaced),
        solver="course",
        status="RELAXED",
        relaxation=Relaxation(
            code="max_interval",
            max_interval_days=course.max_interval_days + lo,
            latest_start=new_latest,
            message_en=msg.en,
            message_ru=msg.ru,
        ),
    )
