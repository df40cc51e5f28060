"""Benchmark: save and sign a 10-zone session through the real views (server side).

Builds (untimed) for every round a new patient with an active, consented face
course, today's appointment and its check-in; then times, through Django's test
client (full middleware stack, real database, no network):

- saving the 10-zone chart (POST /sessions/<id>/chart/: validation, 2 engine
  screenings, entries written),
- signing it (POST /sessions/<id>/sign/: re-screening, 10 stock uses with their
  ledger lines and audit events, appointment done),

and, in the same run, the baseline of an empty request (GET /healthz) through the
same client. Prints medians and 90th percentiles.

    .venv/bin/python bench/bench_session_sign.py                    # SQLite, var/bench/
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_session \\
        .venv/bin/python bench/bench_session_sign.py                # PostgreSQL (created)
    options: [--rounds 30]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))
os.environ.setdefault("SECRET_KEY", "bench-only-not-secret-" + "k" * 40)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mesoclinic.settings")
os.environ.setdefault("EMAIL_BACKEND", "django.core.mail.backends.locmem.EmailBackend")
if not os.environ.get("DATABASE_URL"):
    (ROOT / "var" / "bench").mkdir(parents=True, exist_ok=True)
    os.environ["DATABASE_URL"] = f"sqlite:///{ROOT / 'var' / 'bench' / 'session.sqlite3'}"

ZONES = [
    "zone.forehead",
    "zone.glabella",
    "zone.periorbital",
    "zone.temples",
    "zone.cheeks",
    "zone.nasolabial",
    "zone.perioral",
    "zone.jawline",
    "zone.neck",
    "zone.decollete",
]
FIELDS = (
    "zone_id",
    "technique_id",
    "depth_mm",
    "needle_gauge",
    "needle_length_mm",
    "points",
    "spacing_mm",
    "lot_id",
    "volume_ml",
    "device_id",
    "device_params",
)


def ensure_postgres_database() -> None:
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


def world():
    """An organisation, a clinic, a credentialed practitioner and a well-stocked lot."""
    from decimal import Decimal

    from django.utils import timezone

    from mesoclinic.accounts.models import Role
    from mesoclinic.accounts.scope import scope_for
    from mesoclinic.accounts.services import clinic_create, organisation_create, user_create
    from mesoclinic.inventory.services import lot_receive, product_create
    from mesoclinic.scheduling.services import credential_grant

    tag = uuid.uuid4().hex[:8]
    org = organisation_create(name=f"bench-session-{tag}")
    hours = {d: (dt.time(0, 0), dt.time(23, 59)) for d in range(7)}
    clinic = clinic_create(organisation=org, name="Main", time_zone="Europe/Moscow", hours=hours)
    users = {
        role: user_create(
            organisation=org,
            username=f"{role.value}-{tag}",
            email=f"{role.value}-{tag}@example.test",
            password="bench-password-42",
            display_name=role.label,
            memberships=[(clinic, role)],
        )
        for role in (Role.OWNER, Role.PRACTITIONER, Role.NURSE, Role.RECEPTIONIST)
    }
    scope = {r: scope_for(u, clinic_id=clinic.pk) for r, u in users.items()}
    credential_grant(
        scope=scope[Role.OWNER],
        practitioner=users[Role.PRACTITIONER],
        technique_id="technique.nappage",
    )
    now = timezone.now()
    today = now.astimezone(clinic.zone).date()
    product = product_create(
        scope=scope[Role.NURSE],
        name="Revitalising cocktail",
        presentation="ampoule",
        volume_ml=Decimal("5"),
        regulatory_status="medical_device",
        kb_product_id="product.revitalising-cocktail",
    )
    lot = lot_receive(
        scope=scope[Role.NURSE],
        product=product,
        lot_number="BENCH-1",
        expiry_date=today + dt.timedelta(days=365),
        received_on=today,
        quantity_ml="9000",
        now=now,
    )
    return {"org": org, "clinic": clinic, "users": users, "scope": scope, "lot": lot}


def checked_in_session(w, index: int):
    """A new patient with an active course, today's appointment and a clean check-in."""
    from django.utils import timezone

    from mesoclinic.accounts.models import Role
    from mesoclinic.charting.screening import Answer, visit_questions
    from mesoclinic.charting.services import session_checkin
    from mesoclinic.consultations.engine import kb
    from mesoclinic.consultations.services import consent_sign, plan_activate, plan_create
    from mesoclinic.patients.services import patient_create
    from mesoclinic.scheduling.models import Appointment
    from tests.scheduling.conftest import signature_data_url

    clinic, scope = w["clinic"], w["scope"]
    now = timezone.now()
    today = now.astimezone(clinic.zone).date()
    patient = patient_create(
        scope=scope[Role.RECEPTIONIST],
        family_name=f"Bench{index}",
        given_name="Patient",
        birth_date=dt.date(1960, 1, 1) + dt.timedelta(days=index),
        today=today,
    )
    doctor = scope[Role.PRACTITIONER]
    plan = plan_create(
        scope=doctor,
        patient=patient,
        now=now,
        today=today,
        zones=ZONES,
        technique_ids=["technique.nappage"],
        products=[("product.revitalising-cocktail", "15")],
        sessions=6,
        interval_min_days=7,
        interval_max_days=10,
        preferred_interval_days=7,
        target_start=today,
        protocol_id="protocol.face-rejuvenation",
    )
    consent_sign(
        scope=doctor,
        plan=plan,
        signer_name="Bench Patient",
        signature=signature_data_url(),
        now=now,
        today=today,
    )
    plan = plan_activate(scope=doctor, plan=plan, now=now, today=today)
    start = dt.datetime.combine(today, dt.time(0, 0), tzinfo=clinic.zone) + dt.timedelta(
        minutes=index
    )
    appointment = Appointment.objects.create(
        organisation=w["org"],
        clinic=clinic,
        patient=patient,
        practitioner=w["users"][Role.PRACTITIONER],
        starts_at=start,
        ends_at=start + dt.timedelta(seconds=50),
        technique_id="technique.nappage",
        plan_id=plan.pk,
        session_number=1,
        created_by=w["users"][Role.RECEPTIONIST],
    )
    answers = {
        q.id: Answer(yes=False) for q in visit_questions(kb=kb(), product_ids=plan.product_ids)
    }
    return session_checkin(
        scope=scope[Role.NURSE], appointment=appointment, answers=answers, now=now
    )


