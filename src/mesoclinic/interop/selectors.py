"""Reads of interop: a patient's data-rights requests and the facts imported for them."""

from __future__ import annotations

from django.db.models import QuerySet

from mesoclinic.accounts.scope import Scope, get_scoped_or_404, scoped
from mesoclinic.interop.models import (
    ErasureRequest,
    ImportedFact,
    ImportedFactStatus,
    SubjectAccessRequest,
)
from mesoclinic.patients.models import Patient


def access_requests(*, scope: Scope, patient: Patient) -> QuerySet[SubjectAccessRequest]:
    return (
        scoped(SubjectAccessRequest, scope, permission="clinic.manage")
        .filter(patient=patient)
        .defer("archive")
    )


def access_request_get(*, scope: Scope, access_id: int) -> SubjectAccessRequest:
    return get_scoped_or_404(SubjectAccessRequest, scope, permission="clinic.manage", pk=access_id)


def erasure_requests(*, scope: Scope, patient: Patient) -> QuerySet[ErasureRequest]:
    return scoped(ErasureRequest, scope, permission="clinic.manage").filter(patient=patient)


def imported_pending(*, scope: Scope, patient: Patient) -> QuerySet[ImportedFact]:
    """Facts another system reported for the patient, waiting for a clinician."""
    return scoped(ImportedFact, scope, permission="patients.view_clinical").filter(
        patient=patient, status=ImportedFactStatus.PENDING
    )
