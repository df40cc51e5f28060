"""The database refuses double bookings of a practitioner, room, device or patient.

Only appointments in an active status (booked, confirmed, arrived, done) hold their
resources. PostgreSQL: exclusion constraints over time ranges (btree_gist), which are
race-free under concurrent transactions. SQLite: triggers that look for an overlapping
active appointment; SQLite runs one writing transaction at a time (Mesoclinic opens
them IMMEDIATE), so the check and the write cannot interleave.
"""

from django.db import migrations

ACTIVE = "('booked', 'confirmed', 'arrived', 'done')"
RESOURCES = ("practitioner_id", "room_id", "device_id", "patient_id")

POSTGRES_UP = ["CREATE EXTENSION IF NOT EXISTS btree_gist"] + [
    f"""ALTER TABLE scheduling_appointment ADD CONSTRAINT appt_no_double_{col.removesuffix('_id')}
        EXCLUDE USING gist ({col} WITH =, tstzrange(starts_at, ends_at, '[)') WITH &&)
        WHERE (status IN {ACTIVE} AND {col} IS NOT NULL)"""
    for col in RESOURCES
]
POSTGRES_DOWN = [
    f"ALTER TABLE scheduling_appointment DROP CONSTRAINT IF EXISTS "
    f"appt_no_double_{col.removesuffix('_id')}"
    for col in RESOURCES
]


def _sqlite_trigger(event: str, col: str) -> str:
    name = col.removesuffix("_id")
    exclude_self = "AND a.id <> NEW.id" if event == "UPDATE" else ""
    return f"""
CREATE TRIGGER appt_no_double_{name}_{event.lower()} BEFORE {event} ON scheduling_appointment
WHEN NEW.status IN {ACTIVE} AND NEW.{col} IS NOT NULL AND EXISTS (
    SELECT 1 FROM scheduling_appointment a
    WHERE a.{col} = NEW.{col} {exclude_self}
      AND a.status IN {ACTIVE}
      AND a.starts_at < NEW.ends_at AND NEW.starts_at < a.ends_at)
BEGIN SELECT RAISE(ABORT, 'appt_no_double_{name}'); END"""


SQLITE_UP = [_sqlite_trigger(e, c) for c in RESOURCES for e in ("INSERT", "UPDATE")]
SQLITE_DOWN = [
    f"DROP TRIGGER IF EXISTS appt_no_double_{c.removesuffix('_id')}_{e.lower()}"
    for c in RESOURCES
    for e in ("INSERT", "UPDATE")
]


def forwards(apps, schema_editor):
    statements = {"postgresql": POSTGRES_UP, "sqlite": SQLITE_UP}.get(
        schema_editor.connection.vendor, []
    )
    for sql in statements:
        schema_editor.execute(sql)


def backwards(apps, schema_editor):
    statements = {"postgresql": POSTGRES_DOWN, "sqlite": SQLITE_DOWN}.get(
        schema_editor.connection.vendor, []
    )
    for sql in statements:
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("scheduling", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
