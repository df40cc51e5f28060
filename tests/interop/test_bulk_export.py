"""The organisation's bulk export: NDJSON per resource type, progress kept, audited."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.exceptions import PermissionDenied

NOW = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)


@pytest.mark.django_db
def test_bulk_export_writes_valid_ndjson_for_every_patient_once(
    world, record, patient_of, make_org, django_capture_on_commit_callbacks
):
    from mesoclinic.audit.models import AuditEvent
    from mesoclinic.interop.fhir.export import validate
    from mesoclinic.interop.models import BulkExport, JobStatus
    from mesoclinic.interop.services import bulk_export_start

    second = patient_of(world, family="Second", given="Patient", born="1990-01-01")
    stranger = patient_of(make_org(), family="Stranger", given="Other", born="1970-01-01")
    with django_capture_on_commit_callbacks(execute=True):
        export = bulk_export_start(scope=world.scope("owner"), now=NOW)
    export = BulkExport.objects.get(pk=export.pk)
    assert export.status == JobStatus.DONE and export.percent == 100
    assert export.done_patients == export.total_patients == 2
    files = {}
    for f in export.files.all():
        with f.open() as fh:
            files[f.resource_type] = fh.read().decode("utf-8")
        assert f.name.startswith(f"fhir-bulk/{world.organisation.pk}/{export.pk}/")
    patients = [json.loads(line) for line in files["Patient"].splitlines()]
    assert sorted(p["id"] for p in patients) == sorted([str(record.pk), str(second.pk)])
    assert str(stranger.pk) not in {p["id"] for p in patients}
    for resource_type, content in files.items():
        rows = [json.loads(line) for line in content.splitlines()]
        assert export.counts[resource_type] == len(rows)
        assert export.files.get(resource_type=resource_type).count == len(rows)
        assert {r["resourceType"] for r in rows} == {resource_type}
        assert len({r["id"] for r in rows}) == len(rows), f"{resource_type} written twice"
        for row in rows:
            validate(row)
    assert {"Procedure", "MedicationAdministration", "Organization"} <= set(files)
    # It ran as a background job of the organisation, its progress reported as it went.
    from mesoclinic.jobs.models import BackgroundJob
    from mesoclinic.jobs.models import JobStatus as BackgroundStatus

    job = BackgroundJob.objects.get(organisation=world.organisation, kind="fhir_export")
    assert (job.status, job.progress, job.task_args) == (BackgroundStatus.DONE, 1.0, [export.pk])
    assert job.message == "2 of 2 patients exported"
    assert AuditEvent.objects.filter(
        action="export", object_type="interop.BulkExport", object_id=str(export.pk)
    ).exists()


@pytest.mark.django_db
def test_only_the_owner_starts_a_bulk_export(world):
    from mesoclinic.interop.services import bulk_export_start

    for role in ("practitioner", "nurse", "receptionist"):
        with pytest.raises(PermissionDenied):
            bulk_export_start(scope=world.scope(role), now=NOW)
