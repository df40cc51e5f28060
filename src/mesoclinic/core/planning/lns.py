"""One step of the large-neighbourhood search: re-solve a part of the plan with CP-SAT.

A neighbourhood is a window of days, optionally restricted to some practitioners. Its
sessions are *freed* (released from the occupancy), and so are the next sessions of
courses whose window meets those days (the courses the plan so far leaves short).
Everything else stays fixed and is seen by the model as blocked time.

The model is exact at slot level: each free session has a start on the clinic's slot
grid (a global time line `day * slots_per_day + slot`), a day chosen by one literal per
candidate day, and one optional interval per practitioner, room and device it could
use; each resource has a no-overlap constraint over those intervals and its blocked
time (rooms with their cleaning buffer added to the interval). Chains: session k on a
day min..max days after session k-1 (fixed or free); a session freed with a fixed
successor must stay placed, and a later session needs the earlier one. Hard limits:
practitioners' daily sessions and minutes, one practitioner per course where required.

Objective: W_PLACE per placed session, minus the soft costs of `heuristics.chain_cost`
(interval deviation, practitioner switches, weekdays) for every gap the free sessions
touch. The current plan is given as a complete hint, so CP-SAT starts from it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ortools.sat.python import cp_model

from mesoclinic.core.planning.bounds import Reach
from mesoclinic.core.planning.grid import Grid, Occupancy, SlotChoice, start_mask
from mesoclinic.core.planning.heuristics import W_GAP, W_SWITCH, W_WEEKDAY, Chains

W_PLACE = 1000
TOO_LARGE = "TOO_LARGE"  # status of a neighbourhood left unsolved for its size


@dataclass
class _Free:
    """A free session of the neighbourhood and its variables."""

    i: int
    k: int
    mandatory: bool
    current: SlotChoice | None
    days: dict[int, int] = field(default_factory=dict)  # day -> start slots bitmask
    present: cp_model.IntVar | None = None
    on: dict[int, cp_model.IntVar] = field(default_factory=dict)
    start: cp_model.IntVar | None = None
    who: dict[str, cp_model.IntVar] = field(default_factory=dict)
    rooms: dict[str, cp_model.IntVar] = field(default_factory=dict)
    devices: dict[str, cp_model.IntVar] = field(default_factory=dict)


@dataclass
class StepResult:
    """What one neighbourhood's solve proposes for the courses it touched."""

    chains: dict[int, list[SlotChoice]]
    status: str
    deterministic_time: float
    size: int


def _runs(mask: int, width: int) -> list[tuple[int, int]]:
    """Maximal runs [start, end) of zero bits in the lowest `width` bits of mask."""
    runs = []
    slot = 0
    while slot < width:
        if (mask >> slot) & 1:
            slot += 1
            continue
        end = slot
        while end < width and not (mask >> end) & 1:
            end += 1
        runs.append((slot, end))
        slot = end
    return runs


def free_sessions(
    grid: Grid,
    reaches: list[Reach],
    chains: Chains,
    *,
    first_day: int,
    last_day: int,
    staff: frozenset[str] | None,
) -> list[_Free]:
    """The sessions a neighbourhood frees: its placed ones and the waiting next ones."""
    frees: list[_Free] = []
    for i, chain in enumerate(chains):
        course = reaches[i].course
        ks = [
            k
            for k, c in enumerate(chain)
            if first_day <= c.day <= last_day and (staff is None or c.practitioner in staff)
        ]
        pending = len(chain) < reaches[i].chain_length
        if pending and (staff is None or set(grid.credentialed_for(course.technique)) & staff):
            k = len(chain)
            previous = chain[-1].day if chain else None
            if k == 0 or previous is not None:
                lo = previous + course.min_interval_days if previous is not None else None
                if lo is None:
                    lo, hi = grid.first_window(course)
                else:
                    hi = previous + course.max_interval_days
                if lo <= last_day and hi >= first_day:
                    ks.append(k)
        for k in ks:
            current = chain[k] if k < len(chain) else None
            has_fixed_next = k + 1 < len(chain) and (k + 1) not in ks
            frees.append(_Free(i, k, mandatory=has_fixed_next, current=current))
    return frees


