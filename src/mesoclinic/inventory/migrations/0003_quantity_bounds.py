"""Bound every stored quantity: a movement or delivery at most 100 L, a balance 10,000 L.

On SQLite, adding a constraint rebuilds the table, which drops its triggers; the
append-only triggers of the ledger (migration 0002) are therefore created again.
"""

import importlib

from django.db import migrations, models

ledger = importlib.import_module("mesoclinic.inventory.migrations.0002_ledger_append_only")


def ledger_triggers_restore(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        for sql in ledger.SQLITE_DOWN + ledger.SQLITE_UP:
            schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [
        ("inventory", "0002_ledger_append_only"),
    ]

    operations = [
        migrations.AddConstraint(
            model_name="lot",
            constraint=models.CheckConstraint(
                condition=models.Q(("received_quantity_ul__lte", 100000000)),
                name="lot_received_bounded",
            ),
        ),
        migrations.AddConstraint(
            model_name="stockbalance",
            constraint=models.CheckConstraint(
                condition=models.Q(("quantity_ul__lte", 10000000000)), name="balance_bounded"
            ),
        ),
        migrations.AddConstraint(
            model_name="stockmovement",
            constraint=models.CheckConstraint(
                condition=models.Q(("quantity_ul__gte", -100000000), ("quantity_ul__lte", 100000000)),
                name="movement_bounded",
            ),
        ),
        migrations.RunPython(ledger_triggers_restore, migrations.RunPython.noop),
    ]
