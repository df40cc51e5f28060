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
import functools
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


def _write_rows(cursor, table: str, columns: tuple[str, ...], rows) -> int:
    """Write rows fast: COPY on PostgreSQL, executemany in 50,000-row batches on SQLite."""
    from django.db import connection

    names = ", ".join(columns)
    n = 0
    if connection.vendor == "postgresql":
        with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
                n += 1
        return n
    values = ", ".join(["%s"] * len(columns))
    sql = f"INSERT INTO {table} ({names}) VALUES ({values})"  # noqa: S608
    batch = []
    for row in rows:
        batch.append(row)
        n += 1
        if len(batch) == 50_000:
            cursor.executemany(sql, batch)
            batch = []
    if batch:
        cursor.executemany(sql, batch)
    return n


class Phases:
    """Prints how long each step of the build took, and the total."""

    def __init__(self) -> None:
        self.start = self.last = time.perf_counter()

    def done(self, what: str) -> None:
        now = time.perf_counter()
        print(f"  {what}: {now - self.last:.0f} s", flush=True)
        self.last = now

    @property
    def total(self) -> float:
        return time.perf_counter() - self.start


def wanted_counts(*, patients: int, uses: int, lots: int) -> dict:
    return {"patients": patients, "uses": uses, "lots": lots}


def present_counts(org) -> dict:
    from mesoclinic.inventory.models import Lot, StockMovement
    from mesoclinic.patients.models import Patient

    return {
        "patients": Patient.objects.filter(organisation=org, email__startswith=MARKER).count(),
        "uses": StockMovement.objects.filter(organisation=org, lot__lot_number__startswith="BH")
        .filter(kind="use")
        .count(),
        "lots": Lot.objects.filter(organisation=org, lot_number__startswith="BH").count(),
    }


