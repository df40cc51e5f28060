"""Benchmark of the owner's "which protocols work" report over 10,000 courses.

Generates (once; reused on later runs) an organisation with 10,000 finished courses of
five protocols, five signed sessions each, a baseline and a follow-up score on a
status scale and a GAIS follow-up per course, and a side effect on one course in
eight. Then times the real report (`protocol_report`, all courses, no filter) against
a baseline measured in the same run: the same rows (courses, products, scores,
session and side-effect counts) fetched with no grouping or statistics, which is the
database's share of the work.

    .venv/bin/python bench/bench_outcomes.py              # SQLite, var/bench/outcomes.sqlite3
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_outcomes \\
        .venv/bin/python bench/bench_outcomes.py          # PostgreSQL (database is created)
    options: [--courses 10000] [--runs 7] [--rebuild]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("SECRET_KEY", "bench-only-not-secret-" + "k" * 40)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mesoclinic.settings")
if not os.environ.get("DATABASE_URL"):
    (ROOT / "var" / "bench").mkdir(parents=True, exist_ok=True)
    os.environ["DATABASE_URL"] = f"sqlite:///{ROOT / 'var' / 'bench' / 'outcomes.sqlite3'}"

from bench_recall import ensure_postgres_database  # noqa: E402

ORG_NAME = "bench-outcomes"
SESSIONS = 5
# protocol, zone, product, status scale, its levels (worst to best is by `better`)
PROTOCOLS = (
    ("protocol.skinbooster-ha", "zone.cheeks", "product.ha-skinbooster", "scale.wsrs"),
    ("protocol.face-rejuvenation", "zone.nasolabial", "product.revitalising-cocktail",
     "scale.wsrs"),
    ("protocol.hair-loss", "zone.scalp", "product.hair-cocktail", "scale.ludwig"),
    ("protocol.cellulite", "zone.thighs", "product.cellulite-cocktail", "scale.hexsel-css"),
    ("protocol.local-fat", "zone.abdomen", "product.cellulite-cocktail", "scale.nurnberger-muller"),
)  # fmt: skip


def setup_django() -> None:
    ensure_postgres_database()
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def generate(*, courses: int, rebuild: bool) -> dict:
    """Build the data set unless an identical one is there; returns the org, clinic, user."""
    from django.db import connection, transaction

    from mesoclinic.accounts.models import Clinic, Organisation, User
    from mesoclinic.charting.models import SideEffect, TreatmentSession
    from mesoclinic.consultations.engine import kb as knowledge
    from mesoclinic.consultations.models import PlanProduct, TreatmentPlan
    from mesoclinic.outcomes.models import OutcomeScore
    from mesoclinic.patients.models import Patient

    org = Organisation.objects.filter(name=ORG_NAME).first()
    if (
        org is not None
        and not rebuild
        and TreatmentPlan.objects.filter(organisation=org).count() == courses
    ):
        return {
            "org": org,
            "clinic": Clinic.objects.get(organisation=org),
            "user": User.objects.get(organisation=org),
        }
    if org is not None:
        raise SystemExit(
            f"{connection.settings_dict['NAME']} holds a different {ORG_NAME} data set; "
            "use a fresh database (delete the SQLite file or drop the PostgreSQL database)."
        )
    kb = knowledge()
    rng = random.Random(1)
    t0 = time.perf_counter()
    now = dt.datetime(2026, 11, 1, 12, tzinfo=dt.UTC)
    with transaction.atomic():
        org = Organisation.objects.create(name=ORG_NAME)
        clinic = Clinic.objects.create(organisation=org, name="Bench", time_zone="Europe/Moscow")
        user = User.objects.create(
            organisation=org, username="bench-owner", email="bench-outcomes@example.test"
        )
        Patient.objects.bulk_create(
            (
                Patient(
                    organisation=org,
                    home_clinic=clinic,
                    family_name=f"Family{n}",
                    given_name=f"Given{n}",
                    birth_date=dt.date(1960 + n % 40, 1 + n % 12, 1 + n % 28),
                )
                for n in range(courses // 2)
            ),
            batch_size=5000,
        )
        patient_ids = list(Patient.objects.filter(organisation=org).values_list("pk", flat=True))
        first = dt.date(2023, 1, 1)
        TreatmentPlan.objects.bulk_create(
            (
                TreatmentPlan(
                    organisation=org,
                    clinic=clinic,
                    patient_id=patient_ids[n % len(patient_ids)],
                    practitioner=user,
                    protocol_id=PROTOCOLS[n % len(PROTOCOLS)][0],
                    zones=[PROTOCOLS[n % len(PROTOCOLS)][1]],
                    technique_ids=["technique.nappage"],
                    sessions=SESSIONS,
                    interval_min_days=7,
                    interval_max_days=14,
                    preferred_interval_days=7,
                    target_start=first + dt.timedelta(days=n % 1000),
                    status="completed",
                    created_at=now,
                    updated_at=now,
                )
                for n in range(courses)
            ),
            batch_size=2000,
        )
        plans = list(
            TreatmentPlan.objects.filter(organisation=org)
            .order_by("pk")
            .values_list("pk", "patient_id", "protocol_id", "target_start")
        )
        by_protocol = {p[0]: p for p in PROTOCOLS}
        PlanProduct.objects.bulk_create(
            (
                PlanProduct(
                    organisation=org, plan_id=pk, product_id=by_protocol[proto][2], dose_ml=2
                )
                for pk, _patient, proto, _start in plans
            ),
            batch_size=5000,
        )
        sessions = []
        scores = []
        for pk, patient, proto, start in plans:
            _p, zone, _product, scale_id = by_protocol[proto]
            scale = kb.scale[scale_id]
            for k in range(SESSIONS):
                day = start + dt.timedelta(days=7 * k)
                moment = dt.datetime.combine(day, dt.time(10), tzinfo=dt.UTC)
                sessions.append(
                    TreatmentSession(
                        organisation=org,
                        clinic=clinic,
                        patient_id=patient,
                        practitioner=user,
                        plan_id=pk,
                        session_number=k + 1,
                        session_date=day,
                        status="signed",
                        screened_at=moment,
                        screened_by=user,
                        knowledge_version=kb.version,
                        signed_at=moment,
                        signed_by=user,
                        signed_knowledge_version=kb.version,
                        created_at=moment,
                    )
                )
            levels = scale.levels
            b = rng.randrange(len(levels))
            f = max(0, min(len(levels) - 1, b + rng.choice((-2, -1, -1, 0, 1))))
            end = start + dt.timedelta(days=7 * SESSIONS + 14)
            for timepoint, level, day, sid in (
                ("baseline", levels[b], start, scale_id),
                ("follow_up", levels[f], end, scale_id),
                ("follow_up", kb.scale["scale.gais"].levels[rng.randrange(5)], end, "scale.gais"),
            ):
                scores.append(
                    OutcomeScore(
                        organisation=org,
                        clinic=clinic,
                        patient_id=patient,
                        plan_id=pk,
                        scale_id=sid,
                        zone_id=zone,
                        timepoint=timepoint,
                        value=level.value,
                        score=level.score,
                        rater="investigator",
                        scored_on=day,
                        recorded_by=user,
                        recorded_at=now,
                        knowledge_version=kb.version,
                    )
                )
        TreatmentSession.objects.bulk_create(sessions, batch_size=5000)
        OutcomeScore.objects.bulk_create(scores, batch_size=5000)
        first_sessions = TreatmentSession.objects.filter(organisation=org, session_number=1)
        SideEffect.objects.bulk_create(
            (
                SideEffect(
                    organisation=org,
                    session_id=sid,
                    patient_id=patient,
                    kind="se.bruising",
                    phase="session",
                    severity="mild",
                    outcome="resolved",
                    onset_on=day,
                    recorded_by=user,
                    recorded_at=now,
                )
                for n, (sid, patient, day) in enumerate(
                    first_sessions.values_list("pk", "patient_id", "session_date")
                )
                if n % 8 == 0
            ),
            batch_size=5000,
        )
    print(
        f"generated {courses:,} courses, {len(sessions):,} sessions, {len(scores):,} scores "
        f"in {time.perf_counter() - t0:.1f} s",
        flush=True,
    )
    return {"org": org, "clinic": clinic, "user": user}


def timed(fn, runs: int) -> tuple[list[float], list[float]]:
    """Wall-clock and CPU milliseconds per run. On a shared machine the wall clock waits
    for other jobs; this process's CPU time (SQLite runs inside it) does not."""
    fn()  # warm the caches once, as a second visit to the page would
    wall, cpu = [], []
    for _ in range(runs):
        t, c = time.perf_counter(), time.process_time()
        fn()
        wall.append((time.perf_counter() - t) * 1000)
        cpu.append((time.process_time() - c) * 1000)
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--courses", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--rebuild", action="store_true")
    args = parser.parse_args()
    setup_django()

    from django.db import connection
    from django.db.models import Count

    from mesoclinic.accounts.models import Role
    from mesoclinic.accounts.scope import Scope
    from mesoclinic.charting.models import SideEffect, TreatmentSession
    from mesoclinic.consultations.models import PlanProduct, TreatmentPlan
    from mesoclinic.outcomes.models import OutcomeScore
    from mesoclinic.outcomes.report import ReportFilters, protocol_report

    world = generate(courses=args.courses, rebuild=args.rebuild)
    scope = Scope(
        user_id=world["user"].pk,
        organisation_id=world["org"].pk,
        clinic_id=world["clinic"].pk,
        roles=frozenset({Role.OWNER}),
        clinic_ids=frozenset({world["clinic"].pk}),
    )
    rows = []

    def report():
        rows[:] = protocol_report(scope=scope, language="en", filters=ReportFilters())

    def fetch_only():
        org = world["org"]
        plans = TreatmentPlan.objects.filter(organisation=org)
        list(plans.values_list("pk", "protocol_id", "consultation__indications"))
        list(PlanProduct.objects.filter(plan__in=plans).values_list("plan_id", "product_id"))
        list(
            OutcomeScore.objects.filter(plan__in=plans).values_list(
                "plan_id", "scale_id", "zone_id", "timepoint", "score"
            )
        )
        list(
            TreatmentSession.objects.filter(plan__in=plans, status="signed")
            .values_list("plan_id")
            .annotate(n=Count("pk"))
            .order_by()
        )
        list(
            SideEffect.objects.filter(session__plan__in=plans)
            .values_list("session__plan_id")
            .annotate(n=Count("pk"))
            .order_by()
        )

    base = timed(fetch_only, args.runs)
    real = timed(report, args.runs)
    print(f"database: {connection.vendor}; courses: {args.courses:,}; report rows: {len(rows)}")
    print(f"load average: {os.getloadavg()[0]:.1f}")
    for name, (wall, cpu) in (
        ("baseline: same rows, no grouping", base),
        ("protocol_report", real),
    ):
        print(
            f"{name:34s} wall median {statistics.median(wall):7.1f} ms "
            f"(min {min(wall):7.1f}, max {max(wall):7.1f})   "
            f"CPU median {statistics.median(cpu):7.1f} ms   ({args.runs} runs)"
        )
    print("target: protocol_report < 500 ms")


if __name__ == "__main__":
    main()
