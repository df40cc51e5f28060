"""PostgreSQL role separation: the application's role has data access only.

The role that owns the tables could disable the triggers that keep audit events,
stock movements and signed records unchangeable, or TRUNCATE them; the application
connects as a role that cannot (docs/operator-guide.md, `mesoclinic dbroles`).
"""

from __future__ import annotations

import os

import pytest
from django.db import DatabaseError, connection, transaction

from mesoclinic.cli import main

APP_PASSWORD = "app-role-password-42"


@pytest.fixture
def app_role(transactional_db):
    if connection.vendor != "postgresql":
        pytest.skip("database roles are a PostgreSQL feature")
    name = f"mesoclinic_app_test_{os.getpid()}"
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE ROLE \"{name}\" LOGIN PASSWORD '{APP_PASSWORD}'")
    yield name
    connection.close()
    with connection.cursor() as cursor:
        cursor.execute(f'DROP OWNED BY "{name}"')
        cursor.execute(f'DROP ROLE "{name}"')


def _connect_as(user: str, password: str) -> tuple[str, str]:
    settings_dict = connection.settings_dict
    saved = (settings_dict["USER"], settings_dict["PASSWORD"])
    connection.close()
    settings_dict["USER"], settings_dict["PASSWORD"] = user, password
    return saved


def test_the_app_role_reads_and_writes_through_the_app_but_cannot_disable_triggers_or_truncate(
    app_role, make_org, patient_of, capsys
):
    from mesoclinic.audit.models import AuditEvent
    from mesoclinic.patients.models import Patient

    world = make_org()
    assert main(["dbroles", "--app-role", app_role, "--apply"]) == 0
    assert "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES" in capsys.readouterr().out
    saved = _connect_as(app_role, APP_PASSWORD)
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_user")
            assert cursor.fetchone()[0] == app_role
        events = AuditEvent.objects.count()
        patient = patient_of(world)  # a write through the services, audited
        assert Patient.objects.filter(pk=patient.pk).exists()
        assert AuditEvent.objects.count() > events
        for sql in (
            "ALTER TABLE audit_auditevent DISABLE TRIGGER ALL",
            "ALTER TABLE consultations_consent DISABLE TRIGGER consultations_consent_no_delete",
            "DROP TRIGGER audit_event_no_update ON audit_auditevent",
            "TRUNCATE audit_auditevent CASCADE",
            "TRUNCATE inventory_stockmovement",
            "CREATE TABLE mesoclinic_intruder (id integer)",
        ):
            with (
                pytest.raises(DatabaseError, match=r"permission denied|must be owner"),
                transaction.atomic(),
                connection.cursor() as cursor,
            ):
                cursor.execute(sql)
        assert AuditEvent.objects.count() > events
    finally:
        connection.close()
        connection.settings_dict["USER"], connection.settings_dict["PASSWORD"] = saved


def test_dbroles_explains_that_sqlite_has_no_roles(capsys, db):
    if connection.vendor != "sqlite":
        pytest.skip("SQLite only")
    assert main(["dbroles", "--app-role", "app"]) == 2
    assert "PostgreSQL" in capsys.readouterr().err


def test_migrations_run_as_the_owner_through_migrate_database_url_and_the_app_role_cannot_ddl(
    app_role,
):
    import subprocess
    import sys

    import psycopg

    s = connection.settings_dict
    fresh = f"{s['NAME']}_roles"
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{fresh}"')
        cursor.execute(f'CREATE DATABASE "{fresh}"')
    host, port = s["HOST"] or "127.0.0.1", s["PORT"] or 5432
    owner_password = f":{s['PASSWORD']}" if s.get("PASSWORD") else ""
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(
        DEBUG="true",
        DATABASE_URL=f"postgres://{app_role}:{APP_PASSWORD}@{host}:{port}/{fresh}",
        MIGRATE_DATABASE_URL=f"postgres://{s['USER']}{owner_password}@{host}:{port}/{fresh}",
    )

    def cli(*args):
        return subprocess.run(
            [sys.executable, "-m", "mesoclinic", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )

    try:
        migrated = cli("migrate", "-v", "0")
        assert migrated.returncode == 0, migrated.stderr
        granted = cli("dbroles", "--app-role", app_role, "--apply")
        assert granted.returncode == 0, granted.stderr
        assert f"applied as {s['USER']}" in granted.stdout
        with psycopg.connect(
            host=host, port=port, user=app_role, password=APP_PASSWORD, dbname=fresh
        ) as conn:
            owners = conn.execute(
                "SELECT DISTINCT tableowner FROM pg_tables WHERE schemaname = 'public'"
            ).fetchall()
            assert owners == [(s["USER"],)]
            assert conn.execute("SELECT count(*) FROM django_migrations").fetchone()[0] > 10
            for sql in (
                "ALTER TABLE charting_treatmentsession DISABLE TRIGGER ALL",
                "TRUNCATE consultations_consent",
            ):
                with pytest.raises(psycopg.errors.InsufficientPrivilege), conn.transaction():
                    conn.execute(sql)
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{fresh}" WITH (FORCE)')
