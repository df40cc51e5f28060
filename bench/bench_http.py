r"""HTTP benchmark: the key pages behind the production server, loaded with wrk.

Usage:
    apt-get install -y wrk            # Debian's wrk 4 (the load generator)
    .venv/bin/python bench/bench_http.py --scale 0.05      # a quick run
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_http \
        .venv/bin/python bench/bench_http.py                # 100,000 patients, 1M uses

The data set is the demo organisation (`mesoclinic demo`'s data: clinics, staff,
plans, appointments, sessions) grown, seeded, to `--scale` × (100,000 patients and
1,000,000 administrations over 1,000 lots), with the generators of
bench_patient_search.py (names, search keys) and bench_recall.py (the ledger rows,
COPY on PostgreSQL). One lot gets `--lot-uses` (2,000) administrations: the lot and
recall pages are measured on it. The database is reused when it already holds the
same data set (SQLite: var/bench/http.sqlite3; PostgreSQL: the DATABASE_URL database,
created if missing).

The site is served by `mesoclinic serve` (gunicorn, 2 workers × 4 threads) with DEBUG
off, signed in as the demo owner (a session cookie). Each page is driven by wrk for
`--seconds` at one connection (latency: p50, p95, p99 from wrk's histogram) and at eight
(requests per second), and compared with `/healthz` measured in the same run. The load
average is printed before and after, since the machine is shared.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

if not os.environ.get("DATABASE_URL"):
    (ROOT / "var" / "bench").mkdir(parents=True, exist_ok=True)
    os.environ["DATABASE_URL"] = f"sqlite:///{ROOT / 'var' / 'bench' / 'http.sqlite3'}"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mesoclinic.settings")
os.environ.setdefault("SECRET_KEY", "bench-only-" + "x" * 50)
os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")

LUA = """
done = function(summary, latency, requests)
  io.write(string.format("RESULT p50=%d p95=%d p99=%d max=%d n=%d secs=%f errors=%d\\n",
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max,
    summary.requests, summary.duration / 1e6,
    summary.errors.status + summary.errors.connect + summary.errors.read
      + summary.errors.write + summary.errors.timeout))
