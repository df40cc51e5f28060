"""Signed records keep what they display: product name, lot number and expiry on each
entry, the appointment's status and time on the session, copied at signing.

Sessions signed before this migration get the copies now (the rows as they are at the
upgrade): the immutability triggers of migration 0002 are lifted for that one UPDATE,
inside the migration's transaction, by the owner role that runs migrations.
SQLite adds a NOT NULL column by rebuilding the table, which drops its triggers: they
are created again afterwards (and again after unapplying, which rebuilds once more).
"""

import importlib

from django.db import migrations, models

_immutable = importlib.import_module("mesoclinic.charting.migrations.0002_signed_immutable")

COPY_SIGNED = [
    """UPDATE charting_chartentry SET
        product_name = COALESCE(
            (SELECT p.name FROM inventory_product p WHERE p.id = charting_chartentry.product_id),
            ''),
        lot_number = COALESCE(
            (SELECT l.lot_number FROM inventory_lot l WHERE l.id = charting_chartentry.lot_id),
            ''),
        lot_expiry = (SELECT l.expiry_date FROM inventory_lot l
                      WHERE l.id = charting_chartentry.lot_id)
       WHERE lot_id IS NOT NULL AND session_id IN (
           SELECT id FROM charting_treatmentsession WHERE status = 'signed')""",
    """UPDATE charting_treatmentsession SET
        appointment_status = COALESCE((SELECT a.status FROM scheduling_appointment a
                                       WHERE a.id = charting_treatmentsession.appointment_id), ''),
        appointment_starts_at = (SELECT a.starts_at FROM scheduling_appointment a
                                 WHERE a.id = charting_treatmentsession.appointment_id)
       WHERE status = 'signed' AND appointment_id IS NOT NULL""",
]
POSTGRES_LIFT = """
ALTER TABLE charting_chartentry DISABLE TRIGGER charting_entry_immutable;
ALTER TABLE charting_treatmentsession DISABLE TRIGGER charting_session_immutable;
"""
POSTGRES_RESTORE = """
ALTER TABLE charting_chartentry ENABLE TRIGGER charting_entry_immutable;
ALTER TABLE charting_treatmentsession ENABLE TRIGGER charting_session_immutable;
"""


def copy_signed(apps, schema_editor):
    """Fill the copies of already-signed sessions; on SQLite, re-create the triggers."""
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES_LIFT)
        for sql in COPY_SIGNED:
            schema_editor.execute(sql)
        schema_editor.execute(POSTGRES_RESTORE)
    elif vendor == "sqlite":
        for sql in _immutable.SQLITE_DOWN + COPY_SIGNED + _immutable.SQLITE_UP:
            schema_editor.execute(sql)


def _recreate_sqlite_triggers(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    for sql in _immutable.SQLITE_DOWN + _immutable.SQLITE_UP:
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [
        ("charting", "0002_signed_immutable"),
    ]

    operations = [
        # Unapplying removes the columns (another rebuild): the triggers come back last.
        migrations.RunPython(migrations.RunPython.noop, _recreate_sqlite_triggers),
        migrations.AddField(
            model_name="chartentry",
            name="lot_expiry",
            field=models.DateField(blank=True, null=True, verbose_name="lot expiry date"),
        ),
        migrations.AddField(
            model_name="chartentry",
            name="lot_number",
            field=models.CharField(blank=True, max_length=60, verbose_name="lot number"),
        ),
        migrations.AddField(
            model_name="chartentry",
            name="product_name",
            field=models.CharField(blank=True, max_length=200, verbose_name="product name"),
        ),
        migrations.AddField(
            model_name="treatmentsession",
            name="appointment_starts_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="appointment time"),
        ),
        migrations.AddField(
            model_name="treatmentsession",
            name="appointment_status",
            field=models.CharField(blank=True, max_length=12, verbose_name="appointment status"),
        ),
        migrations.RunPython(copy_signed, migrations.RunPython.noop),
    ]
