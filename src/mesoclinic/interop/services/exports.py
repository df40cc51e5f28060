"""FHIR exports: one patient's $everything, and the organisation's bulk NDJSON."""

from __future__ import annotations

import datetime as dt
import json
import tempfile

from django.core.exceptions import PermissionDenied
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from mesoclinic.accounts.models import Role
from mesoclinic.accounts.scope import Scope, get_scoped_or_404
from mesoclinic.audit.models import AuditAction
from mesoclinic.audit.services import audit_record
from mesoclinic.core.knowledge import load_knowledge
from mesoclinic.interop.fhir.export import bundle, patient_everything, validate
from mesoclinic.interop.models import BulkExport, BulkExportFile, JobStatus
from mesoclinic.patients.models import Patient


def patient_export(
    *, scope: Scope, patient: Patient, now: dt.datetime, request=None, channel: str = ""
) -> dict:
    """A patient's whole record as a FHIR Bundle (like $everything); audited as an export."""
    scope.require("patients.view_clinical")
    if patient.organisation_id != scope.organisation_id:
        raise PermissionDenied("patient of another organisation")
    # Photographs under a withdrawn consent only from the clinics the user owns, as on
    # their pages.
    owned = [c for c in scope.clinic_ids if Role.OWNER in scope.roles_in(c)]
    resources = patient_everything(patient, hidden_photo_clinics=owned)
    for resource in resources:
        validate(resource)
    audit_record(
        action=AuditAction.EXPORT,
        request=request,
        scope=scope,
        obj=patient,
        detail={"fhir": "Patient/$everything", "resources": len(resources), "via": channel},
    )
    return bundle(resources, now=now)


def bulk_export_start(*, scope: Scope, now: dt.datetime, request=None) -> BulkExport:
    """Record an organisation-wide export and enqueue it; the owner's to ask for."""
    scope.require("clinic.manage")
    export = BulkExport.objects.create(
        organisation_id=scope.organisation_id, requested_by_id=scope.user_id, requested_at=now
    )
    audit_record(
        action=AuditAction.EXPORT,
        request=request,
        scope=scope,
        obj=export,
        detail={"fhir": "$export", "export": export.pk},
    )
    from mesoclinic.interop.tasks import bulk_export_task
    from mesoclinic.jobs.services import job_enqueue

    # A background job: the owner follows it on the Background work page too (its
    # progress is reported by bulk_export_run) and may run it again if it failed.
    pk, organisation_id, user_id = export.pk, export.organisation_id, scope.user_id
    transaction.on_commit(
        lambda: job_enqueue(
            bulk_export_task,
            pk,
            organisation_id=organisation_id,
            kind="fhir_export",
            created_by_id=user_id,
            subject=formats.date_format(timezone.localdate(now), "DATE_FORMAT"),
        )
    )
    return export


def bulk_export_get(*, scope: Scope, export_id: int) -> BulkExport:
    scope.require("clinic.manage")
    return get_scoped_or_404(BulkExport, scope, pk=export_id)


# Resources that many patients cite: written once per export. Every other resource
# belongs to one patient and is written as that patient is read.
SHARED_TYPES = frozenset(
    {"Organization", "Location", "Practitioner", "PractitionerRole", "Medication"}
)


class _NdjsonWriter:
    """One NDJSON file per resource type, spooled to temporary files as resources come
    (nothing accumulates in memory), then saved to the storage."""

    def __init__(self, export: BulkExport) -> None:
        self.export = export
        self.files: dict[str, tempfile._TemporaryFileWrapper] = {}
        self.counts: dict[str, int] = {}

    def write(self, resource: dict) -> None:
        kind = resource["resourceType"]
        if kind not in self.files:
            self.files[kind] = tempfile.NamedTemporaryFile(  # noqa: SIM115  (closed in save)
                mode="w+b", prefix="fhir-bulk-", suffix=".ndjson"
            )
            self.counts[kind] = 0
        line = json.dumps(resource, ensure_ascii=False) + "\n"
        self.files[kind].write(line.encode("utf-8"))
        self.counts[kind] += 1

    def save(self) -> list[BulkExportFile]:
        rows = []
        for kind in sorted(self.files):
            fh = self.files[kind]
            fh.seek(0)
            name = default_storage.save(
                f"fhir-bulk/{self.export.organisation_id}/{self.export.pk}/{kind}.ndjson", File(fh)
            )
            rows.append(
                BulkExportFile(
                    organisation_id=self.export.organisation_id,
                    export=self.export,
                    resource_type=kind,
                    name=name,
                    count=self.counts[kind],
                )
            )
        return rows

    def close(self) -> None:
        for fh in self.files.values():
            fh.close()


def bulk_export_run(export_id: int) -> BulkExport:
    """Stream every patient's resources to one NDJSON file per resource type in the
    storage, reading patients in chunks and keeping progress (on the export and, when
    run as a background job, on the job).

    The organisation's own resources (Organization, Location, Practitioner,
    PractitionerRole, Medication) are written once, however many patients cite them.
    """
    from mesoclinic.jobs.services import job_progress

    export = BulkExport.objects.select_related("organisation").get(pk=export_id)
    patients = Patient.objects.filter(organisation=export.organisation).order_by("pk")
    total = patients.count()
    BulkExport.objects.filter(pk=export.pk).update(
        status=JobStatus.RUNNING, total_patients=total, done_patients=0
    )
    # A run again (after a failure) starts afresh.
    bulk_export_files_delete(export)
    kb = load_knowledge()
    writer = _NdjsonWriter(export)
    seen: set[tuple[str, str]] = set()
    try:
        for done, patient in enumerate(patients.iterator(chunk_size=200), start=1):
            for resource in patient_everything(patient, kb=kb):
                key = (resource["resourceType"], resource["id"])
                if key[0] in SHARED_TYPES:
                    if key in seen:
                        continue
                    seen.add(key)
                validate(resource)
                writer.write(resource)
            if done % 10 == 0 or done == total:
                BulkExport.objects.filter(pk=export.pk).update(done_patients=done)
                job_progress(
                    done / total,
                    _("%(done)s of %(total)s patients exported") % {"done": done, "total": total},
                )
        files = writer.save()
        with transaction.atomic():
            BulkExportFile.objects.bulk_create(files)
            BulkExport.objects.filter(pk=export.pk).update(
                status=JobStatus.DONE,
                done_patients=total,
                counts=dict(writer.counts),
                finished_at=timezone.now(),
            )
    except Exception as exc:
        BulkExport.objects.filter(pk=export.pk).update(
            status=JobStatus.FAILED, error=str(exc)[:2000], finished_at=timezone.now()
        )
        raise
    finally:
        writer.close()
    export.refresh_from_db()
    return export


def bulk_export_files_delete(export: BulkExport) -> int:
    """Remove an export's files from the storage and their rows; returns how many."""
    names = list(export.files.values_list("name", flat=True))
    for name in names:
        default_storage.delete(name)
    export.files.all().delete()
    return len(names)
