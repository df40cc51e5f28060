r"""Patient search benchmark: per-keystroke latency on 100,000 patients.

Usage:
    .venv/bin/python bench/bench_patient_search.py [--patients 100000]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test \
        .venv/bin/python bench/bench_patient_search.py

SQLite runs on a throw-away file; PostgreSQL on a throw-away database
(<name>_bench on the server of DATABASE_URL), created and dropped here. Patients
have Latin and Cyrillic names, phones, e-mails and birth dates. Every keystroke
of several typed queries is timed through `patient_search` (first page of 25 and
the count the pager needs, capped at 1000), against a baseline measured in the same run: the
previous implementation, `icontains` on every name/phone/email column.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

FAMILY_RU = [
    "Иванов",
    "Смирнов",
    "Кузнецов",
    "Попов",
    "Васильев",
    "Петров",
    "Соколов",
    "Михайлов",
    "Новиков",
    "Фёдоров",
    "Морозов",
    "Волков",
    "Алексеев",
    "Лебедев",
    "Семёнов",
    "Егоров",
    "Павлов",
    "Козлов",
    "Степанов",
    "Николаев",
    "Орлов",
    "Андреев",
    "Макаров",
    "Никитин",
    "Захаров",
    "Зайцев",
    "Соловьёв",
    "Борисов",
    "Яковлев",
    "Григорьев",
    "Романов",
    "Воробьёв",
    "Сергеев",
    "Кузьмин",
    "Фролов",
    "Щукин",
    "Хабибуллин",
    "Цветков",
    "Чернов",
    "Шестаков",
    "Юдин",
    "Ярцев",
]
GIVEN_RU_F = [
    "Елена",
    "Татьяна",
    "Анна",
    "Мария",
    "Юлия",
    "Ольга",
    "Наталья",
    "Ирина",
    "Светлана",
    "Екатерина",
    "Ксения",
    "Дарья",
    "Алёна",
    "Евгения",
    "Яна",
]
MIDDLE_RU_F = ["Сергеевна", "Игоревна", "Алексеевна", "Павловна", "Викторовна", "Олеговна"]
FAMILY_EN = [
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Garcia",
    "Miller",
    "Davis",
    "Clarke",
    "Martin",
    "Dubois",
    "Novak",
    "Schmidt",
    "Müller",
    "Lefèvre",
    "García",
    "Kowalski",
    "O'Brien",
    "Nguyen",
    "Rossi",
    "Bianchi",
    "Fischer",
    "Weber",
    "Moreau",
]
GIVEN_EN = [
    "Emily",
    "Sophie",
    "Olivia",
    "Chloé",
    "Hannah",
    "Emma",
    "Charlotte",
    "Amelia",
    "Zoë",
    "Léa",
    "Isabella",
    "Mia",
    "Grace",
    "Lucy",
    "Renée",
    "Ana",
]

TYPED = [
    "ivanova",  # Latin for a Cyrillic name
    "Кузнецова Юл",  # Cyrillic with a second term
    "chloe dub",  # accents
    "hab",  # х -> h
    "9165551",  # phone digits
    "14.03.1986",  # date of birth
    "smith em",
    "sol",  # Соловьёв / Sokolov...
    "petrova",  # "p" starts every e-mail here: the broadest keystroke
]
REPEAT = 3


def keystrokes(text: str) -> list[str]:
    return [text[:i] for i in range(1, len(text) + 1)]


def setup_django(database_url: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mesoclinic.settings")
    os.environ.setdefault("SECRET_KEY", "bench-only-" + "x" * 40)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def populate(n: int, seed: int = 4):
    import datetime as dt

    from mesoclinic.accounts.models import Organisation, Role
    from mesoclinic.accounts.scope import Scope
    from mesoclinic.patients import search
    from mesoclinic.patients.models import Patient, PatientSearchToken

    rng = random.Random(seed)
    org = Organisation.objects.create(name="Bench")
    patients = []
    for i in range(n):
        if i % 2:
            family = rng.choice(FAMILY_RU) + "а"
            given, middle = rng.choice(GIVEN_RU_F), rng.choice(MIDDLE_RU_F)
        else:
            family, given, middle = rng.choice(FAMILY_EN), rng.choice(GIVEN_EN), ""
        born = dt.date(1950, 1, 1) + dt.timedelta(days=rng.randrange(365 * 55))
        phone = f"+7 916 {rng.randrange(10**7):07d}"
        patients.append(
            Patient(
                organisation=org,
                family_name=family,
                given_name=given,
                middle_name=middle,
                birth_date=born,
                phone=phone,
                email=f"p{i}@example.org",
                name_key=search.name_key(family, given),
                phone_digits=search.phone_digits(phone),
                sort_key=search.sort_key(family, given, middle, born),
            )
        )
    Patient.objects.bulk_create(patients, batch_size=2000)
    tokens = []
    for p in Patient.objects.filter(organisation=org).iterator(chunk_size=5000):
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
    scope = Scope(
        user_id=0,
        organisation_id=org.pk,
        clinic_id=None,
        roles=frozenset({Role.RECEPTIONIST}),
        clinic_ids=frozenset(),
    )
    return scope


def naive_list(scope, query):
    """The baseline: the previous search, icontains on every column for every term."""
    from django.db.models import Q

    from mesoclinic.accounts.scope import scoped
    from mesoclinic.patients.models import Patient

    qs = scoped(Patient, scope, permission="patients.view_demographics")
    for term in query.split():
        qs = qs.filter(
            Q(family_name__icontains=term)
            | Q(given_name__icontains=term)
            | Q(middle_name__icontains=term)
            | Q(phone__icontains=term)
            | Q(email__icontains=term)
        )
    return qs


def search_page(scope, query) -> None:
    from mesoclinic.patients.selectors import patient_search

    patient_search(scope=scope, query=query)


def naive_page(scope, query) -> None:
    from mesoclinic.patients.selectors import COUNT_CAP, PER_PAGE

    qs = naive_list(scope, query)
    list(qs.order_by("sort_key", "id")[:PER_PAGE])
    qs.order_by()[:COUNT_CAP].count()


def timed(fn, scope, query) -> float:
    start = time.perf_counter()
    fn(scope, query)
    return (time.perf_counter() - start) * 1000


def measure(scope) -> dict[str, list[float]]:
    runs = {"tokens (patient_search)": [], "baseline (icontains)": []}
    for _ in range(REPEAT):
        for text in TYPED:
            for q in keystrokes(text):
                runs["tokens (patient_search)"].append(timed(search_page, scope, q))
                runs["baseline (icontains)"].append(timed(naive_page, scope, q))
    return runs


def report(label: str, n: int, runs: dict[str, list[float]]) -> None:
    print(f"\n{label}: {n} patients, {len(runs['tokens (patient_search)'])} keystroke queries")
    print(f"{'method':<24}{'median ms':>12}{'p95 ms':>10}{'max ms':>10}")
    for name, values in runs.items():
        values = sorted(values)
        p95 = values[int(0.95 * (len(values) - 1))]
        print(f"{name:<24}{statistics.median(values):>12.1f}{p95:>10.1f}{values[-1]:>10.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=100_000)
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "").strip()
    cleanup = None
    if url.startswith("postgres"):
        import psycopg

        base, name = url.rsplit("/", 1)
        bench_db = f"{name}_bench"
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{bench_db}"')
            conn.execute(f'CREATE DATABASE "{bench_db}"')

        admin_url = url

        def cleanup():
            from django.db import connections

            connections.close_all()
            with psycopg.connect(admin_url, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{bench_db}"')

        url, label = f"{base}/{bench_db}", "PostgreSQL"
    else:
        tmp = tempfile.mkdtemp(prefix="mesoclinic-bench-")
        url, label = f"sqlite:///{tmp}/bench.sqlite3", "SQLite"
    try:
        setup_django(url)
        start = time.perf_counter()
        scope = populate(args.patients)
        from django.db import connection

        with connection.cursor() as cursor:
            # What autovacuum does after a bulk load: statistics, and on PostgreSQL the
            # visibility map that lets a search read the token index alone.
            cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
        print(f"generated {args.patients} patients in {time.perf_counter() - start:.0f} s")
        report(label, args.patients, measure(scope))
    finally:
        if cleanup:
            cleanup()


if __name__ == "__main__":
    main()
