"""Which days each session could possibly take, and an upper bound on placeable sessions.

Reachable days. For one course, let A be the days on which its session could take
place if the course were alone in the clinic: the clinic is open, the patient can come,
some practitioner credentialed for the technique works long enough (after fixed busy
time), and a device of the needed kind exists. S_0 is A inside the first window and
S_k = {t in A : t - s in [min, max] for some s in S_(k-1)}. Every session k of every
feasible plan lies in S_k (induction over the chain), so the longest non-empty prefix
S_0..S_(m-1) bounds the sessions of that course: `chain_length`.

Bound. The sum of chain lengths bounds the placed sessions, and so does each capacity
count below, because capacity is shared: the most sessions that fit, smallest first,
into (a) the free room minutes, (b) the free working minutes of the practitioners
credentialed for a technique (per technique), (c) the free minutes of the devices of a
kind (per kind). The bound is the minimum of: the chain total; the sum over techniques
of min(chains, (b)); the sum over device kinds of min(chains, (c)) plus the chains
that need no device; and (a) over all chains. Each is a valid upper bound, so their
minimum is one too. It ignores interactions between courses in time, so it is
optimistic, never pessimistic.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from mesoclinic.core.planning.grid import Grid, Occupancy, popcount, start_mask
from mesoclinic.core.planning.model import Course, Problem


@dataclass(frozen=True)
class Reach:
    """Reachable day indices per remaining session of a course (only non-empty sets)."""

    course: Course
    allowed: frozenset[int]
    sets: tuple[tuple[int, ...], ...]
    # full[k]: days of S_k from which the rest of the longest chain can still follow.
    full: tuple[tuple[int, ...], ...] = ()

    @property
    def chain_length(self) -> int:
        return len(self.sets)


def allowed_days(grid: Grid, course: Course) -> frozenset[int]:
    """Days on which the session could take place were the course alone in the clinic."""
    problem = grid.problem
    if course.device_kind is not None and not grid.devices_by_kind.get(course.device_kind):
        return frozenset()
    if not grid.rooms_for(course):
        return frozenset()
    pids = grid.credentialed_for(course.technique)
    if course.same_practitioner and course.previous_practitioner is not None:
        pids = [p for p in pids if p == course.previous_practitioner]
    length = grid.slots(course.duration_min)
    available = grid.available_mask(course)
    busy_by_practitioner: dict[str, dict[int, int]] = defaultdict(dict)
    for busy in problem.busy:
        if busy.resource == "practitioner":
            day = grid.day_index(busy.day)
            masks = busy_by_practitioner[busy.resource_id]
            masks[day] = masks.get(day, 0) | grid.busy_mask(busy.start, busy.end)
    days = set()
    for day in range(grid.n_days):
        if not grid.course_day_ok(course, day):
            continue
        for pid in pids:
            free = grid.working_mask(grid.practitioners[pid], day)
            free &= ~busy_by_practitioner.get(pid, {}).get(day, 0) & available
            if start_mask(free, length):
                days.add(day)
                break
    return frozenset(days)


def reach(grid: Grid, course: Course, *, allowed: frozenset[int] | None = None) -> Reach:
    """Reachable day sets S_0, S_1, ... of a course's remaining sessions."""
    if allowed is None:
        allowed = allowed_days(grid, course)
    lo, hi = grid.first_window(course)
    current = tuple(d for d in sorted(allowed) if lo <= d <= hi)
    sets: list[tuple[int, ...]] = []
    while current and len(sets) < course.sessions_remaining:
        sets.append(current)
        nxt: set[int] = set()
        for s in current:
            for t in range(s + course.min_interval_days, s + course.max_interval_days + 1):
                if t in allowed:
                    nxt.add(t)
        current = tuple(sorted(nxt))
    full: list[tuple[int, ...]] = []
    later: set[int] = set()
    for k in reversed(range(len(sets))):
        if k == len(sets) - 1:
            keep = sets[k]
        else:
            keep = tuple(
                s
                for s in sets[k]
                if any(
                    t in later
                    for t in range(s + course.min_interval_days, s + course.max_interval_days + 1)
                )
            )
        full.append(keep)
        later = set(keep)
    full.reverse()
    return Reach(course=course, allowed=allowed, sets=tuple(sets), full=tuple(full))


def _fit_count(lengths: list[int], capacity: int) -> int:
    """How many of the items fit into `capacity`, taking the smallest first."""
    count = 0
    for length in sorted(lengths):
        if length > capacity:
            break
        capacity -= length
        count += 1
    return count


def upper_bound(problem: Problem, *, reaches: list[Reach] | None = None) -> int:
    """An upper bound on the sessions any valid plan can place (see the module docstring)."""
    grid = Grid(problem)
    if reaches is None:
        reaches = [reach(grid, c) for c in problem.courses]
    occ = Occupancy(grid)
    chain_total = sum(r.chain_length for r in reaches)
    lengths_all: list[int] = []
    by_technique: dict[str, list[int]] = defaultdict(list)
    by_kind: dict[str, list[int]] = defaultdict(list)
    no_device = 0
    for r in reaches:
        length = grid.slots(r.course.duration_min)
        items = [length] * r.chain_length
        lengths_all += items
        by_technique[r.course.technique] += items
        if r.course.device_kind is None:
            no_device += r.chain_length
        else:
            by_kind[r.course.device_kind] += items
    room_cap = sum(popcount(m) for masks in occ.room.values() for m in masks)
    bound_rooms = _fit_count(lengths_all, room_cap)
    bound_techniques = 0
    for technique, items in by_technique.items():
        cap = sum(
            popcount(m) for pid in grid.credentialed_for(technique) for m in occ.practitioner[pid]
        )
        bound_techniques += min(len(items), _fit_count(items, cap))
    bound_devices = no_device
    for kind, items in by_kind.items():
        cap = sum(popcount(m) for d in grid.devices_by_kind.get(kind, ()) for m in occ.device[d])
        bound_devices += min(len(items), _fit_count(items, cap))
    return min(chain_total, bound_rooms, bound_techniques, bound_devices)
