"""A signed photo consent lets the anonymisation pass through, like the treatment consents.

Migration 0002 made a signed photo consent change only by its withdrawal. When a
patient's retention ends, `interop.services.anonymisation.patient_anonymise` must
replace the signer's name, the drawn signature and the signed text on every consent,
photo consents included, inside the transaction that holds an
interop_anonymisationpass row for that patient (interop 0002). Any other UPDATE is
refused exactly as before (and never one that moves the consent to another patient);
DELETE is unchanged.
"""

from importlib import import_module

from django.db import migrations

signed = import_module("mesoclinic.photos.migrations.0002_photo_consent_immutable")

_PG_PASS = (
    "NEW.patient_id = OLD.patient_id AND EXISTS "
    "(SELECT 1 FROM interop_anonymisationpass p WHERE p.patient_id = OLD.patient_id)"
)
_SQLITE_NO_PASS = (
    "(NEW.patient_id IS NOT OLD.patient_id OR NOT EXISTS "
    "(SELECT 1 FROM interop_anonymisationpass p WHERE p.patient_id = OLD.patient_id))"
)

POSTGRES_UP = f"""
CREATE OR REPLACE FUNCTION photos_photoconsent_immutable() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'signed photo consents are append-only'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF {_PG_PASS} THEN
        RETURN NEW;
    END IF;
    IF OLD.withdrawn_at IS NOT NULL OR {signed._PG_CHANGED} THEN
        RAISE EXCEPTION 'a signed photo consent changes only by its withdrawal'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
"""
SQLITE_UP = [
    "DROP TRIGGER IF EXISTS photos_photoconsent_no_update",
    f"""CREATE TRIGGER photos_photoconsent_no_update BEFORE UPDATE ON photos_photoconsent
       WHEN (OLD.withdrawn_at IS NOT NULL OR {signed._SQLITE_CHANGED}) AND {_SQLITE_NO_PASS}
       BEGIN SELECT RAISE(ABORT, 'a signed photo consent changes only by its withdrawal'); END""",
]
SQLITE_DOWN = ["DROP TRIGGER IF EXISTS photos_photoconsent_no_update", signed.SQLITE_UP[0]]


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
        schema_editor.execute(signed.POSTGRES_DOWN + signed.POSTGRES_UP)
    elif vendor == "sqlite":
        for statement in SQLITE_DOWN:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [
        ("photos", "0002_photo_consent_immutable"),
        ("interop", "0002_anonymisation_pass"),
    ]
    operations = [migrations.RunPython(forwards, backwards)]
