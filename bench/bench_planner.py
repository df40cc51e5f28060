"""Benchmark of the clinic optimiser: heuristic portfolio, search, bound, checker.

Six seeded clinics of three shapes, 600 courses over 12 weeks each: "current" (the
project's original generator: full-time staff in two shifts), "part-time" (staff
working 3-5 days, breaks and daily limits, equipped rooms with cleaning buffers, one
device for two techniques, patients' weekly availability, one-practitioner courses,
latest finish dates) and "lopsided" (most demand on one technique few practitioners
hold, in many short courses). For each: every heuristic of the portfolio, the start
plan, the plan after search, the bound, the time (wall and CPU) and the checker.

    .venv/bin/python bench/bench_planner.py [--time-limit 60] [--only part-time]
        [--ablation] [--legacy] [--verbose]
"""

from __future__ import annotations

import argparse
import os
import random
import sys
from datetime import date, time, timedelta
from pathlib import Path
from time import perf_counter, process_time

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from mesoclinic.core.planning import (
    Busy,
    Course,
    Device,
    Metrics,
    Plan,
    Practitioner,
    Problem,
    Room,
    TimeRange,
    plan_clinic,
    plan_cpsat,
    plan_first_fit,
    plan_metrics,
    plan_violations,
    upper_bound,
)
from mesoclinic.core.planning.heuristics import HEURISTICS

START = date(2025, 3, 3)  # a Monday; fixed so that runs are comparable
TECHNIQUES = {
    # technique: (share of courses, durations in minutes, device kind)
    "needle_manual": (0.55, (30, 45, 45, 60), None),
    "needle_injector": (0.27, (30, 45), None),
    "electroporation": (0.10, (45, 60), "electroporation"),
    "oxygen_jet": (0.08, (30, 45), "oxygen_jet"),
}


def _hours(start: int, end: int) -> tuple[TimeRange, ...]:
    return (TimeRange(time(start), time(end)),)


