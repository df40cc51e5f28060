"""The greedy first-fit baseline: what clinic software does today.

Courses in the order given, sessions in course order, each in the earliest free slot
inside its window with any credentialed practitioner, any room and any device of the
kind. No look-ahead, no preference for the same practitioner. It exists to measure
the CP-SAT planner against; it is also fast and never fails to return a plan.
"""

from __future__ import annotations

from time import perf_counter

from mesoclinic.core.planning.bounds import reach
from mesoclinic.core.planning.explain import explain
from mesoclinic.core.planning.grid import Grid, Occupancy
from mesoclinic.core.planning.model import Placement, Plan, Problem, Unplaced
from mesoclinic.core.planning.placing import to_placement, window


def plan_first_fit(problem: Problem) -> Plan:
    """Place every session greedily in the earliest free slot of its window."""
    started = perf_counter()  # measures solve time only; the plan never depends on it
    grid = Grid(problem)
    occupancy = Occupancy(grid)
    placements: list[Placement] = []
    unplaced: list[Unplaced] = []
    for course in problem.courses:
        course_reach = reach(grid, course)
        practitioners = grid.credentialed_for(course.technique)
        previous: int | None = None
        for k in range(course.sessions_remaining):
            choice = None
            if k == 0 or previous is not None:
                lo, hi = window(grid, course, k, previous)
                for day in range(max(lo, 0), min(hi, grid.n_days - 1) + 1):
                    if day in course_reach.allowed:
                        choice = occupancy.find(course, day, practitioners, earliest_any=True)
                        if choice is not None:
                            break
            if choice is None:
                unplaced.append(
                    explain(
                        grid, course, k, course_reach, previous_day=previous, occupancy=occupancy
                    )
                )
                previous = None
                continue
            occupancy.book(course, choice)
            placements.append(to_placement(grid, course, k, choice))
            previous = choice.day
    return Plan(
        placements=tuple(placements),
        unplaced=tuple(unplaced),
        solver="first_fit",
        status="GREEDY",
        solve_time_s=perf_counter() - started,
    )
