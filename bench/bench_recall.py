"""Benchmark of the recall query: every administration of one lot, with patient contacts.

Generates (once; reused on later runs) an organisation with 100,000 patients and
1,000,000 administrations (USE lines of the stock ledger) spread over 5,000 lots
(about 200 administrations per lot),
then times the real selector `recall_administrations` (index on lot, kind, time)
against the same query forced into a full-table scan, in the same run.

    .venv/bin/python bench/bench_recall.py                 # SQLite, var/bench/recall.sqlite3
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_recall \\
        .venv/bin/python bench/bench_recall.py             # PostgreSQL (database is created)
    options: [--patients 100000] [--uses 1000000] [--lots 5000] [--queries 30] [--rebuild]
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
os.environ.setdefault("SECRET_KEY", "bench-only-not-secret-" + "k" * 40)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mesoclinic.settings")
if not os.environ.get("DATABASE_URL"):
    (ROOT / "var" / "bench").mkdir(parents=True, exist_ok=True)
    os.environ["DATABASE_URL"] = f"sqlite:///{ROOT / 'var' / 'bench' / 'recall.sqlite3'}"

ORG_NAME = "bench-recall"
ZONES = ["zone.cheeks", "zone.forehead", "zone.neck", "zone.abdomen", "zone.thighs", "zone.scalp"]
START = dt.datetime(2024, 1, 1, 9, 0, tzinfo=dt.UTC)


def ensure_postgres_database() -> None:
    """Create the benchmark's PostgreSQL database if it does not exist."""
    import dj_database_url
    import psycopg

    cfg = dj_database_url.parse(os.environ["DATABASE_URL"])
    if cfg["ENGINE"] != "django.db.backends.postgresql":
        return
    dsn = {"host": cfg["HOST"] or "127.0.0.1", "port": cfg["PORT"] or 5432, "user": cfg["USER"]}
    if cfg.get("PASSWORD"):
        dsn["password"] = cfg["PASSWORD"]
    with psycopg.connect(dbname="postgres", autocommit=True, **dsn) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [cfg["NAME"]])
        if exists.fetchone() is None:
            conn.execute(f'CREATE DATABASE "{cfg["NAME"]}"')


def setup_django() -> None:
    ensure_postgres_database()
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def generate(*, patients: int, uses: int, lots: int, rebuild: bool) -> dict:
    """Build the data set unless an identical one is there; returns the ids needed to query."""
    from django.db import connection, transaction

    from mesoclinic.accounts.models import Clinic, Organisation, User
    from mesoclinic.inventory.models import Lot, Product, StockMovement
    from mesoclinic.patients.models import Patient

    org = Organisation.objects.filter(name=ORG_NAME).first()
    if org is not None and not rebuild:
        n = StockMovement.objects.filter(organisation=org).count()
        if n == uses and Patient.objects.filter(organisation=org).count() == patients:
            clinic = Clinic.objects.get(organisation=org)
            return {"org": org, "clinic": clinic, "user": User.objects.get(organisation=org)}
    if org is not None:
        raise SystemExit(
            f"{connection.settings_dict['NAME']} holds a different {ORG_NAME} data set; "
            "use a fresh database (delete the SQLite file or drop the PostgreSQL database)."
        )
    rng = random.Random(1)
    t0 = time.perf_counter()
    with transaction.atomic():
        org = Organisation.objects.create(name=ORG_NAME)
        clinic = Clinic.objects.create(organisation=org, name="Bench", time_zone="Europe/Moscow")
        user = User.objects.create(
            organisation=org, username="bench-owner", email="bench@example.test"
        )
        product = Product.objects.create(
            organisation=org,
            name="Bench booster",
            preparation_type="allopathic",
            origin="biotechnological",
            regulatory_status="medical_device",
            presentation="ampoule",
            volume_ml=2,
        )
        Lot.objects.bulk_create(
            Lot(
                organisation=org,
                clinic=clinic,
                product=product,
                lot_number=f"B{n:06d}",
                expiry_date=dt.date(2027, 1, 1),
                received_on=dt.date(2024, 1, 1),
                received_quantity_ul=10**9,
            )
            for n in range(lots)
        )
        Patient.objects.bulk_create(
            (
                Patient(
                    organisation=org,
                    home_clinic=clinic,
                    family_name=f"Family{n}",
                    given_name=f"Given{n}",
                    birth_date=dt.date(1960 + n % 40, 1 + n % 12, 1 + n % 28),
                    phone=f"+7 900 {n:07d}",
                    email=f"p{n}@example.test",
                    preferred_language="ru" if n % 3 else "en",
                )
                for n in range(patients)
            ),
            batch_size=5000,
        )
    lot_ids = list(Lot.objects.filter(organisation=org).values_list("pk", flat=True))
    patient_ids = list(Patient.objects.filter(organisation=org).values_list("pk", flat=True))
    t1 = time.perf_counter()
    print(f"generated {patients:,} patients and {lots:,} lots in {t1 - t0:.1f} s", flush=True)
    columns = (
        "organisation_id, clinic_id, lot_id, kind, quantity_ul, reason, occurred_at, "
        "patient_id, practitioner_id, zone_id, recorded_by_id, recorded_at"
    )
    now = dt.datetime.now(dt.UTC)

    def rows(count: int):
        for _ in range(count):
            at = START + dt.timedelta(minutes=rng.randrange(0, 3 * 365 * 24 * 60))
            yield (
                org.pk,
                clinic.pk,
                rng.choice(lot_ids),
                "use",
                -rng.choice((200, 500, 1000, 1500, 2000)),
                "",
                at,
                rng.choice(patient_ids),
                user.pk,
                rng.choice(ZONES),
                user.pk,
                now,
            )

    batch = 50_000
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            raw = cursor.cursor  # psycopg 3: COPY is the fast path for bulk rows
            with raw.copy(f"COPY inventory_stockmovement ({columns}) FROM STDIN") as copy:
                for row in rows(uses):
                    copy.write_row(row)
        else:
            values = ", ".join(["%s"] * 12)
            sql = f"INSERT INTO inventory_stockmovement ({columns}) VALUES ({values})"  # noqa: S608
            done = 0
            while done < uses:
                n = min(batch, uses - done)
                cursor.executemany(sql, list(rows(n)))
                done += n
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(f"generated {uses:,} administrations in {time.perf_counter() - t1:.1f} s", flush=True)
    return {"org": org, "clinic": clinic, "user": user}


