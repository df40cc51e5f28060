"""Interop services: FHIR export and import, subject access, erasure with retention."""

from mesoclinic.interop.services.exports import (
    bulk_export_get,
    bulk_export_run,
    bulk_export_start,
    patient_export,
)
from mesoclinic.interop.services.imports import (
    BundleRefused,
    bundle_import,
    imported_fact_confirm,
    imported_fact_reject,
)
from mesoclinic.interop.services.rights import (
    request_erasure,
    request_subject_access,
    retention_run,
    subject_access_build,
)

__all__ = [
    "BundleRefused",
    "bulk_export_get",
    "bulk_export_run",
    "bulk_export_start",
    "bundle_import",
    "imported_fact_confirm",
    "imported_fact_reject",
    "patient_export",
    "request_erasure",
    "request_subject_access",
    "retention_run",
    "subject_access_build",
]