def generate(
    *,
    seed: int = 1,
    practitioners: int = 10,
    rooms: int = 6,
    courses: int = 1000,
    weeks: int = 16,
) -> Problem:
    """A deterministic synthetic clinic for the given seed and size."""
    rng = random.Random(seed)
    end = START + timedelta(days=7 * weeks - 1)
    opening = {d: _hours(8, 21) for d in range(5)} | {5: _hours(9, 17)}
    holidays = frozenset(d for d in (date(2025, 5, 1), date(2025, 5, 9)) if d <= end)
    staff = []
    for i in range(practitioners):
        # Two shifts keep the number of practitioners at work near the number of rooms.
        shift = _hours(8, 16) if i % 2 == 0 else _hours(13, 21)
        days = [0, 1, 2, 3, 4]
        if i % 3 == 0:  # some work Saturday and take a weekday off
            days.remove(rng.randrange(5))
            days.append(5)
        hours = {d: (_hours(9, 17) if d == 5 else shift) for d in days}
        absences = set()
        if rng.random() < 0.5:  # a week of leave
            first = START + timedelta(days=7 * rng.randrange(weeks))
            absences |= {first + timedelta(days=j) for j in range(7)}
        absences |= {START + timedelta(days=rng.randrange(7 * weeks)) for _ in range(2)}
        credentials = {"needle_manual"}
        if i < 6:
            credentials.add("needle_injector")
        if i % 3 == 1 or i == 0:
            credentials.add("electroporation")
        if i in (2, 5, 9):
            credentials.add("oxygen_jet")
        staff.append(
            Practitioner(
                id=f"P{i:02d}",
                working_hours=hours,
                credentials=frozenset(credentials),
                absences=frozenset(absences),
            )
        )
    room_list = tuple(Room(id=f"R{i}") for i in range(rooms))
    devices = (Device(id="D-EP", kind="electroporation"), Device(id="D-OX", kind="oxygen_jet"))
    busy = [
        # Weekly maintenance of room R0 on Wednesday mornings.
        Busy("room", "R0", START + timedelta(days=7 * w + 2), time(8), time(10), "maintenance")
        for w in range(weeks)
    ]
    names = list(TECHNIQUES)
    weights = [TECHNIQUES[t][0] for t in names]
    course_list = []
    patients = 0
    for c in range(courses):
        technique = rng.choices(names, weights)[0]
        _, durations, kind = TECHNIQUES[technique]
        if rng.random() < 0.05 and patients:
            patient = f"pt{rng.randrange(patients)}"
        else:
            patient = f"pt{patients}"
            patients += 1
        total = rng.randint(4, 12)
        if rng.random() < 0.8:
            gap, lo, hi = 7, rng.choice((5, 6)), rng.choice((9, 10))
        else:
            gap, lo, hi = 14, 10, 18
        done = 0
        previous = earliest = latest = None
        if rng.random() < 0.4:  # in progress: the clinic does not start empty
            done = rng.randint(1, total - 1)
            previous = START - timedelta(days=rng.randint(0, lo))
        else:
            earliest = START + timedelta(days=rng.randrange(7 * weeks - 14))
            latest = earliest + timedelta(days=rng.randint(7, 14))
        credentialed = [p.id for p in staff if technique in p.credentials]
        preferred = None
        if rng.random() < (0.4 if done else 0.1):
            preferred = rng.choice(credentialed)
        weekdays: frozenset[int] = frozenset()
        if rng.random() < 0.3:
            weekdays = frozenset(rng.sample(range(6), 3))
        times: tuple[TimeRange, ...] = ()
        if rng.random() < 0.3:
            times = rng.choice((_hours(8, 13), _hours(16, 20)))
        unavailable: frozenset[date] = frozenset()
        if rng.random() < 0.2:
            unavailable = frozenset(
                START + timedelta(days=rng.randrange(7 * weeks)) for _ in range(rng.randint(2, 6))
            )
        course_list.append(
            Course(
                id=f"C{c:04d}",
                patient_id=patient,
                technique=technique,
                device_kind=kind,
                duration_min=rng.choice(durations),
                sessions_remaining=total - done,
                sessions_done=done,
                min_interval_days=lo,
                max_interval_days=hi,
                preferred_gap_days=gap,
                previous_session_date=previous,
                earliest_start=earliest,
                latest_start=latest,
                preferred_practitioner=preferred,
                preferred_weekdays=weekdays,
                preferred_times=times,
                unavailable_dates=unavailable,
            )
        )
    return Problem(
        start=START,
        end=end,
        opening_hours=opening,
        holidays=holidays,
        practitioners=tuple(staff),
        rooms=room_list,
        devices=devices,
        courses=tuple(course_list),
        busy=tuple(busy),
        timezone="Europe/Moscow",
        slot_minutes=15,
    )


def _part_time_staff(rng: random.Random, n: int, weeks: int) -> list[Practitioner]:
    """Practitioners working 3-5 days a week, some with a lunch break or a daily limit."""
    staff = []
    for i in range(n):
        days = sorted(rng.sample(range(6), rng.randint(3, 5)))
        shift = rng.choice((_hours(9, 18), _hours(8, 14), _hours(14, 21), _hours(10, 19)))
        hours = {d: (_hours(9, 16) if d == 5 else shift) for d in days}
        absences = {START + timedelta(days=rng.randrange(7 * weeks)) for _ in range(3)}
        if rng.random() < 0.4:
            first = START + timedelta(days=7 * rng.randrange(weeks))
            absences |= {first + timedelta(days=j) for j in range(7)}
        credentials = {"needle_manual"}
        if i % 4 == 0:
            credentials.add("electroporation")
        if i % 5 == 1:
            credentials.add("oxygen_jet")
        if i % 3 == 2:
            credentials.add("body_contouring")
        staff.append(
            Practitioner(
                id=f"P{i:02d}",
                working_hours=hours,
                credentials=frozenset(credentials),
                absences=frozenset(absences),
                max_sessions_per_day=rng.choice((None, None, 8, 10)),
                max_minutes_per_day=rng.choice((None, None, 360)),
            )
        )
    return staff


SHAPE_TECHNIQUES = {
    # shape: technique -> (share, durations, device kind, room needs)
    "part-time": {
        "needle_manual": (0.45, (30, 45, 60), None, frozenset({"couch"})),
        "body_contouring": (0.2, (45, 60), None, frozenset({"couch", "body"})),
        "electroporation": (0.2, (45, 60), "electroporation", frozenset()),
        "oxygen_jet": (0.15, (30, 45), "oxygen_jet", frozenset()),
    },
    "lopsided": {
        "needle_injector": (0.7, (30,), None, frozenset()),
        "needle_manual": (0.2, (45, 60), None, frozenset({"couch"})),
        "electroporation": (0.1, (45, 60), "electroporation", frozenset()),
    },
}