def time_query(fn, lot_ids) -> list[float]:
    timings = []
    for lot_id in lot_ids:
        t = time.perf_counter()
        fn(lot_id)
        timings.append((time.perf_counter() - t) * 1000)
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=100_000)
    parser.add_argument("--uses", type=int, default=1_000_000)
    parser.add_argument("--lots", type=int, default=5_000)
    parser.add_argument("--queries", type=int, default=30)
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--seed", type=int, default=None, help="lot sample (default: random)")
    args = parser.parse_args()
    setup_django()

    from django.db import connection
    from django.db.models import F

    from mesoclinic.accounts.models import Role
    from mesoclinic.accounts.scope import Scope
    from mesoclinic.inventory.models import Lot, StockMovement
    from mesoclinic.inventory.selectors import recall_administrations

    world = generate(patients=args.patients, uses=args.uses, lots=args.lots, rebuild=args.rebuild)
    scope = Scope(
        user_id=world["user"].pk,
        organisation_id=world["org"].pk,
        clinic_id=world["clinic"].pk,
        roles=frozenset({Role.OWNER}),
        clinic_ids=frozenset({world["clinic"].pk}),
    )
    lots = {lot.pk: lot for lot in Lot.objects.filter(organisation=world["org"])}
    seed = args.seed if args.seed is not None else random.randrange(10**6)
    rng = random.Random(seed)
    sample = rng.sample(sorted(lots), min(args.queries, len(lots)))
    sizes = []

    def recall(lot_id):
        rows = list(recall_administrations(scope=scope, lot=lots[lot_id]))
        sizes.append(len(rows))
        # What the recall page touches for every row.
        return [(m.patient.full_name, m.patient.phone, m.practitioner_id) for m in rows]

    def recall_rows(lot_id):
        # The same query fetching plain rows: the database's share of the work.
        return list(
            recall_administrations(scope=scope, lot=lots[lot_id]).values_list(
                "patient__family_name", "patient__phone", "occurred_at", "zone_id", "quantity_ul"
            )
        )

    def full_scan(lot_id):
        # The same rows, but `lot_id + 0` hides the column from every index.
        qs = (
            StockMovement.objects.filter(organisation_id=scope.organisation_id, kind="use")
            .annotate(lot_plus=F("lot_id") + 0)
            .filter(lot_plus=lot_id)
            .select_related("patient", "practitioner", "clinic", "vial")
            .order_by("occurred_at", "pk")
        )
        return [(m.patient.full_name, m.patient.phone, m.practitioner_id) for m in qs]

    # First recall of each sampled lot: its rows are scattered over the table (uses of
    # all lots interleave in time), so this pass pays for reading their pages.
    first_touch = time_query(recall, sample)
    sizes.clear()
    indexed = time_query(recall, sample)
    indexed_rows = time_query(recall_rows, sample)
    scan_sample = sample[: max(3, len(sample) // 6)]
    scanned = time_query(full_scan, scan_sample)
    plan_qs = recall_administrations(scope=scope, lot=lots[sample[0]])
    plan = plan_qs.explain().splitlines()
    vendor = connection.vendor
    total = StockMovement.objects.filter(organisation=world["org"]).count()

    def line(name, t, n):
        q = statistics.quantiles(t, n=20, method="inclusive") if len(t) >= 2 else t
        return (
            f"| {vendor} | {name} | {n} | {statistics.median(t):.1f} | {q[-1]:.1f} | {max(t):.1f} |"
        )

    print()
    print(
        f"{total:,} administrations, {args.patients:,} patients, {len(lots):,} lots; "
        f"rows per recall: median {statistics.median(sizes):.0f}, max {max(sizes)}; "
        f"lot sample seed {seed}"
    )
    print("| database | query | runs | median ms | p95 ms | max ms |")
    print("|---|---|---|---|---|---|")
    print(line("recall, first touch of each lot", first_touch, len(first_touch)))
    print(line("recall (index lot, kind, time)", indexed, len(indexed)))
    print(line("recall, plain rows (no model objects)", indexed_rows, len(indexed_rows)))
    print(line("full-table scan baseline", scanned, len(scanned)))
    print(f"speed-up: {statistics.median(scanned) / statistics.median(indexed):.0f}x")
    access = [p for p in plan if "stockmovement" in p and ("Index" in p or "SEARCH" in p)]
    access += [p for p in plan if "stockmovement" in p and "Scan" in p]
    print("plan:", (access or plan)[0].strip()[:160])
    print(f"load average at the end: {os.getloadavg()[0]:.1f}")
    target = "met" if statistics.median(indexed) < 100 else "NOT met"
    print(f"target < 100 ms median: {target}")


if __name__ == "__main__":
    main()
