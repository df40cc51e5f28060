"""Reading background jobs: an owner sees the recent work of the organisation's clinics."""

from __future__ import annotations

from django.db import models

from mesoclinic.accounts.scope import Scope, get_scoped_or_404, scoped
from mesoclinic.jobs.models import BackgroundJob

PERMISSION = "clinic.manage"


def job_list(*, scope: Scope | None) -> models.QuerySet:
    """Recent jobs of the organisation: those of the user's clinics and organisation-wide ones."""
    qs = scoped(BackgroundJob, scope, permission=PERMISSION)
    if scope is None:
        return qs
    return qs.filter(
        models.Q(clinic__isnull=True) | models.Q(clinic_id__in=sorted(scope.clinic_ids))
    ).select_related("created_by", "clinic")


def job_get(*, scope: Scope | None, job_id: int) -> BackgroundJob:
    """One job (404 for another organisation's or another clinic's; 403 unless owner)."""
    return get_scoped_or_404(job_list(scope=scope), scope, pk=job_id)


def job_get_own_or_owner(*, scope: Scope | None, job_id: int) -> BackgroundJob:
    """A job its starter may follow (any role), or an owner may see: for progress fragments."""
    job = get_scoped_or_404(BackgroundJob, scope, pk=job_id)
    if job.created_by_id is not None and job.created_by_id == scope.user_id:
        return job
    return job_get(scope=scope, job_id=job_id)