def grow(
    *,
    patients: int,
    uses: int,
    lots: int,
    lot_uses: int,
    audit_events: int,
    days_back: int,
    seed: int,
) -> dict:
    """Grow the demo organisation to the data set (or find it already grown)."""
    from django.db import connection, transaction

    from mesoclinic.accounts.models import Organisation, User
    from mesoclinic.audit.models import AuditEvent
    from mesoclinic.charting.models import TreatmentSession
    from mesoclinic.demo import DEMO_ORGANISATION, demo_load
    from mesoclinic.inventory.models import Lot, StockMovement
    from mesoclinic.patients.models import Patient
    from mesoclinic.scheduling.models import Appointment

    demo_load()
    org = Organisation.objects.get(name=DEMO_ORGANISATION)
    owner = User.objects.get(organisation=org, username="owner")
    want = wanted_counts(patients=patients, uses=uses, lots=lots)
    have = present_counts(org)
    if have == want:
        print("data set already present: reused", flush=True)
    elif any(have.values()):
        raise SystemExit(
            f"the database holds another bench data set ({have}): run without --reuse to rebuild"
        )
    else:
        rng = random.Random(seed)
        phases = Phases()
        with transaction.atomic():
            lot_ids = _grow_lots(org=org, lots=lots)
            patient_ids = _grow_patients(org=org, patients=patients, rng=rng)
        phases.done(f"{patients:,} patients with their search keys, {lots:,} lots")
        with transaction.atomic(), connection.cursor() as cursor:
            _grow_ledger(
                cursor,
                org=org,
                owner=owner,
                lot_ids=lot_ids,
                patient_ids=patient_ids,
                uses=uses,
                lot_uses=lot_uses,
                rng=rng,
            )
        phases.done(f"{uses:,} administrations")
        with transaction.atomic():
            days = _grow_clinic_days(
                org=org, owner=owner, lot_ids=lot_ids, patient_ids=patient_ids, days_back=days_back
            )
        phases.done(f"{days['appointments']:,} appointments, {days['sessions']:,} sessions")
        with transaction.atomic(), connection.cursor() as cursor:
            _grow_audit(cursor, org=org, patient_ids=patient_ids, events=audit_events, rng=rng)
        phases.done(f"{audit_events:,} audit events")
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
        phases.done("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
        print(f"built the data set in {phases.total:.0f} s ({phases.total / 60:.1f} min)")
    big_lot = Lot.objects.filter(organisation=org, lot_number__startswith="BH").order_by("pk")[0]
    return {
        "org": org,
        "owner": owner,
        "lot": big_lot,
        "uses": StockMovement.objects.filter(lot=big_lot).count(),
        "patients": Patient.objects.filter(organisation=org).count(),
        "administrations": StockMovement.objects.filter(organisation=org, kind="use").count(),
        "appointments": Appointment.objects.filter(organisation=org).count(),
        "sessions": TreatmentSession.objects.filter(organisation=org).count(),
        "audit_events": AuditEvent.objects.filter(organisation=org).count(),
    }


def _grow_lots(*, org, lots: int) -> list[int]:
    from mesoclinic.accounts.models import Clinic
    from mesoclinic.inventory.models import Lot, Product, StockBalance

    clinic = Clinic.objects.filter(organisation=org).order_by("pk").first()
    product = Product.objects.filter(organisation=org).order_by("pk").first()
    Lot.objects.bulk_create(
        (
            Lot(
                organisation=org,
                clinic=clinic,
                product=product,
                lot_number=f"BH{n:06d}",
                expiry_date=dt.date(2030, 1, 1) + dt.timedelta(days=n % 700),
                received_on=dt.date(2024, 1, 1),
                received_quantity_ul=10**8,
            )
            for n in range(lots)
        ),
        batch_size=5000,
    )
    lot_ids = list(
        Lot.objects.filter(organisation=org, lot_number__startswith="BH")
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    StockBalance.objects.bulk_create(
        (
            StockBalance(organisation=org, clinic=clinic, lot_id=pk, quantity_ul=10**7)
            for pk in lot_ids
        ),
        batch_size=5000,
    )
    return lot_ids


def _grow_patients(*, org, patients: int, rng: random.Random) -> list[int]:
    """Patients (bulk insert), then their search tokens written straight to the table."""
    from bench_patient_search import FAMILY_EN, FAMILY_RU, GIVEN_EN, GIVEN_RU_F, MIDDLE_RU_F
    from django.db import connection

    from mesoclinic.accounts.models import Clinic
    from mesoclinic.patients import search
    from mesoclinic.patients.models import Patient

    clinic = Clinic.objects.filter(organisation=org).order_by("pk").first()
    # Names come from short lists: fold each combination once (the folding is most of
    # the build's Python time at full scale).
    name_key = functools.cache(search.name_key)
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
                preferred_language="ru" if i % 2 else "en",
                name_key=name_key(family, given),
                phone_digits=search.phone_digits(phone),
                sort_key=search.sort_key(family, given, middle, born),
            )
        )
    Patient.objects.bulk_create(rows, batch_size=5000)
    grown = (
        Patient.objects.filter(organisation=org, email__startswith=MARKER)
        .order_by("pk")
        .values_list("pk", "family_name", "given_name", "middle_name", "phone", "email", "sort_key")
    )
    patient_ids = []

    @functools.cache
    def name_tokens(family: str, given: str, middle: str) -> frozenset[str]:
        return frozenset(
            search.tokens_for(
                family_name=family, given_name=given, middle_name=middle, phone="", email=""
            )
        )

    # Read before the COPY starts: its connection can run nothing else meanwhile.
    grown = list(grown)

    def tokens():
        # The same tokens as search.tokens_for, whose parts (name, phone, e-mail) are a union.
        for pk, family, given, middle, phone, email, key in grown:
            patient_ids.append(pk)
            mine = name_tokens(family, given, middle) | search.tokens_for(
                family_name="", given_name="", middle_name="", phone=phone, email=email
            )
            for token in mine:
                yield (org.pk, pk, token, key)

    with connection.cursor() as cursor:
        _write_rows(
            cursor,
            "patients_patientsearchtoken",
            ("organisation_id", "patient_id", "token", "sort_key"),
            tokens(),
        )
    return patient_ids


