"""The anonymisation pass: the one audited way past the triggers of signed records.

The triggers that refuse UPDATE of signed sessions, addenda, signed consents, history
facts and audit events (charting 0002, consultations 0002, patients 0003, audit 0002)
now let an UPDATE through only while a row of interop_anonymisationpass names the
row's patient, and never one that moves the row to another patient (nor, for a
session, changes its status or day). That row is written and deleted inside the
transaction of `patient_anonymise`, so it is never committed and no other connection
sees it: every other UPDATE is refused exactly as before. DELETE is unchanged.
"""

from django.db import migrations, models

_PASS = "EXISTS (SELECT 1 FROM interop_anonymisationpass p WHERE p.patient_id = {ref})"
_PASS_ADDENDUM = (
    "EXISTS (SELECT 1 FROM interop_anonymisationpass p JOIN charting_treatmentsession s"
    " ON s.patient_id = p.patient_id WHERE s.id = OLD.session_id)"
)


def _pg_function(name: str, message: str, allowed: str, *, deletes: bool) -> str:
    """A trigger function raising unless an UPDATE is let through by `allowed`."""
    tail = "IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;\n    " if deletes else ""
    return f"""
CREATE OR REPLACE FUNCTION {name}() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        IF {allowed} THEN RETURN NEW; END IF;
    END IF;
    {tail}RAISE EXCEPTION '{message}' USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;
"""


_SAME_PATIENT = "NEW.patient_id = OLD.patient_id AND " + _PASS.format(ref="OLD.patient_id")
POSTGRES_UP = (
    _pg_function(
        "consultations_consent_no_update",
        "signed consents are immutable",
        _SAME_PATIENT,
        deletes=False,
    )
    + _pg_function(
        "patients_history_no_update", "history facts are append-only", _SAME_PATIENT, deletes=False
    )
    + _pg_function(
        "audit_event_append_only",
        "audit events are append-only",
        "NEW.patient_id IS NOT DISTINCT FROM OLD.patient_id AND NEW.at = OLD.at AND "
        "NEW.action = OLD.action AND " + _PASS.format(ref="OLD.patient_id"),
        deletes=False,
    )
    + _pg_function(
        "charting_addendum_append_only",
        "addenda are append-only",
        "NEW.session_id = OLD.session_id AND " + _PASS_ADDENDUM,
        deletes=False,
    )
    + """
CREATE OR REPLACE FUNCTION charting_session_immutable() RETURNS trigger AS $$
BEGIN
    IF OLD.status = 'signed' THEN
        IF TG_OP = 'UPDATE' THEN
            IF NEW.status = OLD.status AND NEW.session_date = OLD.session_date AND """
    + _SAME_PATIENT
    + """ THEN
                RETURN NEW;
            END IF;
        END IF;
        RAISE EXCEPTION 'signed sessions are immutable; add an addendum'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
"""
)

# Before this migration (the bodies of the migrations named above).
POSTGRES_DOWN = """
CREATE OR REPLACE FUNCTION consultations_consent_no_update() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'signed consents are immutable' USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;
CREATE OR REPLACE FUNCTION patients_history_no_update() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'history facts are append-only' USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;
CREATE OR REPLACE FUNCTION audit_event_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit events are append-only' USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;
CREATE OR REPLACE FUNCTION charting_addendum_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'addenda are append-only' USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;
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
"""


def _sqlite(name: str, table: str, message: str, when: str) -> list[str]:
    return [
        f"DROP TRIGGER IF EXISTS {name}",
        f"""CREATE TRIGGER {name} BEFORE UPDATE ON {table}
       WHEN {when}
       BEGIN SELECT RAISE(ABORT, '{message}'); END""",
    ]


_REFUSED = "NOT (NEW.patient_id = OLD.patient_id AND " + _PASS.format(ref="OLD.patient_id") + ")"
SQLITE_UP = [
    *_sqlite(
        "consultations_consent_no_update",
        "consultations_consent",
        "signed consents are immutable",
        _REFUSED,
    ),
    *_sqlite(
        "patients_history_no_update",
        "patients_historyfact",
        "history facts are append-only",
        _REFUSED,
    ),
    *_sqlite(
        "audit_event_no_update",
        "audit_auditevent",
        "audit events are append-only",
        "NOT (NEW.patient_id IS OLD.patient_id AND NEW.at = OLD.at AND NEW.action = OLD.action"
        " AND " + _PASS.format(ref="OLD.patient_id") + ")",
    ),
    *_sqlite(
        "charting_addendum_no_update",
        "charting_addendum",
        "addenda are append-only",
        "NOT (NEW.session_id = OLD.session_id AND " + _PASS_ADDENDUM + ")",
    ),
    *_sqlite(
        "charting_session_no_update",
        "charting_treatmentsession",
        "signed sessions are immutable; add an addendum",
        "OLD.status = 'signed' AND NOT (NEW.status = OLD.status"
        " AND NEW.session_date = OLD.session_date AND NEW.patient_id = OLD.patient_id AND "
        + _PASS.format(ref="OLD.patient_id")
        + ")",
    ),
]
SQLITE_DOWN = [
    *_sqlite(
        "consultations_consent_no_update",
        "consultations_consent",
        "signed consents are immutable",
        "1",
    ),
    *_sqlite(
        "patients_history_no_update", "patients_historyfact", "history facts are append-only", "1"
    ),
    *_sqlite("audit_event_no_update", "audit_auditevent", "audit events are append-only", "1"),
    *_sqlite("charting_addendum_no_update", "charting_addendum", "addenda are append-only", "1"),
    *_sqlite(
        "charting_session_no_update",
        "charting_treatmentsession",
        "signed sessions are immutable; add an addendum",
        "OLD.status = 'signed'",
    ),
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
    dependencies = [
        ("interop", "0001_initial"),
        ("audit", "0002_append_only_triggers"),
        ("charting", "0004_override_cosign_and_screening_settings"),
        ("consultations", "0003_consent_append_only"),
        ("patients", "0007_patient_weight"),
    ]

    operations = [
        migrations.CreateModel(
            name="AnonymisationPass",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("patient_id", models.BigIntegerField()),
            ],
        ),
        migrations.RunPython(forwards, backwards),
    ]
