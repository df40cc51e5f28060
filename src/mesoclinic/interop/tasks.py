"""Background work of interop: bulk FHIR exports and subject-access archives.

Runs through Django's tasks interface (django-tasks): inline under the immediate
backend (tests, the default), on a worker when TASKS_BACKEND names one.
"""

from __future__ import annotations

from django_tasks import task


@task()
def bulk_export_task(export_id: int) -> int:
    """Run one bulk export; returns the number of resources written."""
    from mesoclinic.interop.services import bulk_export_run

    return sum(bulk_export_run(export_id).counts.values())


@task()
def subject_access_task(request_id: int) -> int:
    """Build one subject-access archive; returns its size in bytes."""
    from mesoclinic.interop.services import subject_access_build

    return len(subject_access_build(request_id).archive or b"")