def generate_shape(shape: str, *, seed: int, courses: int = 600, weeks: int = 12) -> Problem:
    """The other clinic shapes of the benchmark.

    "part-time": 12 practitioners working 3-5 days a week (lunch breaks, daily limits),
    rooms with equipment and cleaning buffers, one device serving two techniques, and
    patients with weekly availability, one-practitioner courses and latest finish dates.
    "lopsided": demand piled on one technique few practitioners hold, in many short
    courses.
    """
    rng = random.Random(seed * 7919 + len(shape))
    end = START + timedelta(days=7 * weeks - 1)
    opening = {d: _hours(8, 21) for d in range(5)} | {5: _hours(9, 17)}
    if shape == "part-time":
        staff = _part_time_staff(rng, 12, weeks)
        rooms = (
            Room("R0", features=frozenset({"couch", "body"}), cleaning_buffer_min=15),
            Room("R1", features=frozenset({"couch", "body"}), cleaning_buffer_min=15),
            Room("R2", features=frozenset({"couch"})),
            Room("R3", features=frozenset({"couch"})),
            Room("R4"),
        )
        devices = (Device("D-EP", kind="electroporation", kinds=frozenset({"oxygen_jet"})),)
    else:
        staff = []
        for i in range(10):
            shift = _hours(8, 16) if i % 2 == 0 else _hours(13, 21)
            credentials = {"needle_manual"}
            if i in (1, 4, 8):
                credentials.add("needle_injector")
            if i in (0, 5):
                credentials.add("electroporation")
            absences = {START + timedelta(days=rng.randrange(7 * weeks)) for _ in range(2)}
            staff.append(
                Practitioner(
                    id=f"P{i:02d}",
                    working_hours={d: shift for d in range(5)} | {5: _hours(9, 17)},
                    credentials=frozenset(credentials),
                    absences=frozenset(absences),
                )
            )
        rooms = tuple(
            Room(f"R{i}", features=frozenset({"couch"}) if i < 3 else frozenset()) for i in range(6)
        )
        devices = (Device("D-EP", kind="electroporation"),)
    busy = []
    for p in staff:  # lunch breaks as busy time
        for offset in range(7 * weeks):
            day = START + timedelta(days=offset)
            if shape == "part-time" and day.weekday() < 5 and rng.random() < 0.5:
                busy.append(Busy("practitioner", p.id, day, time(13), time(13, 30), "break"))
    techniques = SHAPE_TECHNIQUES[shape]
    names = list(techniques)
    weights = [techniques[t][0] for t in names]
    course_list = []
    for c in range(courses):
        technique = rng.choices(names, weights)[0]
        _, durations, kind, needs = techniques[technique]
        total = rng.randint(3, 5) if shape == "lopsided" and technique == names[0] else None
        total = total or rng.randint(4, 10)
        gap, lo, hi = (7, rng.choice((5, 6)), rng.choice((9, 10)))
        done = 0
        previous = earliest = latest = None
        if rng.random() < 0.35:
            done = rng.randint(1, total - 1)
            previous = START - timedelta(days=rng.randint(0, lo))
        else:
            earliest = START + timedelta(days=rng.randrange(7 * weeks - 14))
            latest = earliest + timedelta(days=rng.randint(7, 14))
        credentialed = [p.id for p in staff if technique in p.credentials]
        same = rng.random() < (0.15 if shape == "part-time" else 0.05)
        previous_practitioner = rng.choice(credentialed) if same and done else None
        weekdays: frozenset[int] = frozenset()
        times: tuple[TimeRange, ...] = ()
        latest_finish = None
        if shape == "part-time":
            if rng.random() < 0.2:
                weekdays = frozenset(rng.sample(range(6), rng.randint(2, 3)))
            if rng.random() < 0.15:
                times = rng.choice((_hours(8, 13), _hours(17, 21)))
            if rng.random() < 0.1:
                latest_finish = end - timedelta(days=rng.randrange(21))
        course_list.append(
            Course(
                id=f"C{c:04d}",
                patient_id=f"pt{c}",
                technique=technique,
                device_kind=kind,
                duration_min=rng.choice(durations),
                sessions_remaining=total - done,
                sessions_done=done,
                min_interval_days=lo,
                max_interval_days=hi,
                preferred_gap_days=gap,
                previous_session_date=previous,
                earliest_start=earliest,
                latest_start=latest,
                preferred_weekdays=frozenset(rng.sample(range(6), 3))
                if rng.random() < 0.2
                else frozenset(),
                same_practitioner=same,
                previous_practitioner=previous_practitioner,
                available_weekdays=weekdays,
                available_times=times,
                room_needs=needs,
                latest_finish=latest_finish,
            )
        )
    return Problem(
        start=START,
        end=end,
        opening_hours=opening,
        practitioners=tuple(staff),
        rooms=rooms,
        devices=devices,
        courses=tuple(course_list),
        busy=tuple(busy),
        timezone="Europe/Moscow",
        slot_minutes=15,
    )