def _grow_ledger(cursor, *, org, owner, lot_ids, patient_ids, uses, lot_uses, rng) -> None:
    """Administrations: USE lines of the stock ledger, one lot with `lot_uses` of them."""
    from django.db import connection

    from mesoclinic.accounts.models import Clinic

    clinic = Clinic.objects.filter(organisation=org).order_by("pk").first()
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

    def rows():
        yield from ledger(lot_uses, lambda: lot_ids[0])
        yield from ledger(max(0, uses - lot_uses), lambda: rng.choice(lot_ids[1:]))

    if connection.vendor == "postgresql":
        # Generated by the database itself (its random() seeded from ours): no million
        # rows built in Python and sent over.
        cursor.execute("SELECT setseed(%s)", [rng.random() * 2 - 1])
        cursor.execute(
            """
            INSERT INTO inventory_stockmovement (organisation_id, clinic_id, lot_id, kind,
                quantity_ul, reason, occurred_at, patient_id, practitioner_id, zone_id,
                recorded_by_id, recorded_at)
            SELECT %(org)s, %(clinic)s,
                CASE WHEN g <= %(lot_uses)s THEN %(first_lot)s
                     ELSE (%(lots)s::bigint[])[2 + floor(random() * %(other_lots)s)::int] END,
                'use', -(ARRAY[200, 500, 1000])[1 + floor(random() * 3)::int], '',
                %(start)s::timestamptz + floor(random() * %(minutes)s) * interval '1 minute',
                (%(patients)s::bigint[])[1 + floor(random() * %(n_patients)s)::int],
                %(owner)s, (%(zones)s::text[])[1 + floor(random() * 4)::int], %(owner)s, %(now)s
            FROM generate_series(1, %(n)s) AS g
            """,
            {
                "org": org.pk,
                "clinic": clinic.pk,
                "lot_uses": lot_uses,
                "first_lot": lot_ids[0],
                "lots": lot_ids,
                "other_lots": len(lot_ids) - 1,
                "start": start,
                "minutes": 2 * 365 * 24 * 60,
                "patients": patient_ids,
                "n_patients": len(patient_ids),
                "owner": owner.pk,
                "zones": zones,
                "now": now,
                "n": max(uses, lot_uses),
            },
        )
        return
    columns = [
        "organisation_id",
        "clinic_id",
        "lot_id",
        "kind",
        "quantity_ul",
        "reason",
        "occurred_at",
        "patient_id",
        "practitioner_id",
        "zone_id",
        "recorded_by_id",
        "recorded_at",
    ]
    _write_rows(cursor, "inventory_stockmovement", tuple(columns), rows())


# The Moscow clinic's working days: six practitioners (the demo's Anna and five more),
# each with five 45-minute appointments a day: 30 a day, as in the calendar day.
SLOTS = (dt.time(9), dt.time(10, 15), dt.time(11, 30), dt.time(14), dt.time(15, 15))
BENCH_PRACTITIONERS = 5
KEY_PATIENT_SESSIONS = 20


