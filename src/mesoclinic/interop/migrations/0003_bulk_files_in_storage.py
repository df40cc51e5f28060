"""Bulk export files move from a text column to the file storage (streamed as written)."""

from django.db import migrations, models


def to_storage(apps, schema_editor):
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    BulkExportFile = apps.get_model("interop", "BulkExportFile")
    for f in BulkExportFile.objects.all().iterator(chunk_size=50):
        name = default_storage.save(
            f"fhir-bulk/{f.organisation_id}/{f.export_id}/{f.resource_type}.ndjson",
            ContentFile(f.content.encode("utf-8")),
        )
        count = sum(1 for line in f.content.splitlines() if line.strip())
        BulkExportFile.objects.filter(pk=f.pk).update(name=name, count=count)


class Migration(migrations.Migration):
    dependencies = [("interop", "0002_anonymisation_pass")]

    operations = [
        migrations.AddField(
            model_name="bulkexportfile",
            name="name",
            field=models.CharField(default="", max_length=300),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="bulkexportfile",
            name="count",
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.RunPython(to_storage, migrations.RunPython.noop),
        migrations.RemoveField(model_name="bulkexportfile", name="content"),
    ]
