"""FHIR R4 over the HTTP API: a patient's $everything and the organisation's bulk $export
(FHIR Bulk Data: kick-off, status, NDJSON per resource type). Tokens are scoped like the
rest of the API; every export is audited."""

from __future__ import annotations

import json

from django.http import FileResponse, Http404, HttpResponse
from django.urls import reverse
from django.utils import timezone
from ninja import Router, Schema

from mesoclinic.audit.models import AuditAction
from mesoclinic.audit.services import audit_record
from mesoclinic.interop.models import JobStatus
from mesoclinic.interop.services import bulk_export_get, bulk_export_start, patient_export
from mesoclinic.patients.selectors import patient_get

router = Router(tags=["fhir"])
FHIR_JSON = "application/fhir+json"


def _body(media_type: str, status: int = 200, description: str = "OK") -> dict:
    """OpenAPI: the answer's real media type (FHIR's own, not application/json)."""
    return {
        "responses": {status: {"description": description, "content": {media_type: {"schema": {}}}}}
    }


def _errors() -> dict:
    from mesoclinic.api.views import ERRORS

    return ERRORS


def _fhir(body: dict, status: int = 200) -> HttpResponse:
    return HttpResponse(json.dumps(body, ensure_ascii=False), status=status, content_type=FHIR_JSON)


@router.get(
    "/Patient/{patient_id}/$everything",
    response={200: dict, **_errors()},
    openapi_extra=_body(FHIR_JSON),
)
def patient_everything(request, patient_id: int):
    """The patient's whole record as a FHIR R4 Bundle (clinical staff; audited as an export).

    Patient, Practitioner, PractitionerRole, Organization, Location, Appointment, Consent
    (signed PDF attached), Condition, AllergyIntolerance, MedicationStatement, Procedure,
    MedicationAdministration (with the lot as Medication.batch) and AdverseEvent.
    Codes and code systems: docs/fhir.md.
    """
    patient = patient_get(scope=request.scope, patient_id=patient_id)
    body = patient_export(
        scope=request.scope, patient=patient, now=timezone.now(), request=request, channel="api"
    )
    return _fhir(body)


class ExportKickOff(Schema):
    id: int
    status_url: str


@router.post("/$export", response={202: ExportKickOff, **_errors()})
def bulk_export(request):
    """Start an export of the whole organisation (owners); poll the status URL it returns."""
    export = bulk_export_start(scope=request.scope, now=timezone.now(), request=request)
    url = request.build_absolute_uri(reverse("api:fhir_export_status", args=[export.pk]))
    response = HttpResponse(
        json.dumps({"id": export.pk, "status_url": url}),
        status=202,
        content_type="application/json",
    )
    response["Content-Location"] = url
    return response


@router.get(
    "/$export/{export_id}",
    response={200: dict, **_errors()},
    url_name="fhir_export_status",
    openapi_extra={
        "responses": {
            202: {"description": "Still running; progress in X-Progress"},
            500: {
                "description": "The export failed (an OperationOutcome)",
                "content": {FHIR_JSON: {"schema": {}}},
            },
        }
    },
)
def bulk_export_status(request, export_id: int):
    """202 with `X-Progress` while the export runs; 200 with the Bulk Data manifest when done
    (one NDJSON file per resource type); 500 with an OperationOutcome if it failed."""
    export = bulk_export_get(scope=request.scope, export_id=export_id)
    if export.status in (JobStatus.PENDING, JobStatus.RUNNING):
        response = HttpResponse(status=202)
        response["X-Progress"] = f"{export.percent}%"
        response["Retry-After"] = "5"
        return response
    if export.status == JobStatus.FAILED:
        outcome = {
            "resourceType": "OperationOutcome",
            "issue": [{"severity": "error", "code": "exception", "diagnostics": export.error}],
        }
        return _fhir(outcome, status=500)
    output = [
        {
            "type": f.resource_type,
            "url": request.build_absolute_uri(
                reverse("api:fhir_export_file", args=[export.pk, f.resource_type])
            ),
            "count": f.count,
        }
        for f in export.files.only("resource_type", "count")
    ]
    manifest = {
        "transactionTime": export.requested_at.isoformat(),
        "request": request.build_absolute_uri(reverse("api:fhir_export_status", args=[export.pk])),
        "requiresAccessToken": True,
        "output": output,
        "error": [],
    }
    return HttpResponse(json.dumps(manifest), content_type="application/json")


@router.get(
    "/$export/{export_id}/{resource_type}.ndjson",
    response={200: str, **_errors()},
    url_name="fhir_export_file",
    openapi_extra=_body("application/fhir+ndjson"),
)
def bulk_export_file(request, export_id: int, resource_type: str):
    """One NDJSON file of a finished export (audited as an export)."""
    export = bulk_export_get(scope=request.scope, export_id=export_id)
    found = export.files.filter(resource_type=resource_type).first()
    if found is None:
        raise Http404
    audit_record(
        action=AuditAction.EXPORT,
        request=request,
        obj=export,
        detail={
            "fhir": "$export",
            "file": resource_type,
            "count": found.count,
        },
    )
    return FileResponse(found.open(), content_type="application/fhir+ndjson")