def solve_neighbourhood(
    grid: Grid,
    occupancy: Occupancy,
    reaches: list[Reach],
    chains: Chains,
    *,
    first_day: int,
    last_day: int,
    staff: frozenset[str] | None,
    seed: int,
    deterministic_time: float,
    wall_limit_s: float = 60.0,
    max_free: int = 400,
    quality: bool = True,
) -> StepResult | None:
    """Free the neighbourhood, re-solve it, restore the occupancy; None if nothing to do.

    The occupancy is left exactly as it was: the caller books the result it accepts.
    Without `quality` the objective is the number of placed sessions only. A
    neighbourhood of more than `max_free` sessions is not solved: the result has status
    `TOO_LARGE`, no chains and its size, so that the caller can shrink it.
    """
    spd = grid.slots_per_day
    frees = free_sessions(
        grid, reaches, chains, first_day=first_day, last_day=last_day, staff=staff
    )
    if not frees:
        return None
    if len(frees) > max_free:
        return StepResult(chains={}, status=TOO_LARGE, deterministic_time=0.0, size=len(frees))
    by_course: dict[int, list[_Free]] = {}
    for f in frees:
        by_course.setdefault(f.i, []).append(f)
    # Release the placed free sessions; restored before returning.
    for f in frees:
        if f.current is not None:
            occupancy.release(reaches[f.i].course, f.current)
    try:
        return _solve(
            grid,
            occupancy,
            reaches,
            chains,
            frees,
            by_course,
            first_day,
            last_day,
            seed,
            deterministic_time,
            spd,
            wall_limit_s,
            quality,
        )
    finally:
        for f in frees:
            if f.current is not None:
                occupancy.book(reaches[f.i].course, f.current)


def _candidate_days(
    grid: Grid,
    occupancy: Occupancy,
    reaches: list[Reach],
    chains: Chains,
    f: _Free,
    free_keys: set[tuple[int, int]],
    first_day: int,
    last_day: int,
) -> None:
    r = reaches[f.i]
    course = r.course
    chain = chains[f.i]
    lo, hi = max(first_day, 0), min(last_day, grid.last_day(course))
    if f.k - 1 >= 0 and (f.i, f.k - 1) not in free_keys:
        previous = chain[f.k - 1].day
        lo = max(lo, previous + course.min_interval_days)
        hi = min(hi, previous + course.max_interval_days)
    if f.mandatory:
        following = chain[f.k + 1].day
        lo = max(lo, following - course.max_interval_days)
        hi = min(hi, following - course.min_interval_days)
    reachable = set(r.sets[f.k]) if f.k < len(r.sets) else set()
    length = grid.slots(course.duration_min)
    pids = _eligible_staff(grid, occupancy, course, chain, f, free_keys)
    rooms = grid.rooms_for(course)
    devices = grid.devices_by_kind.get(course.device_kind, []) if course.device_kind else []
    for day in range(lo, hi + 1):
        if day not in reachable:
            continue
        patient = occupancy.patient_free(course.patient_id, day) & grid.available_mask(course)
        starts = start_mask(patient & grid.open[day], length)
        staff_starts = 0
        for pid in pids:
            staff_starts |= start_mask(occupancy.practitioner[pid][day], length)
        starts &= staff_starts
        room_starts = 0
        for room in rooms:
            room_starts |= occupancy.room_starts(room, day, length)
        starts &= room_starts
        if devices:
            device_starts = 0
            for device in devices:
                device_starts |= start_mask(occupancy.device[device][day], length)
            starts &= device_starts
        if starts:
            f.days[day] = starts


def _eligible_staff(
    grid: Grid,
    occupancy: Occupancy,
    course,
    chain: list[SlotChoice],
    f: _Free,
    free_keys: set[tuple[int, int]],
) -> list[str]:
    pids = list(grid.credentialed_for(course.technique))
    if course.same_practitioner:
        held = course.previous_practitioner
        for k, c in enumerate(chain):
            if (f.i, k) not in free_keys:
                held = held or c.practitioner
        if held is not None:
            pids = [p for p in pids if p == held]
    return pids


