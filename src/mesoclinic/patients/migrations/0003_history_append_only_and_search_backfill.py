"""History facts are append-only in the database; existing patients get search keys.

PostgreSQL: a trigger function raising on UPDATE. SQLite: a trigger raising on
UPDATE. DELETE is not covered: facts are never deleted by the application (the
model has no delete path) and test databases must still be flushable.
"""

from django.db import migrations

POSTGRES_UP = """
CREATE OR REPLACE FUNCTION patients_history_no_update() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'history facts are append-only' USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER patients_history_no_update BEFORE UPDATE ON patients_historyfact
    FOR EACH ROW EXECUTE FUNCTION patients_history_no_update();
"""
POSTGRES_DOWN = """
DROP TRIGGER IF EXISTS patients_history_no_update ON patients_historyfact;
DROP FUNCTION IF EXISTS patients_history_no_update();
"""
SQLITE_UP = """CREATE TRIGGER patients_history_no_update BEFORE UPDATE ON patients_historyfact
   BEGIN SELECT RAISE(ABORT, 'history facts are append-only'); END"""
SQLITE_DOWN = "DROP TRIGGER IF EXISTS patients_history_no_update"


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


def backfill(apps, schema_editor):
    from mesoclinic.patients import search

    Patient = apps.get_model("patients", "Patient")
    Token = apps.get_model("patients", "PatientSearchToken")
    for p in Patient.objects.all().iterator():
        p.name_key = search.name_key(p.family_name, p.given_name)
        p.phone_digits = search.phone_digits(p.phone)
        p.save(update_fields=["name_key", "phone_digits"])
        tokens = search.tokens_for(
            family_name=p.family_name,
            given_name=p.given_name,
            middle_name=p.middle_name,
            phone=p.phone,
            email=p.email,
        )
        Token.objects.bulk_create(
            [Token(organisation_id=p.organisation_id, patient_id=p.pk, token=t) for t in tokens],
            ignore_conflicts=True,
        )


class Migration(migrations.Migration):
    dependencies = [("patients", "0002_history_and_search")]
    operations = [
        migrations.RunPython(forwards, backwards),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