def chart_data(session, lot) -> dict:
    rows = [
        {
            "zone_id": zone,
            "technique_id": "technique.nappage",
            "depth_mm": "1.5",
            "needle_gauge": "32",
            "needle_length_mm": "4",
            "points": "30",
            "spacing_mm": "5",
            "lot_id": str(lot.pk),
            "volume_ml": "1.5",
        }
        for zone in ZONES
    ]
    data = {"version": str(session.version), "save_token": uuid.uuid4().hex}
    for name in FIELDS:
        data[name] = [r.get(name, "") for r in rows]
    return data


def timed(call) -> tuple[float, float]:
    """Wall-clock and CPU time of this process (SQLite runs inside it), in ms."""
    start, cpu = time.perf_counter(), time.process_time()
    call()
    return (time.perf_counter() - start) * 1000, (time.process_time() - cpu) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()
    ensure_postgres_database()
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.test import Client

    from mesoclinic.accounts.models import Role
    from mesoclinic.charting.models import TreatmentSession

    settings.ALLOWED_HOSTS = ["*"]
    call_command("migrate", verbosity=0)
    w = world()
    client = Client()
    client.force_login(w["users"][Role.PRACTITIONER])
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    baseline, save, sign = [], [], []
    queries: dict[str, int] = {}
    for i in range(args.rounds + 3):  # two warm-up rounds and one counting queries
        session = checked_in_session(w, i)
        data = chart_data(session, w["lot"])

        def get_healthz():
            assert client.get("/healthz", secure=True).status_code == 200

        def post_chart(session=session, data=data):
            # Urlencoded, as the chart form posts it (it has no file fields).
            response = client.post(
                f"/sessions/{session.pk}/chart/",
                urlencode(data, doseq=True),
                content_type="application/x-www-form-urlencoded",
                secure=True,
            )
            assert response.status_code == 302, response.content[:2000]

        def post_sign(session=session):
            response = client.post(f"/sessions/{session.pk}/sign/", secure=True)
            assert response.status_code == 302

        if i == 2:
            for name, call in (("healthz", get_healthz), ("save", post_chart), ("sign", post_sign)):
                with CaptureQueriesContext(connection) as ctx:
                    call()
                queries[name] = len(ctx.captured_queries)
            continue
        b = timed(get_healthz)
        s = timed(post_chart)
        g = timed(post_sign)
        assert TreatmentSession.objects.get(pk=session.pk).status == "signed"
        if i >= 2:
            baseline.append(b)
            save.append(s)
            sign.append(g)

    def column(values, k):
        return [v[k] for v in values]

    def line(name, values, k):
        values = column(values, k)
        q = statistics.quantiles(values, n=10)[-1] if len(values) >= 10 else max(values)
        return f"{name:<40} median {statistics.median(values):8.1f} ms   p90 {q:8.1f} ms"

    both = [(a[0] + b[0], a[1] + b[1]) for a, b in zip(save, sign, strict=True)]
    vendor = django.db.connection.vendor
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"Session save and sign, 10 zones, {args.rounds} rounds, {vendor}; load average {load}")
    print(
        f"queries: empty request {queries['healthz']}, save {queries['save']}, "
        f"sign {queries['sign']}"
    )
    for k, kind in ((0, "wall clock"), (1, "CPU of this process")):
        print(f"-- {kind}")
        print(line("baseline: empty request (GET /healthz)", baseline, k))
        print(line("save the 10-zone chart", save, k))
        print(line("sign it (10 stock uses)", sign, k))
        print(line("save + sign", both, k))
        empty = statistics.median(column(baseline, k))
        print(
            f"{'ratio to the empty request (medians)':<40} save "
            f"{statistics.median(column(save, k)) / empty:.1f}x, sign "
            f"{statistics.median(column(sign, k)) / empty:.1f}x, save + sign "
            f"{statistics.median(column(both, k)) / empty:.1f}x"
        )


if __name__ == "__main__":
    main()
