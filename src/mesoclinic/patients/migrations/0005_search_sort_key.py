"""The list order as a stored key, copied onto the search tokens.

A search is then answered from the token index (prefix range, page order, patient id)
and reads the patients table only for the page it shows.
"""

from django.db import migrations, models
from django.db.models import OuterRef, Subquery

from mesoclinic.patients import search


def backfill(apps, schema_editor):
    Patient = apps.get_model("patients", "Patient")
    Token = apps.get_model("patients", "PatientSearchToken")
    batch = []
    for patient in Patient.objects.only(
        "family_name", "given_name", "middle_name", "birth_date"
    ).iterator(chunk_size=2000):
        patient.sort_key = search.sort_key(
            patient.family_name, patient.given_name, patient.middle_name, patient.birth_date
        )
        batch.append(patient)
        if len(batch) >= 2000:
            Patient.objects.bulk_update(batch, ["sort_key"])
            batch = []
    Patient.objects.bulk_update(batch, ["sort_key"])
    Token.objects.update(
        sort_key=Subquery(Patient.objects.filter(pk=OuterRef("patient_id")).values("sort_key")[:1])
    )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("patients", "0004_list_order_index"),
    ]

    operations = [
        migrations.AddField(
            model_name="patient",
            name="sort_key",
            field=models.CharField(default="", editable=False, max_length=480),
        ),
        migrations.AddField(
            model_name="patientsearchtoken",
            name="sort_key",
            field=models.CharField(default="", max_length=480),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop, elidable=False),
        migrations.AlterModelOptions(
            name="patient",
            options={"ordering": ["sort_key", "id"], "verbose_name": "patient"},
        ),
        migrations.RemoveIndex(model_name="patient", name="patient_org_name_order"),
        migrations.AddIndex(
            model_name="patient",
            index=models.Index(fields=["organisation", "sort_key", "id"], name="patient_org_sort"),
        ),
        migrations.RemoveIndex(model_name="patientsearchtoken", name="patient_token_org_token"),
        migrations.AddIndex(
            model_name="patientsearchtoken",
            index=models.Index(
                fields=["organisation", "token", "sort_key", "patient"],
                name="patient_token_search",
            ),
        ),
    ]
