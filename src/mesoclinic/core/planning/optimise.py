"""The clinic optimiser: a portfolio of heuristics, then large-neighbourhood search.

1. *Portfolio.* First-fit under several course orders (`heuristics.HEURISTICS`); the
   plan placing the most sessions (then the lowest soft cost) is the start.
2. *Search.* Repeatedly pick a neighbourhood (a few days, or a week of the practitioners
   credentialed for a course the plan leaves short), free its sessions and the next
   sessions of the courses waiting there, and re-solve it exactly with CP-SAT
   (`lns.solve_neighbourhood`) with the current plan as the hint. A result is kept
   when it places more sessions, or as many at a lower soft cost (interval deviation,
   practitioner switches, weekdays). Courses that gained a session are then extended
   greedily past the neighbourhood.

Determinism: the neighbourhoods come from `random.Random(seed)`, every CP-SAT call runs
one worker with a fixed seed and a deterministic work limit, and the search stops
after a work budget counted in CP-SAT's deterministic time plus the model sizes, not
on the clock. The same problem and seed therefore give the same plan. `time_limit_s`
also sets the budget and stays as a wall-clock safety net: when the clock stops the
search first, `Plan.status` says so and the plan may differ between runs.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from time import perf_counter

from mesoclinic.core.planning.bounds import Reach, reach
from mesoclinic.core.planning.explain import explain
from mesoclinic.core.planning.grid import Grid, Occupancy
from mesoclinic.core.planning.heuristics import (
    HEURISTICS,
    Chains,
    StartPlan,
    chain_cost,
    portfolio,
)
from mesoclinic.core.planning.lns import TOO_LARGE, solve_neighbourhood
from mesoclinic.core.planning.model import Placement, Plan, Problem, Unplaced
from mesoclinic.core.planning.placing import (
    practitioner_order,
    preferred_mask,
    to_placement,
    window,
)

# Work units (CP-SAT deterministic time, plus SIZE_UNIT per free session modelled)
# granted per second of `time_limit_s`. Measured so that the search ends well inside
# the limit on a shared two-core machine; the clock is only the safety net.
WORK_PER_SECOND = 0.05
SIZE_UNIT = 0.0004
STEP_WORK = 0.1  # deterministic time limit of one neighbourhood's solve
# Most free sessions in one neighbourhood. CP-SAT's deterministic time undercounts the
# no-overlap propagation of large neighbourhoods: on the benchmark, neighbourhoods of
# up to ~70 sessions took 0.1-0.5 CPU seconds, one of 169 took 13 s for the same
# deterministic time. A larger neighbourhood is shrunk (fewer practitioners or days).
MAX_FREE = 80
MAX_ATTEMPTS = 3  # neighbourhoods tried around one waiting course before it rests
FAILURES_TO_REST = 6  # placement steps in a row without a new session


def plan_clinic(
    problem: Problem,
    *,
    time_limit_s: float = 60.0,
    seed: int = 0,
    progress: Callable[[float, int], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    heuristics: tuple[str, ...] = HEURISTICS,
    search: bool = True,
    wall_limit_s: float | None = None,
) -> Plan:
    """Plan all courses: most sessions first, then intervals and continuity.

    `progress(fraction, placed_sessions)` is called after each step; `should_stop()` is
    polled between steps, and the best plan so far is returned when it says so.
    `heuristics` and `search` exist for the benchmark's ablation. `wall_limit_s` (by
    default `time_limit_s`) is the wall-clock safety net; `time_limit_s` sets the
    deterministic work budget.
    """
    started = perf_counter()
    grid = Grid(problem)
    courses = list(problem.courses)
    reaches = [reach(grid, c) for c in courses]
    plans = portfolio(grid, reaches, heuristics)
    best = max(plans, key=lambda p: (p.placed, -p.cost))  # ties: the earlier heuristic
    stats: dict[str, float] = {f"heuristic:{p.name}": float(p.placed) for p in plans}
    stats["portfolio_time_s"] = perf_counter() - started
    stats["start_sessions"] = float(best.placed)
    stats["start_cost"] = float(best.cost)
    stats[f"start:{best.name}"] = 1.0
    chains = [list(c) for c in best.chains]
    occupancy = best.occupancy
    if progress is not None:
        progress(0.0, best.placed)
    status = "portfolio"
    if search:
        status = _search(
            grid,
            occupancy,
            reaches,
            chains,
            stats,
            seed=seed,
            time_limit_s=time_limit_s,
            wall_limit_s=time_limit_s if wall_limit_s is None else wall_limit_s,
            started=started,
            progress=progress,
            should_stop=should_stop,
        )
    placed = sum(len(c) for c in chains)
    stats["search_sessions"] = float(placed)
    stats["search_cost"] = float(
        sum(chain_cost(grid, r.course, c) for r, c in zip(reaches, chains, strict=True))
    )
    placements, unplaced = _result(grid, occupancy, reaches, chains)
    if progress is not None:
        progress(1.0, placed)
    return Plan(
        placements=tuple(placements),
        unplaced=tuple(unplaced),
        solver="optimiser",
        status=status,
        solve_time_s=perf_counter() - started,
        stats=stats,
    )


def _search(
    grid: Grid,
    occupancy: Occupancy,
    reaches: list[Reach],
    chains: Chains,
    stats: dict[str, float],
    *,
    seed: int,
    time_limit_s: float,
    wall_limit_s: float,
    started: float,
    progress: Callable[[float, int], None] | None,
    should_stop: Callable[[], bool] | None,
) -> str:
    rng = random.Random(seed)
    budget = WORK_PER_SECOND * time_limit_s
    work = 0.0
    steps = improved = 0
    attempts = [0] * len(chains)
    failures = 0
    status = "budget"
    placed = sum(len(c) for c in chains)
    while work < budget:
        if should_stop is not None and should_stop():
            status = "stopped"
            break
        if perf_counter() - started > 0.95 * wall_limit_s:
            status = "wall_clock"
            break
        first, last, staff, waiting = _neighbourhood(grid, reaches, chains, attempts, rng, failures)
        if waiting is not None:
            attempts[waiting] += 1
        steps += 1
        while True:
            result = solve_neighbourhood(
                grid,
                occupancy,
                reaches,
                chains,
                first_day=first,
                last_day=last,
                staff=staff,
                seed=rng.randrange(1 << 30),
                deterministic_time=STEP_WORK,
                wall_limit_s=max(1.0, wall_limit_s - (perf_counter() - started)),
                max_free=MAX_FREE,
                quality=waiting is None,
            )
            if result is None or result.status != TOO_LARGE:
                break
            work += SIZE_UNIT * 10
            shrunk = _shrink(grid, reaches, first, last, staff, waiting, rng)
            if shrunk is None:
                result = None
                break
            first, last, staff = shrunk
        if result is None:
            work += SIZE_UNIT * 10
            failures += waiting is not None
            continue
        work += result.deterministic_time + SIZE_UNIT * result.size
        before = placed
        if _better(grid, reaches, chains, result.chains):
            improved += 1
            # Release every old placement before booking any new one: a new session may
            # take the time another course's old session is leaving.
            for i in result.chains:
                _release(occupancy, reaches[i], chains[i])
            for i, chain in result.chains.items():
                _book(occupancy, reaches[i], chains, i, chain)
            for i in result.chains:
                if len(chains[i]) < reaches[i].chain_length:
                    _extend(grid, occupancy, reaches[i], chains, i)
            placed = sum(len(c) for c in chains)
        if waiting is not None:
            failures = 0 if placed > before else failures + 1
        if progress is not None:
            progress(min(1.0, work / budget), placed)
    stats["search_steps"] = float(steps)
    stats["search_improvements"] = float(improved)
    stats["search_work"] = work
    stats["search_time_s"] = perf_counter() - started - stats["portfolio_time_s"]
    return status


def _neighbourhood(
    grid: Grid,
    reaches: list[Reach],
    chains: Chains,
    attempts: list[int],
    rng: random.Random,
    failures: int,
) -> tuple[int, int, frozenset[str] | None, int | None]:
    """A window of days (and maybe a set of practitioners) to re-solve."""
    waiting = [
        i
        for i, chain in enumerate(chains)
        if len(chain) < reaches[i].chain_length and attempts[i] < MAX_ATTEMPTS
    ]
    # Mostly steps around courses the plan leaves short; when those keep failing (the
    # plan may be at its bound), mostly steps that improve intervals and continuity.
    if not waiting or rng.random() < (0.8 if failures >= FAILURES_TO_REST else 0.2):
        width = rng.choice((1, 2))
        first = rng.randrange(max(1, grid.n_days - width + 1))
        return first, first + width - 1, None, None
    i = waiting[rng.randrange(len(waiting))]
    course = reaches[i].course
    chain = chains[i]
    lo, hi = window(grid, course, len(chain), chain[-1].day if chain else None)
    lo, hi = max(lo, 0), min(hi, grid.n_days - 1)
    centre = rng.randint(lo, max(lo, hi))
    staff = frozenset(grid.credentialed_for(course.technique))
    if rng.random() < 0.5 and len(staff) * 2 <= len(grid.practitioners):
        return centre - 1, centre + 1, staff, i
    width = rng.choice((1, 2))
    first = centre - rng.randrange(width)
    return first, first + width - 1, None, i


def _shrink(
    grid: Grid,
    reaches: list[Reach],
    first: int,
    last: int,
    staff: frozenset[str] | None,
    waiting: int | None,
    rng: random.Random,
) -> tuple[int, int, frozenset[str] | None] | None:
    """A smaller neighbourhood inside this one, or None when it cannot shrink.

    Quality steps keep their days and halve the practitioners first (moving a session
    to another day is what changes intervals); placement steps drop a day first (the
    waiting course needs its credentialed practitioners), and keep one of those when
    they halve the staff.
    """
    people = sorted(staff if staff is not None else grid.practitioners)
    if last > first and (waiting is not None or len(people) <= 1):
        return (first + 1, last, staff) if rng.random() < 0.5 else (first, last - 1, staff)
    if len(people) <= 1:
        return None
    keep = rng.sample(people, len(people) // 2)
    if waiting is not None:
        credentialed = [
            p for p in people if p in grid.credentialed_for(reaches[waiting].course.technique)
        ]
        if credentialed and not set(keep) & set(credentialed):
            keep[0] = rng.choice(credentialed)
    return first, last, frozenset(keep)


def _score(grid: Grid, reaches: list[Reach], i: int, chain) -> tuple[int, int]:
    return len(chain), -chain_cost(grid, reaches[i].course, chain)


def _better(grid: Grid, reaches: list[Reach], chains: Chains, proposal: dict) -> bool:
    old = [0, 0]
    new = [0, 0]
    for i, chain in proposal.items():
        a = _score(grid, reaches, i, chains[i])
        b = _score(grid, reaches, i, chain)
        old = [old[0] + a[0], old[1] + a[1]]
        new = [new[0] + b[0], new[1] + b[1]]
    return tuple(new) > tuple(old)


def _release(occupancy: Occupancy, r: Reach, chain: list) -> None:
    for choice in chain:
        occupancy.release(r.course, choice)


def _book(occupancy: Occupancy, r: Reach, chains: Chains, i: int, chain: list) -> None:
    course = r.course
    if course.same_practitioner:
        occupancy.course_practitioner.pop(course.id, None)
        if course.previous_practitioner is not None:
            occupancy.course_practitioner[course.id] = course.previous_practitioner
    for choice in chain:
        occupancy.book(course, choice)
    chains[i] = list(chain)


def _extend(grid: Grid, occupancy: Occupancy, r: Reach, chains: Chains, i: int) -> None:
    """Place the course's next sessions greedily, nearest the preferred gap."""
    course = r.course
    chain = chains[i]
    mask = preferred_mask(grid, course)
    while len(chain) < r.chain_length:
        k = len(chain)
        previous = chain[-1].day if chain else None
        if k > 0 and previous is None:
            return
        lo, hi = window(grid, course, k, previous)
        target = lo if previous is None else previous + course.preferred_gap_days
        days = sorted(
            (d for d in range(max(lo, 0), min(hi, grid.n_days - 1) + 1) if d in r.allowed),
            key=lambda d: (abs(d - target), d),
        )
        home = chain[-1].practitioner if chain else course.previous_practitioner
        for day in days:
            order = practitioner_order(grid, occupancy, course, home)
            choice = occupancy.find(course, day, order, preferred_mask=mask)
            if choice is not None:
                occupancy.book(course, choice)
                chain.append(choice)
                break
        else:
            return


def _result(
    grid: Grid, occupancy: Occupancy, reaches: list[Reach], chains: Chains
) -> tuple[list[Placement], list[Unplaced]]:
    placements: list[Placement] = []
    unplaced: list[Unplaced] = []
    for r, chain in zip(reaches, chains, strict=True):
        course = r.course
        placements += [to_placement(grid, course, k, c) for k, c in enumerate(chain)]
        for k in range(len(chain), course.sessions_remaining):
            previous = chain[-1].day if chain and k == len(chain) else None
            unplaced.append(explain(grid, course, k, r, previous_day=previous, occupancy=occupancy))
    placements.sort(key=lambda p: (p.day, p.start, p.practitioner_id, p.course_id))
    return placements, unplaced


__all__ = ["StartPlan", "plan_clinic"]