def _grow_clinic_days(*, org, owner, lot_ids, patient_ids, days_back: int) -> dict:
    """Appointments from `days_back` days ago to 60 days ahead; a signed session with three
    chart entries for every past one (copied from a demo session signed through the
    services); today: signed, checked-in and booked ones; the demo patient of the key pages
    gets 20 signed sessions."""
    from django.db.models import F
    from django.utils import timezone

    from mesoclinic.accounts.models import Clinic, Membership, Role, User
    from mesoclinic.charting.models import ChartEntry, SessionStatus, TreatmentSession
    from mesoclinic.inventory.models import Lot
    from mesoclinic.scheduling.models import (
        ACTIVE_STATUSES,
        Appointment,
        AppointmentStatus,
        Credential,
        WorkingHours,
    )

    moscow = Clinic.objects.get(organisation=org, time_zone="Europe/Moscow")
    anna = User.objects.get(organisation=org, username="anna")
    staff = [anna]
    for n in range(1, BENCH_PRACTITIONERS + 1):
        user = User.objects.create(
            organisation=org,
            username=f"bench-practitioner-{n}",
            email=f"bench-practitioner-{n}@example.org",
            display_name=f"Bench Practitioner {n}",
            language="ru",
        )
        Membership.objects.create(
            organisation=org, user=user, clinic=moscow, role=Role.PRACTITIONER
        )
        Credential.objects.create(
            organisation=org, practitioner=user, technique_id="technique.nappage"
        )
        for hours in moscow.opening_hours.all():
            WorkingHours.objects.create(
                organisation=org,
                clinic=moscow,
                practitioner=user,
                weekday=hours.weekday,
                starts=hours.opens,
                ends=hours.closes,
            )
        staff.append(user)
    template = (
        TreatmentSession.objects.filter(organisation=org, status=SessionStatus.SIGNED)
        .order_by("pk")
        .first()
    )
    if template is None:
        raise SystemExit("the demo has no signed session to copy")
    screened = _checked_in_demo_session(org=org, clinic=moscow)
    if screened is not None:
        # A real check-in's screening (the demo's signed sessions carry none).
        for field in ("checkin_answers", "screening_request", "screening_result"):
            setattr(template, field, getattr(screened, field))
        template.screening_level = screened.screening_level
    key_patient = key_patient_of(org)
    taken = [
        (a.practitioner_id, a.starts_at, a.ends_at)
        for a in Appointment.objects.filter(organisation=org, status__in=ACTIVE_STATUSES)
    ]
    workdays = {h.weekday for h in moscow.opening_hours.all()}
    today = timezone.localdate(timezone=moscow.zone)
    key_days = {today - dt.timedelta(days=14 * k) for k in range(1, KEY_PATIENT_SESSIONS + 1)}
    appointments = []
    counter = 0
    day = today - dt.timedelta(days=days_back)
    while day <= today + dt.timedelta(days=60):
        if day.weekday() in workdays:
            key_day = day in key_days or (day - dt.timedelta(days=1)) in key_days
            for s, at in enumerate(SLOTS):
                starts = dt.datetime.combine(day, at, tzinfo=moscow.zone)
                ends = starts + dt.timedelta(minutes=45)
                for p, practitioner in enumerate(staff):
                    if any(
                        who == practitioner.pk and a < ends and starts < b for who, a, b in taken
                    ):
                        continue
                    if key_day and s == 0 and p == 0:
                        key_days.discard(day)
                        key_days.discard(day - dt.timedelta(days=1))
                        patient_id = key_patient.pk
                    else:
                        patient_id = patient_ids[counter % len(patient_ids)]
                        counter += 1
                    if day < today or (day == today and s < 2):
                        status = AppointmentStatus.DONE
                    elif day == today and s < 4:
                        status = AppointmentStatus.ARRIVED
                    else:
                        status = AppointmentStatus.BOOKED
                    appointments.append(
                        Appointment(
                            organisation=org,
                            clinic=moscow,
                            patient_id=patient_id,
                            practitioner=practitioner,
                            starts_at=starts,
                            ends_at=ends,
                            status=status,
                            technique_id="technique.nappage",
                            created_by=owner,
                        )
                    )
        day += dt.timedelta(days=1)
    Appointment.objects.bulk_create(appointments, batch_size=5000)
    appointments = list(
        Appointment.objects.filter(
            organisation=org,
            practitioner__in=staff,
            status__in=(AppointmentStatus.DONE, AppointmentStatus.ARRIVED),
        )
        .exclude(treatment_session__isnull=False)
        .order_by("starts_at", "pk")
    )
    lots = list(Lot.objects.filter(pk__in=lot_ids[:50]).select_related("product"))
    copied = {
        f.attname: getattr(template, f.attname)
        for f in TreatmentSession._meta.concrete_fields
        if f.attname
        not in {
            "id",
            "clinic_id",
            "patient_id",
            "practitioner_id",
            "appointment_id",
            "plan_id",
            "session_number",
            "session_date",
            "status",
            "screened_at",
            "screened_by_id",
            "signed_at",
            "signed_by_id",
            "signed_knowledge_version",
            "appointment_status",
            "appointment_starts_at",
            "created_at",
            "version",
            "last_save_token",
        }
    }
    sessions = []
    for appointment in appointments:
        local_day = timezone.localtime(appointment.starts_at, moscow.zone).date()
        sessions.append(
            TreatmentSession(
                **copied,
                clinic=moscow,
                patient_id=appointment.patient_id,
                practitioner_id=appointment.practitioner_id,
                appointment=appointment,
                session_date=local_day,
                # Done ones are charted first, then signed below: the database refuses
                # chart entries of a signed session.
                status=SessionStatus.CHARTING
                if appointment.status == AppointmentStatus.DONE
                else SessionStatus.CHECKED_IN,
                screened_at=appointment.starts_at,
                screened_by_id=appointment.practitioner_id,
                created_at=appointment.starts_at,
            )
        )
    TreatmentSession.objects.bulk_create(sessions, batch_size=2000)
    charted = TreatmentSession.objects.filter(
        organisation=org, status=SessionStatus.CHARTING, practitioner__in=staff
    )
    entries = []
    for n, session_id in enumerate(
        charted.order_by("pk").values_list("pk", flat=True).iterator(chunk_size=10_000)
    ):
        for position, zone in enumerate(("zone.forehead", "zone.cheeks", "zone.neck")):
            lot = lots[(n + position) % len(lots)]
            entries.append(
                ChartEntry(
                    organisation=org,
                    session_id=session_id,
                    position=position,
                    zone_id=zone,
                    technique_id="technique.nappage",
                    depth_mm="1.0",
                    needle_gauge=32,
                    points=40,
                    product_id=lot.product_id,
                    lot=lot,
                    volume_ml="1.000",
                    product_name=lot.product.name,
                    lot_number=lot.lot_number,
                    lot_expiry=lot.expiry_date,
                )
            )
        if len(entries) >= 30_000:
            ChartEntry.objects.bulk_create(entries, batch_size=5000)
            entries = []
    ChartEntry.objects.bulk_create(entries, batch_size=5000)
    charted.update(
        status=SessionStatus.SIGNED,
        signed_at=F("screened_at") + dt.timedelta(minutes=45),
        signed_by=F("practitioner"),
        signed_knowledge_version=template.knowledge_version,
        appointment_status=AppointmentStatus.DONE,
        appointment_starts_at=F("screened_at"),
    )
    return {
        "appointments": Appointment.objects.filter(organisation=org).count(),
        "sessions": len(sessions),
    }


