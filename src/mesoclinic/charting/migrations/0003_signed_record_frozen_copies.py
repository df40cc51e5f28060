"""Signed records keep what they display: product name, lot number and expiry on each
entry, the appointment's status and time on the session, copied at signing.

SQLite adds a NOT NULL column by rebuilding the table, which drops its triggers: the
immutability triggers of migration 0002 are created again afterwards.
"""

import importlib

from django.db import migrations, models

_immutable = importlib.import_module("mesoclinic.charting.migrations.0002_signed_immutable")


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
        migrations.RunPython(_recreate_sqlite_triggers, migrations.RunPython.noop),
    ]
