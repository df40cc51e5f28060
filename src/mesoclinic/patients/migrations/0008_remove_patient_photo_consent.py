"""Remove the yes/no "consents to clinical photographs" tick of the patient record.

It contradicted the signed photo consent (photos.PhotoConsent), which alone allows a
photograph. Nothing is lost silently: a patient whose tick was set without any signed
photo consent gets an audit event saying so (the tick was never a signed consent, so
it is not turned into one; the clinic collects the signed consent before photographs).
"""

from django.db import migrations


def record_unsigned_ticks(apps, schema_editor):
    Patient = apps.get_model("patients", "Patient")
    PhotoConsent = apps.get_model("photos", "PhotoConsent")
    AuditEvent = apps.get_model("audit", "AuditEvent")
    signed = PhotoConsent.objects.values("patient_id")
    ticked = Patient.objects.filter(photo_consent=True).exclude(pk__in=signed)
    AuditEvent.objects.bulk_create(
        AuditEvent(
            organisation_id=p.organisation_id,
            actor_label="migration patients.0008",
            action="update",
            object_type="patients.Patient",
            object_id=str(p.pk),
            patient_id=p.pk,
            detail={"photo_consent_tick_removed": True, "signed_photo_consent": False},
        )
        for p in ticked.only("pk", "organisation_id").iterator()
    )


class Migration(migrations.Migration):
    dependencies = [
        ("patients", "0007_patient_weight"),
        ("photos", "0001_initial"),
        ("audit", "0002_append_only_triggers"),
    ]
    operations = [
        migrations.RunPython(record_unsigned_ticks, migrations.RunPython.noop),
        migrations.RemoveField(model_name="patient", name="photo_consent"),
    ]