def _checked_in_demo_session(*, org, clinic):
    """Check in today's appointment of the demo course through the services, or None."""
    from django.utils import timezone

    from mesoclinic.accounts.models import User
    from mesoclinic.accounts.scope import scope_for
    from mesoclinic.charting.screening import Answer, visit_questions
    from mesoclinic.charting.services import session_checkin
    from mesoclinic.consultations.engine import kb as knowledge
    from mesoclinic.consultations.models import TreatmentPlan
    from mesoclinic.scheduling.models import Appointment

    today = timezone.localdate(timezone=clinic.zone)
    appointment = (
        Appointment.objects.filter(organisation=org, clinic=clinic, plan_id__isnull=False)
        .order_by("starts_at")
        .first()
    )
    if appointment is None or timezone.localdate(appointment.starts_at, clinic.zone) != today:
        return None
    plan = TreatmentPlan.objects.get(pk=appointment.plan_id)
    questions = visit_questions(kb=knowledge(), product_ids=plan.product_doses)
    nurse = User.objects.get(organisation=org, username="nina")
    return session_checkin(
        scope=scope_for(nurse, clinic_id=clinic.pk),
        appointment=appointment,
        answers={q.id: Answer(yes=False) for q in questions},
        now=appointment.starts_at,
    )


def _grow_audit(cursor, *, org, patient_ids, events: int, rng) -> None:
    """The audit trail of two years of work: patient records read, in time order."""
    from django.db import connection

    from mesoclinic.accounts.models import User

    staff = list(User.objects.filter(organisation=org).values_list("pk", "display_name"))
    start = dt.datetime.now(dt.UTC) - dt.timedelta(days=730)
    minutes = 730 * 24 * 60

    if connection.vendor == "postgresql":
        cursor.execute("SELECT setseed(%s)", [rng.random() * 2 - 1])
        cursor.execute(
            """
            INSERT INTO audit_auditevent (organisation_id, at, actor_id, actor_label, action,
                object_type, object_id, object_label, patient_id, ip_address, user_agent, path,
                detail)
            SELECT %(org)s, %(start)s::timestamptz + (g * %(step)s) * interval '1 second',
                (%(staff)s::bigint[])[s], (%(labels)s::text[])[s], 'read', 'patients.patient',
                p::text, '', p, '127.0.0.1', 'bench', '/patients/' || p || '/', '{}'::jsonb
            FROM (
                SELECT g,
                    (%(patients)s::bigint[])[1 + floor(random() * %(n_patients)s)::int] AS p,
                    1 + floor(random() * %(n_staff)s)::int AS s
                FROM generate_series(1, %(n)s) AS g
            ) AS e
            """,
            {
                "org": org.pk,
                "start": start,
                "step": minutes * 60 / max(1, events),
                "staff": [pk for pk, _ in staff],
                "labels": [label for _, label in staff],
                "n_staff": len(staff),
                "patients": patient_ids,
                "n_patients": len(patient_ids),
                "n": events,
            },
        )
        return

    def rows():
        # In time order, as a live trail is written.
        for at in sorted(rng.randrange(minutes) for _ in range(events)):
            who, label = rng.choice(staff)
            patient = rng.choice(patient_ids)
            yield (
                org.pk,
                start + dt.timedelta(minutes=at),
                who,
                label,
                "read",
                "patients.patient",
                str(patient),
                "",
                patient,
                "127.0.0.1",
                "bench",
                f"/patients/{patient}/",
                "{}",
            )

    columns = [
        "organisation_id",
        "at",
        "actor_id",
        "actor_label",
        "action",
        "object_type",
        "object_id",
        "object_label",
        "patient_id",
        "ip_address",
        "user_agent",
        "path",
        "detail",
    ]
    _write_rows(cursor, "audit_auditevent", tuple(columns), rows())


