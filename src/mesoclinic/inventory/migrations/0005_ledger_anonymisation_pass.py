"""The stock ledger lets the anonymisation pass replace a line's reason, and nothing else.

Migration 0002 made stock movements append-only. A reason is free text ("vial dropped
during Anna Smith's session") and may name a patient, so when a patient's retention
ends `interop.services.anonymisation.patient_anonymise` must rewrite it, inside the
transaction that holds an interop_anonymisationpass row (interop 0002) for a patient of
the line's organisation. Such an UPDATE may change the reason only: every other column
(kind, quantity, lot, patient, times...) is compared and any change is refused as
before. DELETE is unchanged.
"""

from importlib import import_module

from django.db import migrations

previous = import_module("mesoclinic.inventory.migrations.0002_ledger_append_only")

# Every column but `reason`.
_KEPT = (
    "id",
    "organisation_id",
    "clinic_id",
    "lot_id",
    "kind",
    "quantity_ul",
    "occurred_at",
    "patient_id",
    "practitioner_id",
    "zone_id",
    "session_ref",
    "vial_id",
    "other_clinic_id",
    "recorded_by_id",
    "recorded_at",
)
_PASS = (
    "EXISTS (SELECT 1 FROM interop_anonymisationpass p JOIN patients_patient pt"
    " ON pt.id = p.patient_id WHERE pt.organisation_id = OLD.organisation_id)"
)
_PG_REASON_ONLY = " AND ".join(f"NEW.{c} IS NOT DISTINCT FROM OLD.{c}" for c in _KEPT)
_SQLITE_REASON_ONLY = " AND ".join(f"NEW.{c} IS OLD.{c}" for c in _KEPT)

POSTGRES_UP = f"""
CREATE OR REPLACE FUNCTION stock_movement_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND {_PG_REASON_ONLY} AND {_PASS} THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'stock movements are append-only' USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;
"""  # noqa: E501
SQLITE_UP = [
    "DROP TRIGGER IF EXISTS stock_movement_no_update",
    f"""CREATE TRIGGER stock_movement_no_update BEFORE UPDATE ON inventory_stockmovement
       WHEN NOT ({_SQLITE_REASON_ONLY} AND {_PASS})
       BEGIN SELECT RAISE(ABORT, 'stock movements are append-only'); END""",
]
SQLITE_DOWN = ["DROP TRIGGER IF EXISTS stock_movement_no_update", previous.SQLITE_UP[0]]


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
        schema_editor.execute(previous.POSTGRES_DOWN + previous.POSTGRES_UP)
    elif vendor == "sqlite":
        for statement in SQLITE_DOWN:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [
        ("inventory", "0004_movement_lot_at"),
        ("interop", "0002_anonymisation_pass"),
    ]
    operations = [migrations.RunPython(forwards, backwards)]
