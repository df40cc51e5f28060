"""The table of the shared database cache (CACHES, when REDIS_URL is not set).

`createcachetable` creates it for whichever database caches the settings name and
does nothing when it exists or when the cache is Redis, so migrating is enough.
"""

from django.core.management import call_command
from django.db import migrations


def create_cache_table(apps, schema_editor):
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):
    dependencies = [("jobs", "0001_initial")]

    operations = [migrations.RunPython(create_cache_table, migrations.RunPython.noop)]
