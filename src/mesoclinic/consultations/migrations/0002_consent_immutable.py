"""Signed consents are immutable: the database refuses UPDATE.

PostgreSQL: a trigger function raising on UPDATE. SQLite: a trigger raising on
UPDATE. DELETE is refused by the PROTECT foreign keys of the application; it is
not covered here so test databases can still be flushed.
"""

from django.db import migrations

POSTGRES_UP = """
CREATE OR REPLACE FUNCTION consultations_consent_no_update() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'signed consents are immutable' USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER consultations_consent_no_update BEFORE UPDATE ON consultations_consent
    FOR EACH ROW EXECUTE FUNCTION consultations_consent_no_update();
"""
POSTGRES_DOWN = """
DROP TRIGGER IF EXISTS consultations_consent_no_update ON consultations_consent;
DROP FUNCTION IF EXISTS consultations_consent_no_update();
"""
SQLITE_UP = """CREATE TRIGGER consultations_consent_no_update BEFORE UPDATE ON consultations_consent
   BEGIN SELECT RAISE(ABORT, 'signed consents are immutable'); END"""
SQLITE_DOWN = "DROP TRIGGER IF EXISTS consultations_consent_no_update"


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
    dependencies = [("consultations", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]

