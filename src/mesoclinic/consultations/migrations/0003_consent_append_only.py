"""Signed consents are append-only: the database also refuses DELETE.

Migration 0002 refuses UPDATE; a consent could still be deleted by the ORM or raw SQL.
Same mechanism as audit migration 0002: PostgreSQL, a row trigger (the test harness
flushes with TRUNCATE, which only the table owner may run: see the operator guide on
the restricted application role); SQLite, a trigger that lets DELETE through only
while a purge is open in audit_purge_guard (SQLite empties tables with DELETE).
"""

from django.db import migrations

POSTGRES_UP = """
CREATE OR REPLACE FUNCTION consultations_consent_no_delete() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'signed consents are append-only' USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER consultations_consent_no_delete BEFORE DELETE ON consultations_consent
    FOR EACH ROW EXECUTE FUNCTION consultations_consent_no_delete();
"""
POSTGRES_DOWN = """
DROP TRIGGER IF EXISTS consultations_consent_no_delete ON consultations_consent;
DROP FUNCTION IF EXISTS consultations_consent_no_delete();
"""
SQLITE_UP = """CREATE TRIGGER consultations_consent_no_delete BEFORE DELETE ON consultations_consent
   WHEN NOT EXISTS (SELECT 1 FROM audit_purge_guard WHERE open = 1)
   BEGIN SELECT RAISE(ABORT, 'signed consents are append-only'); END"""
SQLITE_DOWN = "DROP TRIGGER IF EXISTS consultations_consent_no_delete"


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES_UP)
    elif vendor == "sqlite":
        schema_editor.execute(SQLITE_UP)


def backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES_DOWN)
    elif vendor == "sqlite":
        schema_editor.execute(SQLITE_DOWN)


class Migration(migrations.Migration):
    dependencies = [
        ("consultations", "0002_consent_immutable"),
        ("audit", "0002_append_only_triggers"),
    ]
    operations = [migrations.RunPython(forwards, backwards)]