def key_patient_of(org):
    """The demo patient whose record the key pages show."""
    from mesoclinic.patients.models import Patient

    return (
        Patient.objects.filter(organisation=org)
        .exclude(email__startswith=MARKER)
        .order_by("pk")
        .first()
    )


def profile(pages: list[tuple[str, str]], owner, *, rounds: int = 3) -> None:
    """In process, through Django's test client: time, queries and SQL time per page."""
    import statistics

    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(owner)
    print("| page | KB | median ms | queries | SQL ms | slowest query ms |")
    print("|---|---|---|---|---|---|")
    for name, path in pages:
        times = []
        for _ in range(rounds):
            with CaptureQueriesContext(connection) as queries:
                t = time.perf_counter()
                response = client.get(path)
                times.append((time.perf_counter() - t) * 1000)
        if response.status_code != 200:
            raise SystemExit(f"{name}: HTTP {response.status_code}")
        sql = [float(q["time"]) * 1000 for q in queries.captured_queries]
        print(
            f"| {name} | {len(response.content) / 1024:.0f} | {statistics.median(times):.1f} | "
            f"{len(sql)} | {sum(sql):.1f} | {max(sql, default=0):.1f} |",
            flush=True,
        )
        if os.environ.get("BENCH_SHOW_SQL"):
            for q in sorted(queries.captured_queries, key=lambda q: -float(q["time"]))[:3]:
                print(f"    {float(q['time']) * 1000:.1f} ms {q['sql'][:600]}")


def drop_database() -> None:
    """Start from an empty database: delete the SQLite file or drop the PostgreSQL one."""
    import dj_database_url
    import psycopg

    cfg = dj_database_url.parse(os.environ["DATABASE_URL"])
    if cfg["ENGINE"] != "django.db.backends.postgresql":
        for suffix in ("", "-wal", "-shm"):
            Path(str(cfg["NAME"]) + suffix).unlink(missing_ok=True)
        return
    dsn = {"host": cfg["HOST"] or "127.0.0.1", "port": cfg["PORT"] or 5432, "user": cfg["USER"]}
    if cfg.get("PASSWORD"):
        dsn["password"] = cfg["PASSWORD"]
    with psycopg.connect(dbname="postgres", autocommit=True, **dsn) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{cfg["NAME"]}" WITH (FORCE)')


def session_cookie(user) -> str:
    """A signed-in session for `user`, stored where the server reads it."""
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


def key_pages(data: dict) -> list[tuple[str, str]]:
    from django.utils import timezone

    from mesoclinic.accounts.models import Clinic

    org = data["org"]
    moscow = Clinic.objects.get(organisation=org, time_zone="Europe/Moscow")
    today = timezone.localdate(timezone=moscow.zone)
    # The demo patient with 20 signed sessions (and the demo's plans and consultations).
    patient = key_patient_of(org)
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