def _print_load(problem: Problem) -> None:
    """Demand (every session at its preferred gap from its earliest day) per week against
    the practitioners' working minutes, to see how tight the generated clinic is."""
    weeks = ((problem.end - problem.start).days + 1) // 7
    demand = [0] * weeks
    for c in problem.courses:
        day = c.earliest_start or (c.previous_session_date + timedelta(days=c.preferred_gap_days))
        for _ in range(c.sessions_remaining):
            week = (day - problem.start).days // 7
            if 0 <= week < weeks:
                demand[week] += c.duration_min
            day += timedelta(days=c.preferred_gap_days)
    supply = [0] * weeks
    for p in problem.practitioners:
        for offset in range(7 * weeks):
            day = problem.start + timedelta(days=offset)
            if day in p.absences or day in problem.holidays:
                continue
            for r in p.working_hours.get(day.weekday(), ()):
                supply[offset // 7] += (r.end.hour - r.start.hour) * 60
    print("weekly load:", " ".join(f"{d / s:.0%}" for d, s in zip(demand, supply, strict=True)))


INSTANCES = (
    ("current", 1),
    ("current", 2),
    ("part-time", 1),
    ("part-time", 2),
    ("lopsided", 1),
    ("lopsided", 2),
)


def build(shape: str, seed: int, courses: int, weeks: int) -> Problem:
    if shape == "current":
        return generate(seed=seed, courses=courses, weeks=weeks)
    return generate_shape(shape, seed=seed, courses=courses, weeks=weeks)


def _row(problem: Problem, plan: Plan, bound: int) -> tuple[Metrics, int]:
    return plan_metrics(problem, plan, bound=bound), len(plan_violations(problem, plan))


def run_optimiser(args: argparse.Namespace) -> int:
    """The optimiser on every instance: portfolio, start, after search, bound, checker."""
    names = [n for n in HEURISTICS]
    print(
        "| clinic | " + " | ".join(names) + " | best heuristic | start | after search "
        "| gain | of bound | bound | deviation, days | continuity | time, s (CPU) "
        "| violations | stopped by | load |"
    )
    print("|" + "---|" * (len(names) + 14))
    for shape, seed in INSTANCES:
        if (args.only and shape not in args.only) or (args.seeds and seed not in args.seeds):
            continue
        problem = build(shape, seed, args.courses, args.weeks)
        bound = upper_bound(problem)
        start = plan_clinic(problem, time_limit_s=args.time_limit, seed=args.seed, search=False)
        cpu = process_time()
        wall = perf_counter()
        plan = plan_clinic(
            problem,
            time_limit_s=args.time_limit,
            seed=args.seed,
            wall_limit_s=args.wall_limit,
        )
        wall, cpu = perf_counter() - wall, process_time() - cpu
        s = plan.stats
        heuristics = [int(s[f"heuristic:{n}"]) for n in names]
        best = max(heuristics)
        m0, v0 = _row(problem, start, bound)
        m1, v1 = _row(problem, plan, bound)
        print(
            f"| {shape} #{seed} ({len(problem.courses)} courses) | "
            + " | ".join(str(h) for h in heuristics)
            + f" | {best} | {m0.placed} | {m1.placed} | {(m1.placed - best) / best:+.2%} "
            f"| {m1.placed / bound:.1%} | {bound} "
            f"| {m0.mean_gap_deviation_days:.2f} -> {m1.mean_gap_deviation_days:.2f} "
            f"| {m0.continuity:.1%} -> {m1.continuity:.1%} | {wall:.0f} ({cpu:.0f}) "
            f"| {v0 + v1} | {plan.status} | {os.getloadavg()[0]:.0f} |",
            flush=True,
        )
        if args.verbose:
            print("   ", plan.status, {k: round(v, 3) for k, v in s.items()})
    return 0


def run_ablation(args: argparse.Namespace) -> int:
    """What each stage contributes: plain first-fit (the given order), the portfolio alone,
    the search started from plain first-fit and (with `--full`) the search started from
    the portfolio's best, the optimiser itself (also the main table's "after search")."""
    print(
        "| clinic | variant | placed | vs first-fit | deviation, days | continuity "
        "| time, s (CPU) | violations | stopped by |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    variants = {
        "first-fit (given order)": {"heuristics": ("given",), "search": False},
        "portfolio only": {"search": False},
        "search from first-fit (given order)": {"heuristics": ("given",)},
    }
    if args.full:
        variants["search from the portfolio's best (the optimiser)"] = {}
    for shape, seed in INSTANCES:
        if (args.only and shape not in args.only) or (args.seeds and seed not in args.seeds):
            continue
        problem = build(shape, seed, args.courses, args.weeks)
        bound = upper_bound(problem)
        plain = None
        for name, options in variants.items():
            cpu = process_time()
            wall = perf_counter()
            plan = plan_clinic(
                problem,
                time_limit_s=args.time_limit,
                seed=args.seed,
                wall_limit_s=args.wall_limit,
                **options,  # type: ignore[arg-type]
            )
            wall, cpu = perf_counter() - wall, process_time() - cpu
            m, v = _row(problem, plan, bound)
            plain = m.placed if plain is None else plain
            print(
                f"| {shape} #{seed} | {name} | {m.placed} | {(m.placed - plain) / plain:+.2%} "
                f"| {m.mean_gap_deviation_days:.2f} | {m.continuity:.1%} "
                f"| {wall:.0f} ({cpu:.0f}) | {v} | {plan.status} |",
                flush=True,
            )
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--courses", type=int, default=600)
    parser.add_argument("--weeks", type=int, default=12)
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--wall-limit", type=float, default=None)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--only", nargs="*", help="shapes to run (default: all)")
    parser.add_argument("--seeds", nargs="*", type=int, help="instances to run (default: all)")
    parser.add_argument("--ablation", action="store_true")
    parser.add_argument(
        "--full", action="store_true", help="ablation: also the search from the portfolio's best"
    )
    parser.add_argument("--legacy", action="store_true", help="the two-stage CP-SAT planner")
    parser.add_argument("--verbose", action="store_true")
    parser.add_argument("--load", action="store_true", help="print the weekly load profile")
    args = parser.parse_args(argv)
    print(f"machine load average: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    if args.legacy:
        return run_legacy(args)
    if args.ablation:
        return run_ablation(args)
    return run_optimiser(args)


def run_legacy(args: argparse.Namespace) -> int:
    """The previous comparison: first-fit and the two-stage CP-SAT planner."""
    problem = generate(seed=1, courses=args.courses, weeks=args.weeks)
    bound = upper_bound(problem)
    if args.load:
        _print_load(problem)
    header = (
        "| planner | placed | of all | of bound | mean abs(gap - preferred), days "
        "| continuity | workload CV | time, s | violations |"
    )
    print(header)
    print("|" + "---|" * 9)
    rows = [
        ("first-fit", plan_first_fit(problem)),
        ("CP-SAT two-stage", plan_cpsat(problem, time_limit_s=args.time_limit, seed=1)),
    ]
    for name, plan in rows:
        m, violations = _row(problem, plan, bound)
        print(
            f"| {name} | {m.placed} | {m.share_of_all:.1%} | {m.share_of_bound:.2%} "
            f"| {m.mean_gap_deviation_days:.2f} | {m.continuity:.1%} | {m.workload_cv:.3f} "
            f"| {m.solve_time_s:.1f} | {violations} |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
