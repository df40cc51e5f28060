"""A portfolio of greedy start plans: first-fit under several course orders.

Which order packs a clinic best depends on its shape (full-time or part-time staff,
scarce devices, many short courses), so the optimiser does not bet on one: it runs
first-fit under each order below and starts its search from the plan that places the
most sessions (ties: the lower cost). Every plan is a list of *chains*: per course,
the choices of its first remaining sessions, in order.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from mesoclinic.core.planning.bounds import Reach
from mesoclinic.core.planning.grid import Grid, Occupancy, SlotChoice
from mesoclinic.core.planning.model import Course
from mesoclinic.core.planning.placing import window

# Soft costs shared by the heuristics' tie-break and the search's objective.
W_GAP = 4  # per day away from the preferred gap
W_SWITCH = 6  # a session with another practitioner than the session before
W_WEEKDAY = 2  # not one of the patient's preferred weekdays

Chains = list[list[SlotChoice]]


@dataclass
class StartPlan:
    """One heuristic's plan, its occupancy and its score."""

    name: str
    chains: Chains
    occupancy: Occupancy
    placed: int
    cost: int


def chain_cost(grid: Grid, course: Course, chain: Sequence[SlotChoice]) -> int:
    """Soft cost of a course's placed sessions: interval deviation, switches, weekdays."""
    cost = 0
    previous = (
        grid.day_index(course.previous_session_date)
        if course.previous_session_date is not None
        else None
    )
    who = course.previous_practitioner
    for choice in chain:
        if previous is not None:
            cost += W_GAP * abs(choice.day - previous - course.preferred_gap_days)
        if who is not None and choice.practitioner != who:
            cost += W_SWITCH
        if (
            course.preferred_weekdays
            and grid.dates[choice.day].weekday() not in course.preferred_weekdays
        ):
            cost += W_WEEKDAY
        previous, who = choice.day, choice.practitioner
    return cost


def _orders(grid: Grid, reaches: list[Reach]) -> dict[str, Callable[[int], tuple]]:
    courses = [r.course for r in reaches]
    windows = [grid.first_window(c) for c in courses]

    def scarcity(i: int) -> tuple[int, int]:
        course = courses[i]
        staff = len(grid.credentialed_for(course.technique))
        devices = (
            len(grid.devices_by_kind.get(course.device_kind, ())) if course.device_kind else 99
        )
        return (min(staff, devices * 3), len(grid.rooms_for(course)))

    return {
        "given": lambda i: (i,),
        "earliest start": lambda i: (windows[i][0], i),
        "longest first": lambda i: (-reaches[i].chain_length * courses[i].duration_min, i),
        "shortest first": lambda i: (reaches[i].chain_length * courses[i].duration_min, i),
        "tightest window": lambda i: (
            windows[i][1] - windows[i][0],
            courses[i].max_interval_days - courses[i].min_interval_days,
            windows[i][0],
            i,
        ),
        "scarce resources": lambda i: (*scarcity(i), windows[i][0], i),
    }


HEURISTICS = (
    "given",
    "earliest start",
    "longest first",
    "shortest first",
    "tightest window",
    "scarce resources",
)


def first_fit_chains(grid: Grid, reaches: list[Reach], order: Sequence[int]) -> StartPlan:
    """First-fit in `order`: each session in the earliest free slot of its window."""
    occupancy = Occupancy(grid)
    chains: Chains = [[] for _ in reaches]
    for i in order:
        course = reaches[i].course
        allowed = reaches[i].allowed
        practitioners = grid.credentialed_for(course.technique)
        previous: int | None = None
        for k in range(reaches[i].chain_length):
            lo, hi = window(grid, course, k, previous)
            choice = None
            for day in range(max(lo, 0), min(hi, grid.n_days - 1) + 1):
                if day in allowed:
                    choice = occupancy.find(course, day, practitioners, earliest_any=True)
                    if choice is not None:
                        break
            if choice is None:
                break
            occupancy.book(course, choice)
            chains[i].append(choice)
            previous = choice.day
    placed = sum(len(c) for c in chains)
    cost = sum(chain_cost(grid, r.course, c) for r, c in zip(reaches, chains, strict=True))
    return StartPlan("", chains, occupancy, placed, cost)


def portfolio(
    grid: Grid, reaches: list[Reach], names: Sequence[str] = HEURISTICS
) -> list[StartPlan]:
    """First-fit under each named order, in the given order of names."""
    keys = _orders(grid, reaches)
    plans = []
    for name in names:
        order = sorted(range(len(reaches)), key=keys[name])
        plan = first_fit_chains(grid, reaches, order)
        plan.name = name
        plans.append(plan)
    return plans