end
"""

MARKER = "bench-http"


def grow(*, patients: int, uses: int, lots: int, lot_uses: int, seed: int) -> dict:
    """Grow the demo organisation to the data set; reuse it when it is already there."""
    from bench_patient_search import FAMILY_EN, FAMILY_RU, GIVEN_EN, GIVEN_RU_F, MIDDLE_RU_F
    from django.db import connection, transaction

    from mesoclinic.accounts.models import Clinic, Organisation, User
    from mesoclinic.demo import DEMO_ORGANISATION, demo_load
    from mesoclinic.inventory.models import Lot, Product, StockBalance, StockMovement
    from mesoclinic.patients import search
    from mesoclinic.patients.models import Patient, PatientSearchToken

    demo_load()
    org = Organisation.objects.get(name=DEMO_ORGANISATION)
    clinic = Clinic.objects.filter(organisation=org).order_by("pk").first()
    owner = User.objects.get(organisation=org, username="owner")
    product = Product.objects.filter(organisation=org).order_by("pk").first()
    have = Lot.objects.filter(organisation=org, lot_number__startswith="BH").count()
    if have == lots:
        print("data set already present: reused", flush=True)
    elif have:
        raise SystemExit("the database holds another bench data set: use a fresh one")
    else:
        rng = random.Random(seed)
        t0 = time.perf_counter()
        with transaction.atomic():
            Lot.objects.bulk_create(
                Lot(
                    organisation=org,
                    clinic=clinic,
                    product=product,
                    lot_number=f"BH{n:06d}",
                    expiry_date=dt.date(2030, 1, 1),
                    received_on=dt.date(2024, 1, 1),
                    received_quantity_ul=10**8,
                )
                for n in range(lots)
            )
            lot_ids = list(
                Lot.objects.filter(organisation=org, lot_number__startswith="BH")
                .order_by("pk")
                .values_list("pk", flat=True)
            )
            StockBalance.objects.bulk_create(
                StockBalance(organisation=org, clinic=clinic, lot_id=pk, quantity_ul=10**7)
                for pk in lot_ids
            )
            rows = []
            for i in range(patients):
                if i % 2:
                    family = rng.choice(FAMILY_RU) + "а"
                    given, middle = rng.choice(GIVEN_RU_F), rng.choice(MIDDLE_RU_F)
                else:
                    family, given, middle = rng.choice(FAMILY_EN), rng.choice(GIVEN_EN), ""
                born = dt.date(1950, 1, 1) + dt.timedelta(days=rng.randrange(365 * 55))
                phone = f"+7 916 {rng.randrange(10**7):07d}"
                rows.append(
                    Patient(
                        organisation=org,
                        home_clinic=clinic,
                        family_name=family,
                        given_name=given,
                        middle_name=middle,
                        birth_date=born,
                        phone=phone,
                        email=f"{MARKER}{i}@example.org",
                        name_key=search.name_key(family, given),
                        phone_digits=search.phone_digits(phone),
                        sort_key=search.sort_key(family, given, middle, born),
                    )
                )
            Patient.objects.bulk_create(rows, batch_size=2000)
            tokens = []
            grown = Patient.objects.filter(organisation=org, email__startswith=MARKER)
            for p in grown.iterator(chunk_size=5000):
                for t in search.tokens_for(
                    family_name=p.family_name,
                    given_name=p.given_name,
                    middle_name=p.middle_name,
                    phone=p.phone,
                    email=p.email,
                ):
                    tokens.append(
                        PatientSearchToken(
                            organisation_id=org.pk, patient_id=p.pk, token=t, sort_key=p.sort_key
                        )
                    )
                if len(tokens) > 20000:
                    PatientSearchToken.objects.bulk_create(tokens, batch_size=5000)
                    tokens = []
            PatientSearchToken.objects.bulk_create(tokens, batch_size=5000)
        patient_ids = list(grown.values_list("pk", flat=True))
        print(f"grew {patients:,} patients, {lots:,} lots in {time.perf_counter() - t0:.0f} s")
        t1 = time.perf_counter()
        columns = (
            "organisation_id, clinic_id, lot_id, kind, quantity_ul, reason, occurred_at, "
            "patient_id, practitioner_id, zone_id, recorded_by_id, recorded_at"
        )
        zones = ["zone.cheeks", "zone.forehead", "zone.neck", "zone.scalp"]
        start = dt.datetime(2024, 1, 1, 9, 0, tzinfo=dt.UTC)
        now = dt.datetime.now(dt.UTC)

        def ledger(count: int, lot_choice):
            for _ in range(count):
                yield (
                    org.pk,
                    clinic.pk,
                    lot_choice(),
                    "use",
                    -rng.choice((200, 500, 1000)),
                    "",
                    start + dt.timedelta(minutes=rng.randrange(0, 2 * 365 * 24 * 60)),
                    rng.choice(patient_ids),
                    owner.pk,
                    rng.choice(zones),
                    owner.pk,
                    now,
                )

        def all_rows():
            yield from ledger(lot_uses, lambda: lot_ids[0])
            yield from ledger(max(0, uses - lot_uses), lambda: rng.choice(lot_ids[1:]))

        with transaction.atomic(), connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                raw = cursor.cursor
                with raw.copy(f"COPY inventory_stockmovement ({columns}) FROM STDIN") as copy:
                    for row in all_rows():
                        copy.write_row(row)
            else:
                values = ", ".join(["%s"] * 12)
                sql = f"INSERT INTO inventory_stockmovement ({columns}) VALUES ({values})"  # noqa: S608
                batch = []
                for row in all_rows():
                    batch.append(row)
                    if len(batch) == 50_000:
                        cursor.executemany(sql, batch)
                        batch = []
                cursor.executemany(sql, batch)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        print(f"grew {uses:,} administrations in {time.perf_counter() - t1:.0f} s", flush=True)
    big_lot = Lot.objects.filter(organisation=org, lot_number__startswith="BH").order_by("pk")[0]
    return {
        "org": org,
        "owner": owner,
        "lot": big_lot,
        "uses": StockMovement.objects.filter(lot=big_lot).count(),
        "patients": Patient.objects.filter(organisation=org).count(),
    }


def session_cookie(user) -> str:
    """A signed-in session for `user`, stored where the server reads it."""
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


def key_pages(data: dict) -> list[tuple[str, str]]:
    from mesoclinic.patients.models import Patient

    org = data["org"]
    today = dt.date.today()
    # A demo patient: the one with the most history (plans, consultations, sessions).
    patient = (
        Patient.objects.filter(organisation=org)
        .exclude(email__startswith=MARKER)
        .order_by("pk")
        .first()
    )
    first = today.isoformat()
    last = (today + dt.timedelta(days=6)).isoformat()
    return [
        ("/healthz", "/healthz"),
        ("search 'a'", "/patients/?q=a"),
        ("search 'ива'", "/patients/?q=%D0%B8%D0%B2%D0%B0"),
        ("search e-mail prefix", f"/patients/?q={MARKER}12"),
        ("patient record", f"/patients/{patient.pk}/"),
        ("timeline", f"/consultations/patient/{patient.pk}/timeline/"),
        ("calendar day", f"/schedule/?date={first}"),
        ("calendar week", f"/schedule/?date={first}&view=week"),
        ("sessions day", f"/sessions/?date={first}"),
        (f"lot page ({data['uses']:,} uses)", f"/inventory/lots/{data['lot'].pk}/"),
        ("recall page", f"/inventory/lots/{data['lot'].pk}/recall/"),
        ("lot list", "/inventory/lots/"),
        ("audit trail", "/audit/"),
        ("API appointments 7 days", f"/api/v1/appointments?first_day={first}&last_day={last}"),
    ]


def wrk(url: str, *, connections: int, seconds: int, cookie: str, script: str) -> dict:
    threads = min(connections, 2)
    out = subprocess.run(
        [
            "wrk",
            f"-t{threads}",
            f"-c{connections}",
            f"-d{seconds}s",
            "--timeout",
            "10s",
            "-s",
            script,
            "-H",
            f"Cookie: sessionid={cookie}",
            url,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    found = re.search(
        r"RESULT p50=(\d+) p95=(\d+) p99=(\d+) max=(\d+) n=(\d+) secs=([\d.]+) errors=(\d+)", out
    )
    if found is None:
        raise SystemExit(f"wrk said:\n{out}")
    p50, p95, p99, peak, n, secs, errors = found.groups()
    return {
        "p50": int(p50) / 1000,
        "p95": int(p95) / 1000,
        "p99": int(p99) / 1000,
        "max": int(peak) / 1000,
        "rps": int(n) / float(secs),
        "errors": int(errors),
    }


def serve(port: int) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "mesoclinic",
            "serve",
            "--bind",
            f"127.0.0.1:{port}",
            "--no-migrate",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    for _ in range(600):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
                return proc
        except OSError:
            time.sleep(0.5)
    proc.terminate()
    raise SystemExit("the server did not answer /healthz")


def check_status(url: str, cookie: str) -> int:
    request = urllib.request.Request(url, headers={"Cookie": f"sessionid={cookie}"})  # noqa: S310
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
        return response.status


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="× 100k patients, 1M uses")
    parser.add_argument("--lot-uses", type=int, default=2000)
    parser.add_argument("--seconds", type=int, default=10, help="per page and concurrency")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--seed", type=int, default=16)
    args = parser.parse_args()
    if subprocess.run(["which", "wrk"], capture_output=True).returncode != 0:
        raise SystemExit("wrk is missing: apt-get install -y wrk")

    from bench_recall import ensure_postgres_database

    ensure_postgres_database()
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    patients = int(100_000 * args.scale)
    uses = max(args.lot_uses, int(1_000_000 * args.scale))
    data = grow(
        patients=patients,
        uses=uses,
        lots=max(10, int(1000 * args.scale)),
        lot_uses=args.lot_uses,
        seed=args.seed,
    )
    cookie = session_cookie(data["owner"])
    pages = key_pages(data)
    vendor = connection.vendor
    connection.close()

    load_before = os.getloadavg()
    proc = serve(args.port)
    base = f"http://127.0.0.1:{args.port}"
    results = {}
    try:
        with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as lua:
            lua.write(LUA)
        for name, path in pages:
            status = check_status(base + path, cookie)
            if status != 200:
                raise SystemExit(f"{name}: HTTP {status}")
            # One warm-up second, then the two measurements.
            wrk(base + path, connections=1, seconds=1, cookie=cookie, script=lua.name)
            one = wrk(
                base + path, connections=1, seconds=args.seconds, cookie=cookie, script=lua.name
            )
            eight = wrk(
                base + path, connections=8, seconds=args.seconds, cookie=cookie, script=lua.name
            )
            results[name] = (one, eight)
            print(
                f"{name:<28} p50 {one['p50']:7.1f} ms  p95 {one['p95']:7.1f}  "
                f"p99 {one['p99']:7.1f}  max {one['max']:7.1f}  c=8 {eight['rps']:6.1f} req/s",
                flush=True,
            )
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
    load_after = os.getloadavg()

    health = results["/healthz"][0]["p95"]
    print()
    print(
        f"{vendor}, {data['patients']:,} patients, {uses:,} administrations "
        f"(scale {args.scale}); gunicorn 2 workers × 4 threads; wrk {args.seconds} s per run"
    )
    print(
        f"load average before {load_before[0]:.2f} {load_before[1]:.2f} {load_before[2]:.2f}, "
        f"after {load_after[0]:.2f} {load_after[1]:.2f} {load_after[2]:.2f} (2 cores)"
    )
    print()
    print("| page | p50 ms | p95 ms | p99 ms | max ms | p95 ÷ healthz | req/s at c=8 |")
    print("|---|---|---|---|---|---|---|")
    for name, (one, eight) in results.items():
        print(
            f"| {name} | {one['p50']:.1f} | {one['p95']:.1f} | {one['p99']:.1f} | "
            f"{one['max']:.1f} | {one['p95'] / health:.1f} | {eight['rps']:.0f} |"
        )


if __name__ == "__main__":
    main()
