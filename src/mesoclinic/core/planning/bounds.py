"""Which days each session could possibly take, and an upper bound on placeable sessions.

Reachable days. For one course, let A be the days on which its session could take
place if the course were alone in the clinic: the clinic is open, the patient can come,
some practitioner credentialed for the technique works long enough (after fixed busy
time), and a device of the needed kind exists. S_0 is A inside the first window and
S_k = {t in A : t - s in [min, max] for some s in S_(k-1)}. Every session k of every
feasible plan lies in S_k (induction over the chain), so the longest non-empty prefix
S_0..S_(m-1) bounds the sessions of that course: `chain_length`.

Bound. The sum of chain lengths bounds the placed sessions, and so does each capacity
count below, because capacity is shared. A session holds a room, a practitioner and
maybe a device at every slot it runs, so per slot the sessions running are at most the
smallest of those free counts: room time counts only where someone works, a
technique's practitioners only where a room is free, a device kind only where a room
and a practitioner credentialed for one of its techniques are. Capacities are: (a) all
rooms x all practitioners, over all chains; (b) per set of room features, the rooms
that have them x all practitioners, over the chains needing them; (c) per technique,
its credentialed practitioners x rooms; (d) per device kind, its devices x its
practitioners x rooms. Each count is the most sessions that fit smallest first. The
bound is the minimum of the chain total and the totals of (a)-(d); each is a valid
upper bound, so their minimum is one too. It ignores interactions between courses in
time (and the practitioners' daily limits beyond what existing appointments already
use up: a practitioner whose maximum is reached that day does not count for A), so it
is optimistic, never pessimistic.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from mesoclinic.core.planning.grid import Grid, Occupancy, start_mask
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
            if grid.booked_full(pid, day, course.duration_min):
                continue
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


def _slot_counts(grid: Grid, masks_list: list[list[int]]) -> list[list[int]]:
    """Per day and slot: how many of these resources are free."""
    table = []
    for d in range(grid.n_days):
        row = [0] * grid.slots_per_day
        for masks in masks_list:
            mask = masks[d]
            while mask:
                low = mask & -mask
                row[low.bit_length() - 1] += 1
                mask ^= low
        table.append(row)
    return table


def _joint(*tables: list[list[int]]) -> int:
    """Slots usable at once: per slot the smallest of the pools, summed over the horizon.

    A session holds one resource of each pool at every slot it runs, so the sessions
    running in a slot are at most the smallest pool's free count.
    """
    return sum(
        min(values) for rows in zip(*tables, strict=True) for values in zip(*rows, strict=True)
    )


def upper_bound(problem: Problem, *, reaches: list[Reach] | None = None) -> int:
    """An upper bound on the sessions any valid plan can place (see the module docstring)."""
    grid = Grid(problem)
    if reaches is None:
        reaches = [reach(grid, c) for c in problem.courses]
    occ = Occupancy(grid)
    chain_total = sum(r.chain_length for r in reaches)
    staff_counts: dict[tuple[str, ...], list[list[int]]] = {}

    def staff(pids: list[str]) -> list[list[int]]:
        key = tuple(sorted(pids))
        if key not in staff_counts:
            staff_counts[key] = _slot_counts(grid, [occ.practitioner[p] for p in key])
        return staff_counts[key]

    room_counts: dict[frozenset[str], list[list[int]]] = {}

    def rooms(needs: frozenset[str], course) -> list[list[int]]:
        if needs not in room_counts:
            room_counts[needs] = _slot_counts(grid, [occ.room[r] for r in grid.rooms_for(course)])
        return room_counts[needs]

    everyone = staff([p.id for p in problem.practitioners])
    all_rooms = _slot_counts(grid, list(occ.room.values()))
    lengths_all: list[int] = []
    by_technique: dict[str, list[int]] = defaultdict(list)
    by_kind: dict[str, list[int]] = defaultdict(list)
    by_needs: dict[frozenset[str], list[int]] = defaultdict(list)
    kind_staff: dict[str, set[str]] = defaultdict(set)
    example: dict[frozenset[str], object] = {}
    no_device = 0
    for r in reaches:
        length = grid.slots(r.course.duration_min)
        items = [length] * r.chain_length
        lengths_all += items
        by_technique[r.course.technique] += items
        by_needs[r.course.room_needs] += items
        example.setdefault(r.course.room_needs, r.course)
        if r.course.device_kind is None:
            no_device += r.chain_length
        else:
            by_kind[r.course.device_kind] += items
            kind_staff[r.course.device_kind] |= set(grid.credentialed_for(r.course.technique))
    # Rooms count only where someone works: a free room with nobody to treat is no capacity.
    bound_rooms = _fit_count(lengths_all, _joint(all_rooms, everyone))
    bound_needs = 0
    for needs, items in by_needs.items():
        cap = _joint(rooms(needs, example[needs]), everyone)
        bound_needs += min(len(items), _fit_count(items, cap))
    bound_techniques = 0
    for technique, items in by_technique.items():
        cap = _joint(staff(grid.credentialed_for(technique)), all_rooms)
        bound_techniques += min(len(items), _fit_count(items, cap))
    bound_devices = no_device
    for kind, items in by_kind.items():
        devices = _slot_counts(grid, [occ.device[d] for d in grid.devices_by_kind.get(kind, ())])
        cap = _joint(devices, staff(sorted(kind_staff[kind])), all_rooms)
        bound_devices += min(len(items), _fit_count(items, cap))
    return min(chain_total, bound_rooms, bound_needs, bound_techniques, bound_devices)