def _solve(
    grid,
    occupancy,
    reaches,
    chains,
    frees,
    by_course,
    first_day,
    last_day,
    seed,
    deterministic_time,
    spd,
    wall_limit_s,
    quality,
) -> StepResult | None:
    model = cp_model.CpModel()
    free_keys = {(f.i, f.k) for f in frees}
    for f in frees:
        _candidate_days(grid, occupancy, reaches, chains, f, free_keys, first_day, last_day)
    # A free session without days cannot be placed; nor can anything after it.
    for items in by_course.values():
        items.sort(key=lambda f: f.k)
        dead = False
        for f in items:
            if dead:
                f.days = {}
            if not f.days:
                if f.current is not None:
                    # A placed session must keep at least its own place; give up the step
                    # rather than leave its time free for others.
                    return None
                dead = True
    frees = [f for f in frees if f.days]
    if not frees:
        return None
    by_course = {}
    for f in frees:
        by_course.setdefault(f.i, []).append(f)
    free_keys = {(f.i, f.k) for f in frees}
    staff_intervals: dict[str, list] = {}
    room_intervals: dict[str, list] = {}
    device_intervals: dict[str, list] = {}
    patient_intervals: dict[str, list] = {}
    patient_days: dict[str, set[int]] = {}
    patient_mask: dict[str, int] = {}
    placed_terms = []
    cost_terms = []
    day_load: dict[tuple[str, int], list[tuple[cp_model.IntVar, int]]] = {}
    hints: list[tuple[cp_model.IntVar, int]] = []
    for f in frees:
        course = reaches[f.i].course
        chain = chains[f.i]
        length = grid.slots(course.duration_min)
        name = f"{f.i}_{f.k}"
        f.present = model.new_bool_var(f"p{name}")
        if f.mandatory:
            model.add(f.present == 1)
        placed_terms.append(f.present)
        f.on = {d: model.new_bool_var(f"d{name}_{d}") for d in sorted(f.days)}
        model.add(sum(f.on.values()) == f.present)
        # One range of starts per day (a fully listed domain is encoded value by value and
        # slows the search down a hundredfold); what lies between is excluded by the
        # blocked time of the practitioners (closed hours included) and of the patient.
        spans = []
        for d in sorted(f.days):
            mask = f.days[d]
            spans.append(
                [d * spd + (mask & -mask).bit_length() - 1, d * spd + mask.bit_length() - 1]
            )
        f.start = model.new_int_var_from_domain(cp_model.Domain.from_intervals(spans), f"s{name}")
        day_expr = sum(d * v for d, v in f.on.items())
        model.add(f.start - spd * day_expr >= 0).only_enforce_if(f.present)
        model.add(f.start - spd * day_expr <= spd - 1).only_enforce_if(f.present)
        pids = _eligible_staff(grid, occupancy, course, chain, f, free_keys)
        usable = []
        for pid in pids:
            if any(
                start_mask(occupancy.practitioner[pid][d], length) & m for d, m in f.days.items()
            ):
                usable.append(pid)
        for pid in usable:
            lit = model.new_bool_var(f"w{name}_{pid}")
            f.who[pid] = lit
            staff_intervals.setdefault(pid, []).append(
                model.new_optional_fixed_size_interval_var(f.start, length, lit, f"iw{name}_{pid}")
            )
            limits = occupancy.limits.get(pid)
            if limits is not None:
                for d, on in f.on.items():
                    both = model.new_bool_var(f"b{name}_{pid}_{d}")
                    model.add(both >= lit + on - 1)
                    day_load.setdefault((pid, d), []).append((both, course.duration_min))
        model.add(sum(f.who.values()) == f.present)
        for room in grid.rooms_for(course):
            lit = model.new_bool_var(f"r{name}_{room}")
            f.rooms[room] = lit
            size = length + grid.room_buffer[room]
            room_intervals.setdefault(room, []).append(
                model.new_optional_fixed_size_interval_var(f.start, size, lit, f"ir{name}_{room}")
            )
        model.add(sum(f.rooms.values()) == f.present)
        if course.device_kind is not None:
            for device in grid.devices_by_kind.get(course.device_kind, []):
                lit = model.new_bool_var(f"x{name}_{device}")
                f.devices[device] = lit
                device_intervals.setdefault(device, []).append(
                    model.new_optional_fixed_size_interval_var(
                        f.start, length, lit, f"ix{name}_{device}"
                    )
                )
            model.add(sum(f.devices.values()) == f.present)
        patient_intervals.setdefault(course.patient_id, []).append(
            model.new_optional_fixed_size_interval_var(f.start, length, f.present, f"ip{name}")
        )
        patient_days[course.patient_id] = patient_days.get(course.patient_id, set()) | set(f.days)
        patient_mask[course.patient_id] = grid.available_mask(course)
        if course.preferred_weekdays:
            for d, on in f.on.items():
                if grid.dates[d].weekday() not in course.preferred_weekdays:
                    cost_terms.append(W_WEEKDAY * on)
        # Hint: the current plan.
        cur = f.current
        hints.append((f.present, int(cur is not None)))
        for d, on in f.on.items():
            hints.append((on, int(cur is not None and cur.day == d)))
        if cur is not None:
            hints.append((f.start, cur.day * spd + cur.slot))
        for pid, lit in f.who.items():
            hints.append((lit, int(cur is not None and cur.practitioner == pid)))
        for room, lit in f.rooms.items():
            hints.append((lit, int(cur is not None and cur.room == room)))
        for device, lit in f.devices.items():
            hints.append((lit, int(cur is not None and cur.device == device)))
    # Chains, interval deviation and continuity.
    for i, items in by_course.items():
        course = reaches[i].course
        chain = chains[i]
        pref = course.preferred_gap_days
        worst = max(pref - course.min_interval_days, course.max_interval_days - pref, 0) + 1
        previous_done = (
            grid.day_index(course.previous_session_date)
            if course.previous_session_date is not None
            else None
        )
        lookup = {f.k: f for f in items}
        for f in items:
            day = sum(d * v for d, v in f.on.items())
            before = lookup.get(f.k - 1)
            fixed_day = fixed_who = None
            if before is None:
                if f.k > 0:
                    fixed_day, fixed_who = chain[f.k - 1].day, chain[f.k - 1].practitioner
                else:
                    fixed_day, fixed_who = previous_done, course.previous_practitioner
            if before is not None:
                model.add_implication(f.present, before.present)
                before_day = sum(d * v for d, v in before.on.items())
                gap = day - before_day
                model.add(gap >= course.min_interval_days).only_enforce_if(f.present)
                model.add(gap <= course.max_interval_days).only_enforce_if(f.present)
                _deviation(model, cost_terms, gap, pref, worst, f.present, hints, f, before)
                switch = model.new_bool_var(f"sw{i}_{f.k}")
                for pid, lit in f.who.items():
                    other = before.who.get(pid)
                    model.add(switch >= lit - (other if other is not None else 0))
                cost_terms.append(W_SWITCH * switch)
                if f.current is not None and before.current is not None:
                    hints.append(
                        (switch, int(f.current.practitioner != before.current.practitioner))
                    )
                else:
                    hints.append((switch, 0))
            elif fixed_day is not None:
                _deviation(
                    model,
                    cost_terms,
                    day - fixed_day,
                    pref,
                    worst,
                    f.present,
                    hints,
                    f,
                    None,
                    fixed=fixed_day,
                )
                if fixed_who is not None:
                    switch = model.new_bool_var(f"sw{i}_{f.k}")
                    same = f.who.get(fixed_who)
                    model.add(switch >= f.present - (same if same is not None else 0))
                    cost_terms.append(W_SWITCH * switch)
                    cur = f.current
                    hints.append((switch, int(cur is not None and cur.practitioner != fixed_who)))
            elif f.k == 0:
                lo = grid.first_window(course)[0]
                cost_terms += [max(0, d - lo) * v for d, v in f.on.items() if d > lo]
            if f.mandatory:
                following = chain[f.k + 1]
                gap = following.day - day
                _deviation(
                    model,
                    cost_terms,
                    gap,
                    pref,
                    worst,
                    f.present,
                    hints,
                    f,
                    None,
                    fixed=following.day,
                    after=True,
                )
                switch = model.new_bool_var(f"sn{i}_{f.k}")
                same = f.who.get(following.practitioner)
                model.add(switch >= 1 - (same if same is not None else 0))
                cost_terms.append(W_SWITCH * switch)
                cur = f.current
                hints.append(
                    (switch, int(cur is not None and cur.practitioner != following.practitioner))
                )
        if course.same_practitioner:
            pids = sorted({p for f in items for p in f.who})
            if len(pids) > 1:
                pick = {p: model.new_bool_var(f"sp{i}_{p}") for p in pids}
                model.add(sum(pick.values()) <= 1)
                for f in items:
                    for p, lit in f.who.items():
                        model.add_implication(lit, pick[p])
                held = next((f.current.practitioner for f in items if f.current), None)
                for p, lit in pick.items():
                    hints.append((lit, int(p == held)))
    # Resources: no overlap with each other and with blocked time.
    window = range(max(first_day, 0), min(last_day, grid.n_days - 1) + 1)
    for pid, intervals in staff_intervals.items():
        for d in window:
            for a, b in _runs(occupancy.practitioner[pid][d], spd):
                intervals.append(model.new_fixed_size_interval_var(d * spd + a, b - a, ""))
        model.add_no_overlap(intervals)
    for room, intervals in room_intervals.items():
        for d in window:
            free = occupancy.room[room][d]  # closed hours block session and cleaning
            for a, b in _runs(free, spd):
                intervals.append(model.new_fixed_size_interval_var(d * spd + a, b - a, ""))
        model.add_no_overlap(intervals)
    for device, intervals in device_intervals.items():
        for d in window:
            free = occupancy.device[device][d] | (grid.full & ~grid.open[d])
            for a, b in _runs(free, spd):
                intervals.append(model.new_fixed_size_interval_var(d * spd + a, b - a, ""))
        model.add_no_overlap(intervals)
    for patient, intervals in patient_intervals.items():
        for d in sorted(patient_days[patient]):
            free = occupancy.patient_free(patient, d) & patient_mask[patient]
            for a, b in _runs(free, spd):
                intervals.append(model.new_fixed_size_interval_var(d * spd + a, b - a, ""))
        model.add_no_overlap(intervals)
    for (pid, d), items in day_load.items():
        max_sessions, max_minutes = occupancy.limits[pid]
        key = (pid, d)
        if max_sessions is not None:
            model.add(sum(v for v, _ in items) <= max_sessions - occupancy.day_sessions.get(key, 0))
        if max_minutes is not None:
            model.add(
                sum(m * v for v, m in items) <= max_minutes - occupancy.day_minutes.get(key, 0)
            )
    if quality:
        model.maximize(W_PLACE * sum(placed_terms) - sum(cost_terms))
    else:
        # Placement steps look for more sessions only; their cost is still compared
        # before a result is kept.
        model.maximize(sum(placed_terms))
    for var, value in hints:
        model.add_hint(var, value)
    solver = cp_model.CpSolver()
    solver.parameters.random_seed = seed
    solver.parameters.num_workers = 1
    solver.parameters.max_deterministic_time = deterministic_time
    solver.parameters.max_time_in_seconds = wall_limit_s
    # Symmetry detection and probing cost more than they save on these small models.
    solver.parameters.symmetry_level = 0
    solver.parameters.cp_model_probing_level = 0
    status = solver.solve(model)
    result: dict[int, list[SlotChoice]] = {}
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        for i, items in by_course.items():
            chain = list(chains[i])
            cut = None
            for f in sorted(items, key=lambda f: f.k):
                if not solver.value(f.present):
                    cut = f.k if cut is None else cut
                    continue
                start = solver.value(f.start)
                choice = SlotChoice(
                    day=start // spd,
                    slot=start % spd,
                    practitioner=next(p for p, v in f.who.items() if solver.value(v)),
                    room=next(r for r, v in f.rooms.items() if solver.value(v)),
                    device=next((x for x, v in f.devices.items() if solver.value(v)), None),
                )
                if f.k < len(chain):
                    chain[f.k] = choice
                else:
                    chain.append(choice)
            if cut is not None:
                del chain[cut:]
            result[i] = chain
    return StepResult(
        chains=result,
        status=solver.status_name(status),
        deterministic_time=solver.deterministic_time,
        size=len(frees),
    )


def _deviation(
    model, cost_terms, gap, pref, worst, present, hints, f, before, *, fixed=None, after=False
) -> None:
    deviation = model.new_int_var(0, worst + 400, "")
    model.add(deviation >= gap - pref).only_enforce_if(present)
    model.add(deviation >= pref - gap).only_enforce_if(present)
    cost_terms.append(W_GAP * deviation)
    value = 0
    cur = f.current
    if cur is not None:
        if before is not None and before.current is not None:
            value = abs(cur.day - before.current.day - pref)
        elif fixed is not None:
            value = abs((fixed - cur.day) if after else (cur.day - fixed))
            value = abs(value - pref)
    hints.append((deviation, value))
