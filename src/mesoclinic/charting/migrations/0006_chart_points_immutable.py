"""Injection points of a signed session are immutable in the database, like its entries.

The point carries its session's id, so the check reads one row: a point refuses
INSERT, UPDATE and DELETE once its session's stored status is 'signed'. As in
migration 0002: PostgreSQL raises integrity_constraint_violation from a trigger
function; SQLite raises ABORT and allows DELETE only while a purge is open in
audit_purge_guard (SQLite flushes test databases with DELETE).
"""

from django.db import migrations

POSTGRES_UP = """
CREATE OR REPLACE FUNCTION charting_point_immutable() RETURNS trigger AS $$
BEGIN
    IF TG_OP <> 'INSERT' AND EXISTS (
        SELECT 1 FROM charting_treatmentsession WHERE id = OLD.session_id AND status = 'signed'
    ) THEN
        RAISE EXCEPTION 'injection points of a signed session are immutable'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF TG_OP <> 'DELETE' AND EXISTS (
        SELECT 1 FROM charting_treatmentsession WHERE id = NEW.session_id AND status = 'signed'
    ) THEN
        RAISE EXCEPTION 'injection points of a signed session are immutable'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER charting_point_immutable BEFORE INSERT OR UPDATE OR DELETE
    ON charting_chartpoint FOR EACH ROW EXECUTE FUNCTION charting_point_immutable();
"""
POSTGRES_DOWN = """
DROP TRIGGER IF EXISTS charting_point_immutable ON charting_chartpoint;
DROP FUNCTION IF EXISTS charting_point_immutable();
"""
_PURGE_CLOSED = "NOT EXISTS (SELECT 1 FROM audit_purge_guard WHERE open = 1)"
_SIGNED = (
    "EXISTS (SELECT 1 FROM charting_treatmentsession "
    "WHERE id = {ref}.session_id AND status = 'signed')"
)
SQLITE_UP = [
    f"""CREATE TRIGGER charting_point_no_insert BEFORE INSERT ON charting_chartpoint
       WHEN {_SIGNED.format(ref="NEW")}
       BEGIN SELECT RAISE(ABORT, 'injection points of a signed session are immutable'); END""",
    f"""CREATE TRIGGER charting_point_no_update BEFORE UPDATE ON charting_chartpoint
       WHEN {_SIGNED.format(ref="OLD")} OR {_SIGNED.format(ref="NEW")}
       BEGIN SELECT RAISE(ABORT, 'injection points of a signed session are immutable'); END""",
    f"""CREATE TRIGGER charting_point_no_delete BEFORE DELETE ON charting_chartpoint
       WHEN {_SIGNED.format(ref="OLD")} AND {_PURGE_CLOSED}
       BEGIN SELECT RAISE(ABORT, 'injection points of a signed session are immutable'); END""",
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS charting_point_no_insert",
    "DROP TRIGGER IF EXISTS charting_point_no_update",
    "DROP TRIGGER IF EXISTS charting_point_no_delete",
]


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES_UP)
    elif vendor == "sqlite":
        for sql in SQLITE_UP:
            schema_editor.execute(sql)


def backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES_DOWN)
    elif vendor == "sqlite":
        for sql in SQLITE_DOWN:
            schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("charting", "0005_chart_points")]
    operations = [migrations.RunPython(forwards, backwards)]
