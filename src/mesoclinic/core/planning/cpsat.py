"""The clinic planner: CP-SAT chooses the day of every session, then exact slots per day.

Stage 1 (CP-SAT, day level). One literal per (session, candidate day); session k on
day t requires session k-1 on a day t-max..t-min, so a course is placed as a prefix of
its sessions. Capacity is aggregated per day as linear constraints: free room time,
free time of each device kind, and free working time of the practitioners credentialed
for each non-redundant set of techniques (Hall's condition for the practitioner
assignment), each counted per slot as the smallest pool a session needs at once and
scaled by CAPACITY_SHARE because free minutes can be fragmented. CP-SAT starts from a
complete greedy day plan (the hint) and searches days within DEFAULT_RADIUS of it.

The objective is weighted so that one more placed session outweighs every secondary
cost of any session: W_PLACE * placed - W_GAP * |gap - preferred gap| - day costs,
where a day costs W_HOME_OFF when the course's home practitioner (chosen up front to
balance workload, or the patient's preferred one) does not work that day, W_WEEKDAY
when it is not one of the patient's preferred weekdays, and W_START per day the first
session starts after the window opens.

Stage 2 (exact). Days are walked in order; each session goes to a concrete start,
practitioner (home first, then least loaded), room and device on its stage-1 day. A
session that does not fit is repaired into the nearest day of its real window (the
previous session may have moved); what cannot be repaired ends the course there and is
explained. A last pass extends courses that stage 1 left short when free time allows.

Determinism: CP-SAT is stopped by deterministic work (max_deterministic_time), not by
the clock, and with more than one worker it runs interleave_search, whose result does
not depend on thread timing. So the same problem, seed and worker count give the same
plan, unless the wall-clock safety limit cuts the search first: then the plan's
status says "wall_clock" and it may differ between runs.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, replace
from itertools import combinations
from time import perf_counter

from ortools.sat.python import cp_model

from mesoclinic.core.planning.bounds import Reach, reach
from mesoclinic.core.planning.explain import explain
from mesoclinic.core.planning.greedy import plan_first_fit
from mesoclinic.core.planning.grid import Grid, Occupancy, popcount, start_mask
from mesoclinic.core.planning.model import Course, Placement, Plan, Problem, Unplaced
from mesoclinic.core.planning.placing import (
    practitioner_order,
    preferred_mask,
    to_placement,
    window,
)

CAPACITY_SHARE = 0.95
W_PLACE = 1000
W_GAP = 4
W_HOME_OFF = 4
W_WEEKDAY = 2
W_START = 1
# Deterministic-time units granted per second of the search budget. CP-SAT's unit is
# meant to be about a second, but on this model (large LP, 2 shared cores) we measured
# about 0.1-0.2 units per wall-clock second, so 0.08 makes the deterministic limit,
# not the clock, stop the search on such a machine; the clock stays as the safety net.
DETERMINISTIC_PER_SECOND = 0.08
# Days around the greedy start plan each session may move to in stage 1 (see _domains).
DEFAULT_RADIUS = 4
# Share of the time limit kept for model building, stage 2 and explanations.
STAGE2_RESERVE = 0.15


@dataclass
class _Group:
    """An aggregated capacity: per-day free slots of a pool of resources."""

    name: str
    capacity: list[int]


@dataclass
class _Session:
    course_index: int
    k: int
    on: dict[int, cp_model.IntVar]  # day -> "the session is on that day"
    present: cp_model.IntVar
    day: cp_model.LinearExprT
    first_day: int
    gap_from: int | None = None  # fixed previous day (a done session), if any
    deviation: cp_model.IntVar | None = None


def plan_cpsat(
    problem: Problem,
    *,
    time_limit_s: float = 60.0,
    seed: int = 0,
    workers: int = 1,
    deterministic: bool = True,
    radius: int | None = DEFAULT_RADIUS,
    deterministic_time: float | None = None,
) -> Plan:
    """Plan all courses of `problem`: most sessions inside their windows, then quality.

    `time_limit_s` bounds the whole call on the wall clock. With `deterministic` (the
    default) the search is stopped by deterministic work instead, so the same problem,
    seed and workers give the same plan (see the module docstring). `radius` limits
    each session to days within that many days of the greedy start plan (None: every
    reachable day), which keeps the model small enough to improve within the limit.
    `deterministic_time` sets the search's work budget explicitly (CP-SAT units); by
    default it is derived from the time limit. `Plan.status` ends with the limit that
    stopped the search: "optimal", "deterministic_limit" (reproducible) or "wall_clock".
    """
    started = perf_counter()  # for the time limit and reporting only
    grid = Grid(problem)
    occupancy = Occupancy(grid)
    courses = list(problem.courses)
    reaches = [reach(grid, c) for c in courses]
    homes = _home_practitioners(grid, occupancy, courses, reaches)
    day_costs = [_day_costs(grid, occupancy, c, homes[i]) for i, c in enumerate(courses)]
    groups, membership = _groups(grid, occupancy, courses)
    hint = max(
        (
            _day_greedy(grid, courses, reaches, day_costs, groups, membership, mode=mode)
            for mode in ("hybrid", "gap", "earliest")
        ),
        key=lambda plan: sum(len(days) for days in plan),  # ties keep the earlier mode
    )

    model = cp_model.CpModel()
    domains = _domains(reaches, hint, radius)
    sessions = _build_model(grid, model, courses, domains, day_costs, groups, membership)
    _add_hint(model, sessions, courses, hint)

    solver = cp_model.CpSolver()
    elapsed = perf_counter() - started
    budget = max(0.1, time_limit_s * (1 - STAGE2_RESERVE) - elapsed)
    solver.parameters.max_time_in_seconds = budget
    solver.parameters.random_seed = seed
    solver.parameters.num_workers = max(1, workers)
    # Presolve probing is slow on thousands of day variables and buys little here.
    solver.parameters.cp_model_probing_level = 0
    if deterministic:
        # Stop on work done, not on time, so a run can be replayed (module docstring).
        solver.parameters.max_deterministic_time = (
            deterministic_time
            if deterministic_time is not None
            else budget * DETERMINISTIC_PER_SECOND
        )
        if workers > 1:
            solver.parameters.interleave_search = True
    status = solver.solve(model)
    targets = hint
    status_name = solver.status_name(status)
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        targets = [[] for _ in courses]
        for s in sorted(sessions, key=lambda s: (s.course_index, s.k)):
            if solver.value(s.present):
                targets[s.course_index].append(solver.value(s.day))
    if status == cp_model.OPTIMAL:
        stopped_by = "optimal"
    elif deterministic and solver.wall_time < solver.parameters.max_time_in_seconds * 0.99:
        stopped_by = "deterministic_limit"
    else:
        stopped_by = "wall_clock"

    placements, unplaced = _realize(grid, occupancy, courses, reaches, targets, homes)
    placements.sort(key=lambda p: (p.day, p.start, p.practitioner_id, p.course_id))
    # Safety net: the baseline is cheap, and a planner that could place fewer sessions
    # than what clinics use today would be a regression for someone.
    baseline = plan_first_fit(problem)
    if len(baseline.placements) > len(placements):
        return replace(
            baseline,
            solver="cpsat",
            status=f"{status_name}:{stopped_by}:first_fit_fallback",
            solve_time_s=perf_counter() - started,
        )
    return Plan(
        placements=tuple(placements),
        unplaced=tuple(unplaced),
        solver="cpsat",
        status=f"{status_name}:{stopped_by}",
        solve_time_s=perf_counter() - started,
        stats={
            "stage1_sessions": float(sum(len(t) for t in targets)),
            "hint_sessions": float(sum(len(t) for t in hint)),
            "stage1_objective": float(solver.objective_value) if targets is not hint else 0.0,
            "stage1_best_bound": float(solver.best_objective_bound) if targets is not hint else 0,
            "deterministic_time": float(solver.deterministic_time),
            "search_wall_time": float(solver.wall_time),
        },
    )


# -- preparation -----------------------------------------------------------------------
def _home_practitioners(
    grid: Grid, occupancy: Occupancy, courses: list[Course], reaches: list[Reach]
) -> list[str | None]:
    """One practitioner per course for continuity, balancing load over capacity.

    The patient's preferred practitioner wins when credentialed. Others are assigned
    longest courses first to the credentialed practitioner with the lowest share of
    their free time already promised.
    """
    capacity = {
        pid: max(1, sum(popcount(m) for m in masks))
        for pid, masks in occupancy.practitioner.items()
    }
    load = dict.fromkeys(capacity, 0)
    homes: list[str | None] = [None] * len(courses)
    order = sorted(
        range(len(courses)),
        key=lambda i: (
            courses[i].preferred_practitioner is None,
            -reaches[i].chain_length * courses[i].duration_min,
            i,
        ),
    )
    for i in order:
        course = courses[i]
        candidates = grid.credentialed_for(course.technique)
        if not candidates:
            continue
        demand = reaches[i].chain_length * grid.slots(course.duration_min)
        if course.preferred_practitioner in candidates:
            home = course.preferred_practitioner
        else:
            home = min(candidates, key=lambda p: ((load[p] + demand) / capacity[p], p))
        load[home] += demand
        homes[i] = home
    return homes


def _day_costs(grid: Grid, occupancy: Occupancy, course: Course, home: str | None) -> list[int]:
    """Soft cost of each day for this course (home practitioner off, weekday not liked)."""
    length = grid.slots(course.duration_min)
    costs = []
    for day in range(grid.n_days):
        cost = 0
        if home is not None and not start_mask(occupancy.practitioner[home][day], length):
            cost += W_HOME_OFF
        if course.preferred_weekdays and grid.dates[day].weekday() not in course.preferred_weekdays:
            cost += W_WEEKDAY
        costs.append(cost)
    return costs


def _groups(
    grid: Grid, occupancy: Occupancy, courses: list[Course]
) -> tuple[list[_Group], list[list[int]]]:
    """Aggregated capacity pools and, per course, the pools its sessions draw on."""
    share = CAPACITY_SHARE
    n = grid.n_days
    width = grid.slots_per_day

    def counts(masks_list: list[list[int]]) -> list[list[int]]:
        """Per day, per slot: how many of these resources are free."""
        table = []
        for d in range(n):
            row = [0] * width
            for masks in masks_list:
                mask = masks[d]
                while mask:
                    low = mask & -mask
                    row[low.bit_length() - 1] += 1
                    mask ^= low
            table.append(row)
        return table

    def joint(*tables: list[list[int]]) -> list[int]:
        # A session holds one of each pool at every slot it uses, so per slot the
        # sessions running are at most the smallest pool: a valid, tighter capacity.
        return [
            int(share * sum(min(values) for values in zip(*(t[d] for t in tables), strict=True)))
            for d in range(n)
        ]

    rooms = counts(list(occupancy.room.values()))
    everyone = counts(list(occupancy.practitioner.values()))
    groups = [_Group("rooms", joint(rooms, everyone))]
    kind_group: dict[str, int] = {}
    for kind, devices in sorted(grid.devices_by_kind.items()):
        kind_group[kind] = len(groups)
        device_counts = counts([occupancy.device[d] for d in devices])
        groups.append(_Group(f"device:{kind}", joint(device_counts, rooms)))
    techniques = sorted({c.technique for c in courses if grid.credentialed_for(c.technique)})

    def total(subset: tuple[str, ...]) -> int:
        pids = {p for t in subset for p in grid.credentialed_for(t)}
        return sum(popcount(m) for p in pids for m in occupancy.practitioner[p])

    if len(techniques) <= 5:
        subsets = [s for r in range(1, len(techniques) + 1) for s in combinations(techniques, r)]
    else:
        subsets = [(t,) for t in techniques] + [tuple(techniques)]
    technique_groups: dict[str, list[int]] = {t: [] for t in techniques}
    for subset in subsets:
        # A set is redundant when adding a technique does not add capacity: the larger
        # set's constraint then implies it.
        if len(subset) < len(techniques) and any(
            total((*subset, t)) == total(subset) for t in techniques if t not in subset
        ):
            continue
        pids = sorted({p for t in subset for p in grid.credentialed_for(t)})
        index = len(groups)
        pool = counts([occupancy.practitioner[p] for p in pids])
        groups.append(_Group("practitioners:" + ",".join(subset), joint(pool, rooms)))
        for t in subset:
            technique_groups[t].append(index)
    membership = []
    for course in courses:
        member = [0, *technique_groups.get(course.technique, [])]
        if course.device_kind is not None and course.device_kind in kind_group:
            member.append(kind_group[course.device_kind])
        membership.append(member)
    return groups, membership


def _ordered_days(
    days: tuple[int, ...], lo: int, hi: int, target: int, costs: list[int], first: bool
) -> list[int]:
    candidates = [d for d in days if lo <= d <= hi]
    if first:
        return sorted(candidates, key=lambda d: (costs[d] + W_START * (d - lo), d))
    return sorted(candidates, key=lambda d: (W_GAP * abs(d - target) + costs[d], d))


def _day_greedy(
    grid: Grid,
    courses: list[Course],
    reaches: list[Reach],
    day_costs: list[list[int]],
    groups: list[_Group],
    membership: list[list[int]],
    *,
    mode: str = "gap",
) -> list[list[int]]:
    """A stage-1 feasible day plan to start CP-SAT from.

    Each session takes the best day with capacity left: nearest the preferred gap
    (`mode="gap"`), the earliest (`"earliest"`, which packs chains tightest), or the
    earliest only for courses the horizon cuts short and the preferred gap otherwise
    (`"hybrid"`).
    """
    remaining = [list(g.capacity) for g in groups]
    plan: list[list[int]] = [[] for _ in courses]

    def flexibility(i: int) -> tuple[float, int]:
        # Courses with the fewest possible days per session go first, so that the
        # flexible ones do not take the only days the tight ones have.
        full = reaches[i].full
        return (sum(len(f) for f in full) / max(1, len(full)), i)

    for i in sorted(range(len(courses)), key=flexibility):
        course = courses[i]
        length = grid.slots(course.duration_min)
        days: list[int] = []
        previous: int | None = None
        for k, reachable in enumerate(reaches[i].sets):
            lo, hi = window(grid, course, k, previous)
            target = lo if previous is None else previous + course.preferred_gap_days
            truncated = reaches[i].full != reaches[i].sets
            if mode == "earliest" or (mode == "hybrid" and truncated):
                target = lo - grid.n_days  # every day is "after" the target: earliest wins
            elif k == 0 and course.previous_session_date is not None:
                target = grid.day_index(course.previous_session_date) + course.preferred_gap_days
            chosen = None
            # Days from which the whole chain still fits come first; the others can
            # only end the course early.
            full = reaches[i].full[k]
            candidates = _ordered_days(full, lo, hi, target, day_costs[i], previous is None)
            candidates += _ordered_days(reachable, lo, hi, target, day_costs[i], previous is None)
            for day in candidates:
                if all(remaining[g][day] >= length for g in membership[i]):
                    chosen = day
                    break
            if chosen is None:
                break
            for g in membership[i]:
                remaining[g][chosen] -= length
            days.append(chosen)
            previous = chosen
        plan[i] = days
    return plan


def _domains(
    reaches: list[Reach], hint: list[list[int]], radius: int | None
) -> list[list[tuple[int, ...]]]:
    """Candidate days per session: reachable days, near the start plan when `radius`.

    Searching every reachable day of 8,000 sessions is a model CP-SAT cannot even
    presolve in a minute on two cores; a neighbourhood of the greedy plan can be
    searched, and sessions the greedy plan left out keep all their reachable days so
    the search can still add them.
    """
    domains = []
    for r, days in zip(reaches, hint, strict=True):
        per_course = []
        for k, reachable in enumerate(r.sets):
            if radius is None or k >= len(days):
                per_course.append(reachable)
            else:
                near = tuple(t for t in reachable if abs(t - days[k]) <= radius)
                per_course.append(near)
        domains.append(per_course)
    return domains


def _build_model(
    grid: Grid,
    model: cp_model.CpModel,
    courses: list[Course],
    domains: list[list[tuple[int, ...]]],
    day_costs: list[list[int]],
    groups: list[_Group],
    membership: list[list[int]],
) -> list[_Session]:
    """The time-indexed stage-1 model: one literal per (session, reachable day).

    Per-day capacities are then plain linear constraints, and "session k on day t needs
    session k-1 on a day t-max..t-min" is a short clause-like inequality with a strong
    LP relaxation; an earlier model with day integers and cumulative constraints spent
    all its time propagating the cumulatives.
    """
    sessions: list[_Session] = []
    load: list[dict[int, list[tuple[cp_model.IntVar, int]]]] = [{} for _ in groups]
    placed_terms = []
    cost_terms = []
    for i, course in enumerate(courses):
        length = grid.slots(course.duration_min)
        costs = day_costs[i]
        previous: _Session | None = None
        lo0, _ = grid.first_window(course)
        prev_done = (
            grid.day_index(course.previous_session_date)
            if course.previous_session_date is not None
            else None
        )
        for k, reachable in enumerate(domains[i]):
            name = f"c{i}_{k}"
            on = {t: model.new_bool_var(f"x{name}_{t}") for t in reachable}
            present = model.new_bool_var(f"p{name}")
            model.add(sum(on.values()) == present)
            day = sum(t * v for t, v in on.items())
            session = _Session(i, k, on, present, day, first_day=reachable[0])
            sessions.append(session)
            for g in membership[i]:
                per_day = load[g]
                for t, v in on.items():
                    per_day.setdefault(t, []).append((v, length))
            placed_terms.append(present)
            gap = None
            if previous is not None:
                before = previous.on
                for t, v in on.items():
                    window_days = [
                        before[u]
                        for u in range(
                            t - course.max_interval_days, t - course.min_interval_days + 1
                        )
                        if u in before
                    ]
                    if window_days:
                        model.add_bool_or(window_days).only_enforce_if(v)
                    else:
                        model.add(v == 0)
                gap = day - previous.day
            elif prev_done is not None:
                gap = day - prev_done
                session.gap_from = prev_done
            if gap is not None:
                worst = max(
                    course.preferred_gap_days - course.min_interval_days,
                    course.max_interval_days - course.preferred_gap_days,
                    0,
                )
                deviation = model.new_int_var(0, worst, f"g{name}")
                pref = course.preferred_gap_days
                model.add(deviation >= gap - pref).only_enforce_if(present)
                model.add(deviation >= pref - gap).only_enforce_if(present)
                cost_terms.append(W_GAP * deviation)
                session.deviation = deviation
            table = {t: costs[t] for t in reachable}
            if k == 0 and prev_done is None:
                table = {t: c + W_START * max(0, t - lo0) for t, c in table.items()}
            cost_terms += [c * on[t] for t, c in table.items() if c]
            previous = session
    for g, group in enumerate(groups):
        for t, items in load[g].items():
            if sum(d for _, d in items) > group.capacity[t]:
                model.add(sum(d * v for v, d in items) <= group.capacity[t])
    model.maximize(W_PLACE * sum(placed_terms) - sum(cost_terms))
    return sessions


def _add_hint(
    model: cp_model.CpModel,
    sessions: list[_Session],
    courses: list[Course],
    hint: list[list[int]],
) -> None:
    """Hint every variable: a complete, feasible hint is taken as the first solution
    without search."""
    for s in sessions:
        days = hint[s.course_index]
        present = s.k < len(days)
        day = days[s.k] if present else None
        model.add_hint(s.present, present)
        for t, v in s.on.items():
            model.add_hint(v, t == day)
        if s.deviation is not None:
            value = 0
            previous = days[s.k - 1] if s.k > 0 and present else s.gap_from
            if present and previous is not None:
                value = abs(day - previous - courses[s.course_index].preferred_gap_days)
            model.add_hint(s.deviation, value)


# -- stage 2 ---------------------------------------------------------------------------
def _realize(
    grid: Grid,
    occupancy: Occupancy,
    courses: list[Course],
    reaches: list[Reach],
    targets: list[list[int]],
    homes: list[str | None],
) -> tuple[list[Placement], list[Unplaced]]:
    """Turn stage-1 days into exact placements, repairing what does not fit."""
    placements: list[Placement] = []
    last_day: list[int | None] = [None] * len(courses)
    next_k = [0] * len(courses)
    stopped = [False] * len(courses)
    masks = [preferred_mask(grid, c) for c in courses]
    heap: list[tuple[int, int, int, int, int, int]] = []

    def push(i: int) -> None:
        k = next_k[i]
        if k >= len(targets[i]):
            return
        course = courses[i]
        _lo, hi = window(grid, course, k, last_day[i])
        target = targets[i][k]
        slack = max(0, hi - target)
        tightness = len(grid.credentialed_for(course.technique))
        device_first = 0 if course.device_kind else 1
        heapq.heappush(heap, (target, slack, device_first, tightness, -course.duration_min, i))

    def place_near(i: int, target: int) -> bool:
        course = courses[i]
        k = next_k[i]
        lo, hi = window(grid, course, k, last_day[i])
        allowed = reaches[i].allowed
        days = sorted(
            (d for d in range(max(lo, 0), min(hi, grid.n_days - 1) + 1) if d in allowed),
            key=lambda d: (abs(d - target), d),
        )
        home = last_placed_practitioner[i] or homes[i]
        for day in days:
            order = practitioner_order(grid, occupancy, course, home)
            choice = occupancy.find(course, day, order, preferred_mask=masks[i])
            if choice is not None:
                occupancy.book(course, choice)
                placements.append(to_placement(grid, course, k, choice))
                last_day[i] = day
                last_placed_practitioner[i] = choice.practitioner
                next_k[i] = k + 1
                return True
        return False

    last_placed_practitioner: list[str | None] = [None] * len(courses)
    for i in range(len(courses)):
        push(i)
    while heap:
        target, *_, i = heapq.heappop(heap)
        if stopped[i]:
            continue
        if place_near(i, target):
            push(i)
        else:
            stopped[i] = True
    # Extend courses stage 1 left short (time limit, or the relaxation was too cautious).
    for i, course in enumerate(courses):
        if stopped[i]:
            continue
        while next_k[i] < reaches[i].chain_length:
            previous = last_day[i]
            if previous is None:
                target = grid.first_window(course)[0]
            else:
                target = previous + course.preferred_gap_days
            if not place_near(i, target):
                break
    unplaced: list[Unplaced] = []
    for i, course in enumerate(courses):
        for k in range(next_k[i], course.sessions_remaining):
            previous = last_day[i] if k == next_k[i] else None
            unplaced.append(
                explain(grid, course, k, reaches[i], previous_day=previous, occupancy=occupancy)
            )
    return placements, unplaced
