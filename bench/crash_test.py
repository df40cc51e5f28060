"""Crash test: writes under load, the writing process killed with SIGKILL, restarted, checked.

A writer process (the "server") runs several threads that write through the services
(`patient_create`, and `stock_use` of 0.1 mL from a few lots: a ledger line, a balance
update and an audit event in one transaction) and print an acknowledgement for each
write only after its transaction committed. This script kills the writer with SIGKILL
at a random moment while writes are in flight, starts it again (the restart must open
the database and go on writing), and after every round checks in a fresh process:

- every acknowledged write is in the database (none lost);
- every stock balance equals the sum of its movements;
- SQLite: `PRAGMA integrity_check` is ok.

    .venv/bin/python bench/crash_test.py                       # SQLite, var/bench/crash.sqlite3
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/mesoclinic_crash \\
        .venv/bin/python bench/crash_test.py                   # PostgreSQL (database recreated)
    options: [--rounds 5] [--threads 4] [--min-acks 40] [--max-acks 160] [--seed 1]

Exits 0 when nothing was lost and every balance matches; prints the figures. Bounded:
each round ends after at most --max-acks acknowledgements (or 60 s without one).
tests/test_crash.py runs it (small) when MESOCLINIC_CRASH_TEST=1.
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import json
import os
import random
import selectors
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
os.environ.setdefault("SECRET_KEY", "bench-only-not-secret-" + "k" * 40)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mesoclinic.settings")
if not os.environ.get("DATABASE_URL"):
    (ROOT / "var" / "bench").mkdir(parents=True, exist_ok=True)
    os.environ["DATABASE_URL"] = f"sqlite:///{ROOT / 'var' / 'bench' / 'crash.sqlite3'}"

LOT_COUNT = 3


def _fresh_database() -> None:
    """Start from an empty database: delete the SQLite file, or recreate the PostgreSQL one."""
    import dj_database_url

    config = dj_database_url.parse(os.environ["DATABASE_URL"])
    if config["ENGINE"].endswith("sqlite3"):
        for suffix in ("", "-wal", "-shm"):
            Path(config["NAME"] + suffix).unlink(missing_ok=True)
        return
    import psycopg

    with psycopg.connect(
        host=config.get("HOST") or "localhost",
        port=config.get("PORT") or 5432,
        user=config.get("USER"),
        password=config.get("PASSWORD") or None,
        dbname="postgres",
        autocommit=True,
    ) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{config["NAME"]}"')
        conn.execute(f'CREATE DATABASE "{config["NAME"]}"')


def _django():
    import django

    django.setup()


def setup() -> dict:
    """Migrate and create an organisation, an owner, a patient and lots, through the services."""
    _django()
    from django.core.management import call_command

    from mesoclinic.accounts.models import Role
    from mesoclinic.accounts.scope import scope_for
    from mesoclinic.accounts.services import clinic_create, organisation_create, user_create
    from mesoclinic.inventory.services import lot_receive, product_create
    from mesoclinic.patients.services import patient_create

    call_command("migrate", interactive=False, verbosity=0)
    now = dt.datetime.now(dt.UTC)
    org = organisation_create(name="Crash test clinic")
    clinic = clinic_create(organisation=org, name="Main", time_zone="UTC")
    owner = user_create(
        organisation=org,
        username="crash-owner",
        email="crash@example.test",
        password="crash-test-password-42",
        memberships=[(clinic, Role.OWNER)],
    )
    practitioner = user_create(
        organisation=org,
        username="crash-practitioner",
        email="crash-practitioner@example.test",
        password="crash-test-password-42",
        memberships=[(clinic, Role.PRACTITIONER)],
    )
    scope = scope_for(owner, clinic_id=clinic.pk)
    product = product_create(
        scope=scope,
        name="Crash cocktail",
        presentation="ampoule",
        volume_ml="5",
        regulatory_status="medical_device",
        kb_product_id="product.revitalising-cocktail",
    )
    lots = [
        lot_receive(
            scope=scope,
            product=product,
            lot_number=f"CRASH-{n}",
            expiry_date=now.date() + dt.timedelta(days=365),
            received_on=now.date(),
            quantity_ml="5000",
            now=now,
        ).pk
        for n in range(LOT_COUNT)
    ]
    patient = patient_create(
        scope=scope,
        family_name="Crash",
        given_name="Patient",
        birth_date=dt.date(1980, 1, 1),
        today=now.date(),
    )
    return {
        "user": owner.pk,
        "practitioner": practitioner.pk,
        "clinic": clinic.pk,
        "lots": lots,
        "patient": patient.pk,
    }


def writer(ids: dict, threads: int, round_no: int) -> None:
    """The process that gets killed: threads writing through the services, acknowledging."""
    _django()
    from django.db import connection

    from mesoclinic.accounts.models import User
    from mesoclinic.accounts.scope import scope_for
    from mesoclinic.inventory.models import Lot
    from mesoclinic.inventory.services import stock_use
    from mesoclinic.patients.models import Patient
    from mesoclinic.patients.services import patient_create

    out = threading.Lock()
    counter = itertools.count()

    def ack(line: str) -> None:
        with out:
            sys.stdout.write(line + "\n")
            sys.stdout.flush()

    def work() -> None:
        try:
            write()
        except BaseException as exc:  # a writer that cannot write ends the round loudly
            ack(f"ERROR {type(exc).__name__}: {exc}")
            os._exit(3)

    def write() -> None:
        user = User.objects.get(pk=ids["user"])
        scope = scope_for(user, clinic_id=ids["clinic"])
        practitioner = User.objects.get(pk=ids["practitioner"])
        chart_scope = scope_for(practitioner, clinic_id=ids["clinic"])
        patient = Patient.objects.get(pk=ids["patient"])
        lots = list(Lot.objects.filter(pk__in=ids["lots"]))
        while True:
            n = next(counter)
            now = dt.datetime.now(dt.UTC)
            if n % 3 == 0:
                p = patient_create(
                    scope=scope,
                    family_name=f"Crash{round_no}x{n}",
                    given_name="Load",
                    birth_date=dt.date(1980, 1, 1) + dt.timedelta(days=n % 5000),
                    today=now.date(),
                    allow_duplicate=True,
                )
                ack(f"ACK patient {p.pk}")
            else:
                lot = lots[n % len(lots)]
                m = stock_use(
                    scope=chart_scope,
                    lot=lot,
                    quantity_ml="0.1",
                    patient=patient,
                    practitioner=practitioner,
                    zone_id="zone.cheeks",
                    administered_at=now,
                )
                ack(f"ACK use {m.pk}")
            connection.close_if_unusable_or_obsolete()

    ack("READY")
    for _ in range(threads):
        threading.Thread(target=work, daemon=True).start()
    threading.Event().wait()


def check(acked: dict[str, list[int]]) -> dict:
    """In a fresh process: every acknowledged write present, balances equal movements."""
    _django()
    from django.db import connection
    from django.db.models import Sum

    from mesoclinic.inventory.models import StockBalance, StockMovement
    from mesoclinic.patients.models import Patient

    found_patients = set(
        Patient.objects.filter(pk__in=acked["patient"]).values_list("pk", flat=True)
    )
    found_uses = set(StockMovement.objects.filter(pk__in=acked["use"]).values_list("pk", flat=True))
    sums = {
        (r["lot_id"], r["clinic_id"]): r["total"]
        for r in StockMovement.objects.values("lot_id", "clinic_id").annotate(
            total=Sum("quantity_ul")
        )
    }
    mismatched = [
        b.pk
        for b in StockBalance.objects.all()
        if sums.get((b.lot_id, b.clinic_id)) != b.quantity_ul
    ]
    integrity = "ok"
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA integrity_check")
            integrity = cursor.fetchone()[0]
    return {
        "lost_patients": sorted(set(acked["patient"]) - found_patients),
        "lost_uses": sorted(set(acked["use"]) - found_uses),
        "patients_in_db": Patient.objects.count(),
        "uses_in_db": StockMovement.objects.filter(kind="use").count(),
        "balances": StockBalance.objects.count(),
        "balances_not_matching_movements": mismatched,
        "integrity": integrity,
        "database": connection.vendor,
    }


def _child(*args: str, **popen) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, __file__, *args], stdout=subprocess.PIPE, text=True, **popen
    )


def run_round(ids: dict, threads: int, kill_after: int, round_no: int) -> tuple[dict, float]:
    """Start the writer, kill it with SIGKILL after `kill_after` acks; return the acks."""
    proc = _child("--writer", json.dumps(ids), "--threads", str(threads), "--round", str(round_no))
    acked: dict[str, list[int]] = {"patient": [], "use": []}
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    started = time.monotonic()
    count = 0
    while count < kill_after:
        if not sel.select(timeout=60):
            break
        line = proc.stdout.readline()
        if not line:
            break
        parts = line.split()
        if parts[:1] == ["ERROR"]:
            raise SystemExit(f"the writer failed: {line.strip()}")
        if parts[:1] == ["ACK"]:
            acked[parts[1]].append(int(parts[2]))
            count += 1
    proc.send_signal(signal.SIGKILL)
    # Acknowledgements already written to the pipe before the kill count too.
    for line in proc.stdout:
        parts = line.split()
        if parts[:1] == ["ACK"]:
            acked[parts[1]].append(int(parts[2]))
    proc.wait()
    return acked, time.monotonic() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--min-acks", type=int, default=40)
    parser.add_argument("--max-acks", type=int, default=160)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--writer", help=argparse.SUPPRESS)
    parser.add_argument("--round", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--check", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.writer:
        writer(json.loads(args.writer), args.threads, args.round)
        return 0
    if args.check:
        print(json.dumps(check(json.loads(Path(args.check).read_text()))))
        return 0
    rng = random.Random(args.seed)
    _fresh_database()
    ids = setup()
    from django.db import connections

    connections.close_all()
    total: dict[str, list[int]] = {"patient": [], "use": []}
    ack_file = ROOT / "var" / "bench" / f"crash-acks-{os.getpid()}.json"
    ack_file.parent.mkdir(parents=True, exist_ok=True)
    failed = False
    try:
        for round_no in range(1, args.rounds + 1):
            kill_after = rng.randint(args.min_acks, args.max_acks)
            acked, seconds = run_round(ids, args.threads, kill_after, round_no)
            for kind in total:
                total[kind] += acked[kind]
            ack_file.write_text(json.dumps(total))
            checker = _child("--check", str(ack_file))
            result = json.loads(checker.communicate()[0])
            lost = len(result["lost_patients"]) + len(result["lost_uses"])
            bad = len(result["balances_not_matching_movements"])
            print(
                f"round {round_no}: killed after {sum(map(len, acked.values()))} acks "
                f"({seconds:.1f} s); acknowledged so far {len(total['patient'])} patients, "
                f"{len(total['use'])} stock uses; in the database {result['patients_in_db']} "
                f"patients, {result['uses_in_db']} uses; lost {lost}; balances not matching "
                f"movements {bad}; integrity {result['integrity']}",
                flush=True,
            )
            failed |= bool(lost or bad or result["integrity"] != "ok")
    finally:
        ack_file.unlink(missing_ok=True)
    print(
        f"{result['database']}: {args.rounds} SIGKILLs, {len(total['patient'])} + "
        f"{len(total['use'])} acknowledged writes, "
        + ("FAILED" if failed else "none lost, every balance equals its movements")
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
