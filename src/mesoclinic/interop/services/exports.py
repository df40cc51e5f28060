"""FHIR exports: one patient's $everything, and the organisation's bulk NDJSON."""

from __future__ import annotations

import datetime as dt
import json

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

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

    transaction.on_commit(lambda: bulk_export_task.enqueue(export.pk))
    return export


def bulk_export_get(*, scope: Scope, export_id: int) -> BulkExport:
    scope.require("clinic.manage")
    return get_scoped_or_404(BulkExport, scope, pk=export_id)


def bulk_export_run(export_id: int) -> BulkExport:
    """Write every patient's resources to one NDJSON file per resource type, keeping progress.

    The organisation's own resources (Organization, Location, Practitioner,
    PractitionerRole) are written once, however many patients cite them.
    """
    export = BulkExport.objects.select_related("organisation").get(pk=export_id)
    patients = Patient.objects.filter(organisation=export.organisation).order_by("pk")
    BulkExport.objects.filter(pk=export.pk).update(
        status=JobStatus.RUNNING, total_patients=patients.count()
    )
    kb = load_knowledge()
    lines: dict[str, list[str]] = {}
    seen: set[tuple[str, str]] = set()
    try:
        for done, patient in enumerate(patients.iterator(chunk_size=200), start=1):
            for resource in patient_everything(patient, kb=kb):
                key = (resource["resourceType"], resource["id"])
                if key in seen:
                    continue
                seen.add(key)
                validate(resource)
                lines.setdefault(key[0], []).append(json.dumps(resource, ensure_ascii=False))
            if done % 10 == 0 or done == export.total_patients:
                BulkExport.objects.filter(pk=export.pk).update(done_patients=done)
        with transaction.atomic():
            for resource_type, rows in sorted(lines.items()):
                BulkExportFile.objects.create(
                    organisation_id=export.organisation_id,
                    export=export,
                    resource_type=resource_type,
                    content="\n".join(rows) + "\n",
                )
            BulkExport.objects.filter(pk=export.pk).update(
                status=JobStatus.DONE,
                done_patients=patients.count(),
                counts={t: len(rows) for t, rows in lines.items()},
                finished_at=timezone.now(),
            )
    except Exception as exc:
        BulkExport.objects.filter(pk=export.pk).update(
            status=JobStatus.FAILED, error=str(exc)[:2000], finished_at=timezone.now()
        )
        raise
    export.refresh_from_db()
    return export
