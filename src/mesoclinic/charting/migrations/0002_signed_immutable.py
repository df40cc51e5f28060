"""Signed sessions, their chart entries and all addenda are immutable in the database.

Keyed on the session's status, so drafts (checked in, charting) stay editable:
- a session whose stored status is 'signed' refuses UPDATE and DELETE;
- an entry refuses INSERT, UPDATE and DELETE once its session is signed;
- addenda refuse UPDATE always, and DELETE.
PostgreSQL: trigger functions raising integrity_constraint_violation (the test
harness flushes with TRUNCATE, which row triggers do not see). SQLite: triggers
raising ABORT; DELETE is allowed only while a purge is open in audit_purge_guard
(created by audit migration 0002), because SQLite flushes test databases with DELETE.
"""

from django.db import migrations

POSTGRES_UP = """
CREATE OR REPLACE FUNCTION charting_session_immutable() RETURNS trigger AS $$
BEGIN
    IF OLD.status = 'signed' THEN
        RAISE EXCEPTION 'signed sessions are immutable; add an addendum'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER charting_session_immutable BEFORE UPDATE OR DELETE
    ON charting_treatmentsession FOR EACH ROW EXECUTE FUNCTION charting_session_immutable();

CREATE OR REPLACE FUNCTION charting_entry_immutable() RETURNS trigger AS $$
BEGIN
    IF TG_OP <> 'INSERT' AND EXISTS (
        SELECT 1 FROM charting_treatmentsession WHERE id = OLD.session_id AND status = 'signed'
    ) THEN
        RAISE EXCEPTION 'entries of a signed session are immutable'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF TG_OP <> 'DELETE' AND EXISTS (
        SELECT 1 FROM charting_treatmentsession WHERE id = NEW.session_id AND status = 'signed'
    ) THEN
        RAISE EXCEPTION 'entries of a signed session are immutable'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER charting_entry_immutable BEFORE INSERT OR UPDATE OR DELETE
    ON charting_chartentry FOR EACH ROW EXECUTE FUNCTION charting_entry_immutable();

CREATE OR REPLACE FUNCTION charting_addendum_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'addenda are append-only' USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER charting_addendum_append_only BEFORE UPDATE OR DELETE
    ON charting_addendum FOR EACH ROW EXECUTE FUNCTION charting_addendum_append_only();
"""
POSTGRES_DOWN = """
DROP TRIGGER IF EXISTS charting_session_immutable ON charting_treatmentsession;
DROP FUNCTION IF EXISTS charting_session_immutable();
DROP TRIGGER IF EXISTS charting_entry_immutable ON charting_chartentry;
DROP FUNCTION IF EXISTS charting_entry_immutable();
DROP TRIGGER IF EXISTS charting_addendum_append_only ON charting_addendum;
DROP FUNCTION IF EXISTS charting_addendum_append_only();
"""
_PURGE_CLOSED = "NOT EXISTS (SELECT 1 FROM audit_purge_guard WHERE open = 1)"
_SIGNED = "EXISTS (SELECT 1 FROM charting_treatmentsession WHERE id = {ref}.session_id AND status = 'signed')"
SQLITE_UP = [
    """CREATE TRIGGER charting_session_no_update BEFORE UPDATE ON charting_treatmentsession
       WHEN OLD.status = 'signed'
       BEGIN SELECT RAISE(ABORT, 'signed sessions are immutable; add an addendum'); END""",
    f"""CREATE TRIGGER charting_session_no_delete BEFORE DELETE ON charting_treatmentsession
       WHEN OLD.status = 'signed' AND {_PURGE_CLOSED}
       BEGIN SELECT RAISE(ABORT, 'signed sessions are immutable; add an addendum'); END""",
    f"""CREATE TRIGGER charting_entry_no_insert BEFORE INSERT ON charting_chartentry
       WHEN {_SIGNED.format(ref="NEW")}
       BEGIN SELECT RAISE(ABORT, 'entries of a signed session are immutable'); END""",
    f"""CREATE TRIGGER charting_entry_no_update BEFORE UPDATE ON charting_chartentry
       WHEN {_SIGNED.format(ref="OLD")} OR {_SIGNED.format(ref="NEW")}
       BEGIN SELECT RAISE(ABORT, 'entries of a signed session are immutable'); END""",
    f"""CREATE TRIGGER charting_entry_no_delete BEFORE DELETE ON charting_chartentry
       WHEN {_SIGNED.format(ref="OLD")} AND {_PURGE_CLOSED}
       BEGIN SELECT RAISE(ABORT, 'entries of a signed session are immutable'); END""",
    """CREATE TRIGGER charting_addendum_no_update BEFORE UPDATE ON charting_addendum
       BEGIN SELECT RAISE(ABORT, 'addenda are append-only'); END""",
    f"""CREATE TRIGGER charting_addendum_no_delete BEFORE DELETE ON charting_addendum
       WHEN {_PURGE_CLOSED}
       BEGIN SELECT RAISE(ABORT, 'addenda are append-only'); END""",
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS charting_session_no_update",
    "DROP TRIGGER IF EXISTS charting_session_no_delete",
    "DROP TRIGGER IF EXISTS charting_entry_no_insert",
    "DROP TRIGGER IF EXISTS charting_entry_no_update",
    "DROP TRIGGER IF EXISTS charting_entry_no_delete",
    "DROP TRIGGER IF EXISTS charting_addendum_no_update",
    "DROP TRIGGER IF EXISTS charting_addendum_no_delete",
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
    dependencies = [("charting", "0001_initial"), ("audit", "0002_append_only_triggers")]
    operations = [migrations.RunPython(forwards, backwards)]
