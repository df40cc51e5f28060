"""A signed photo consent is immutable in the database: only its withdrawal is written.

An UPDATE may set the withdrawal (who, when, why) of a consent not yet withdrawn and
must leave every other column as signed; a withdrawn consent refuses any UPDATE.
DELETE is refused like the treatment consents' (consultations migration 0003):
PostgreSQL, a row trigger (the test harness flushes with TRUNCATE); SQLite, a trigger
that lets DELETE through only while a purge is open in audit_purge_guard.
"""

from django.db import migrations

# Every column of photos_photoconsent except the three withdrawal fields.
SIGNED_COLUMNS = (
    "id",
    "organisation_id",
    "clinic_id",
    "patient_id",
    "scope",
    "language",
    "text",
    "text_sha256",
    "signer_name",
    "signature_png",
    "collected_by_id",
    "signed_at",
)
_PG_CHANGED = " OR ".join(f"NEW.{c} IS DISTINCT FROM OLD.{c}" for c in SIGNED_COLUMNS)
_SQLITE_CHANGED = " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in SIGNED_COLUMNS)

POSTGRES_UP = f"""
CREATE OR REPLACE FUNCTION photos_photoconsent_immutable() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'signed photo consents are append-only'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF OLD.withdrawn_at IS NOT NULL OR {_PG_CHANGED} THEN
        RAISE EXCEPTION 'a signed photo consent changes only by its withdrawal'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER photos_photoconsent_immutable BEFORE UPDATE OR DELETE
    ON photos_photoconsent FOR EACH ROW EXECUTE FUNCTION photos_photoconsent_immutable();
"""
POSTGRES_DOWN = """
DROP TRIGGER IF EXISTS photos_photoconsent_immutable ON photos_photoconsent;
DROP FUNCTION IF EXISTS photos_photoconsent_immutable();
"""
SQLITE_UP = [
    f"""CREATE TRIGGER photos_photoconsent_no_update BEFORE UPDATE ON photos_photoconsent
       WHEN OLD.withdrawn_at IS NOT NULL OR {_SQLITE_CHANGED}
       BEGIN SELECT RAISE(ABORT, 'a signed photo consent changes only by its withdrawal'); END""",
    """CREATE TRIGGER photos_photoconsent_no_delete BEFORE DELETE ON photos_photoconsent
       WHEN NOT EXISTS (SELECT 1 FROM audit_purge_guard WHERE open = 1)
       BEGIN SELECT RAISE(ABORT, 'signed photo consents are append-only'); END""",
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS photos_photoconsent_no_update",
    "DROP TRIGGER IF EXISTS photos_photoconsent_no_delete",
]


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES_UP)
    elif vendor == "sqlite":
        for statement in SQLITE_UP:
            schema_editor.execute(statement)


def backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES_DOWN)
    elif vendor == "sqlite":
        for statement in SQLITE_DOWN:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [
        ("photos", "0001_initial"),
        ("audit", "0002_append_only_triggers"),
    ]
    operations = [migrations.RunPython(forwards, backwards)]