def fetch(url: str, cookie: str) -> tuple[int, int]:
    """The page's HTTP status and size in bytes."""
    request = urllib.request.Request(url, headers={"Cookie": f"sessionid={cookie}"})  # noqa: S310
    with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
        return response.status, len(response.read())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="× 100k patients, 1M uses")
    parser.add_argument("--lot-uses", type=int, default=2000)
    parser.add_argument("--seconds", type=int, default=10, help="per page and concurrency")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--seed", type=int, default=16)
    parser.add_argument("--audit-events", type=int, default=None, help="default: 1M × scale")
    parser.add_argument("--days-back", type=int, default=730, help="appointments from")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="keep the database built by an earlier run (default: drop it and build anew)",
    )
    parser.add_argument("--build-only", action="store_true", help="build, then stop")
    parser.add_argument("--only", default="", help="measure only pages whose name has this")
    parser.add_argument(
        "--profile",
        action="store_true",
        help="no server: time each page in process with its query count and SQL time",
    )
    args = parser.parse_args()
    if not args.build_only and subprocess.run(["which", "wrk"], capture_output=True).returncode:
        raise SystemExit("wrk is missing: apt-get install -y wrk")

    from bench_recall import ensure_postgres_database

    if not args.reuse:
        drop_database()
    ensure_postgres_database()
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    t0 = time.perf_counter()
    call_command("migrate", verbosity=0)
    print(f"migrate: {time.perf_counter() - t0:.0f} s", flush=True)
    patients = int(100_000 * args.scale)
    uses = max(args.lot_uses, int(1_000_000 * args.scale))
    audit_events = args.audit_events
    if audit_events is None:
        audit_events = int(1_000_000 * args.scale)
    data = grow(
        patients=patients,
        uses=uses,
        lots=max(10, int(1000 * args.scale)),
        lot_uses=args.lot_uses,
        audit_events=audit_events,
        days_back=args.days_back,
        seed=args.seed,
    )
    if args.build_only:
        return
    cookie = session_cookie(data["owner"])
    pages = [p for p in key_pages(data) if p[0] == "/healthz" or args.only in p[0]]
    if args.profile:
        profile(pages, data["owner"])
        return
    vendor = connection.vendor
    connection.close()

    load_before = os.getloadavg()
    proc = serve(args.port)
    base = f"http://127.0.0.1:{args.port}"
    results = {}
    sizes = {}
    try:
        with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as lua:
            lua.write(LUA)
        for name, path in pages:
            status, size = fetch(base + path, cookie)
            if status != 200:
                raise SystemExit(f"{name}: HTTP {status}")
            sizes[name] = size
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
    health_rps = results["/healthz"][1]["rps"]
    print()
    print(
        f"{vendor}, {data['patients']:,} patients, {data['administrations']:,} administrations, "
        f"{data['appointments']:,} appointments, {data['sessions']:,} sessions, "
        f"{data['audit_events']:,} audit events (scale {args.scale}); "
        f"gunicorn 2 workers × 4 threads; wrk {args.seconds} s per run; {dt.date.today()}"
    )
    print(
        f"load average before {load_before[0]:.2f} {load_before[1]:.2f} {load_before[2]:.2f}, "
        f"after {load_after[0]:.2f} {load_after[1]:.2f} {load_after[2]:.2f} (2 cores)"
    )
    print()
    print(
        "| page | KB | p50 ms | p95 ms | p99 ms | max ms | p95 ÷ healthz | req/s at c=8 "
        "| req/s ÷ healthz's |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for name, (one, eight) in results.items():
        ratio = one["p95"] / health
        mark = lambda bad: " ✗" if bad else ""  # noqa: E731
        print(
            f"| {name} | {sizes[name] / 1024:.0f} | {one['p50']:.1f} | {one['p95']:.1f} | "
            f"{one['p99']:.1f} | {one['max']:.1f} | {ratio:.1f}{mark(ratio > 3)} | "
            f"{eight['rps']:.0f}{mark(eight['rps'] < 50)} | {eight['rps'] / health_rps:.2f} |"
        )


if __name__ == "__main__":
    main()
