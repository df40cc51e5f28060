"""The database refuses to change or delete stock movements (the ledger is append-only).

Same mechanism as audit migration 0002: a PostgreSQL trigger function; SQLite triggers
that let a DELETE through only while a purge is open in audit_purge_guard (the test
harness empties tables with DELETE on SQLite).
"""

from django.db import migrations

POSTGRES_UP = """
CREATE OR REPLACE FUNCTION stock_movement_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'stock movements are append-only' USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER stock_movement_no_update BEFORE UPDATE OR DELETE ON inventory_stockmovement
    FOR EACH ROW EXECUTE FUNCTION stock_movement_append_only();
"""
POSTGRES_DOWN = """
DROP TRIGGER IF EXISTS stock_movement_no_update ON inventory_stockmovement;
DROP FUNCTION IF EXISTS stock_movement_append_only();
"""
SQLITE_UP = [
    """CREATE TRIGGER stock_movement_no_update BEFORE UPDATE ON inventory_stockmovement
       BEGIN SELECT RAISE(ABORT, 'stock movements are append-only'); END""",
    """CREATE TRIGGER stock_movement_no_delete BEFORE DELETE ON inventory_stockmovement
       WHEN NOT EXISTS (SELECT 1 FROM audit_purge_guard WHERE open = 1)
       BEGIN SELECT RAISE(ABORT, 'stock movements are append-only'); END""",
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS stock_movement_no_update",
    "DROP TRIGGER IF EXISTS stock_movement_no_delete",
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
    dependencies = [("inventory", "0001_initial"), ("audit", "0002_append_only_triggers")]
    operations = [migrations.RunPython(forwards, backwards)]
