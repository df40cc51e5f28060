"""Starting background jobs, reporting their progress, and running a failed one again.

A job wraps one django-tasks task. Any `@task` function can be started as a job:

    job = job_enqueue(planner_run, clinic.pk, organisation_id=org.pk, clinic_id=clinic.pk,
                      kind="planner", created_by=request.user, subject=str(clinic))

and, while it runs (in the worker or, in tests, right away), may report progress:

    job_progress(0.4, _("%(n)s of %(total)s courses placed") % {...})

The job follows its task by the task signals (started, finished, failed), whatever
the backend; `job_progress` outside a job does nothing, so a task works either way.

Small, frequent work (a PDF drawn after each signature) is enqueued as a bare task,
without a job: a row per piece would bury the page. Marked `@job_on_failure(kind)`,
such a task gets its job only when it fails for good (retries spent), so the failure
is shown, with **Run again**, and not lost.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import smtplib
from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import DatabaseError, models, transaction
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _
from django_tasks.base import Task

from mesoclinic.jobs.models import BackgroundJob, JobStatus

# The job being enqueued (set around `task.enqueue`) and the task result running now.
_enqueuing: contextvars.ContextVar[int | None] = contextvars.ContextVar("enqueuing", default=None)
_running: contextvars.ContextVar[str | None] = contextvars.ContextVar("running", default=None)

# What each kind of job is called on the Background work page. Other apps add theirs
# with `job_kind_register` (in their AppConfig.ready or at import of their tasks).
JOB_KINDS: dict[str, Promise] = {
    "reminders": _("Appointment reminders"),
    "delivery_import": _("Delivery import"),
    "aftercare_email": _("Aftercare e-mail"),
}


def job_kind_register(kind: str, label: Promise) -> None:
    JOB_KINDS[kind] = label


def job_on_failure(kind: str) -> Callable[[Callable], Callable]:
    """Mark a task enqueued without a job: a job of `kind` is made only if it fails for good.

        @task()
        @retry(OSError, max_attempts=4)
        @job_on_failure("documents")
        def consent_document_draw(*, organisation_id: int, clinic_id: int, consent_id: int): ...

    The task is called with `organisation_id` (and `clinic_id`, when it has one) among
    its keyword arguments: the failed job belongs to them.
    """

    def mark(func: Callable) -> Callable:
        func.job_on_failure = kind  # type: ignore[attr-defined]
        return func

    return mark


def job_kind_label(kind: str) -> str:
    return str(JOB_KINDS.get(kind, _("Background work")))


class JobError(Exception):
    """Raised by a task to fail its job with a message in plain words for the page."""


# Errors shown in plain words; anything else is "unexpected" (details in the worker log).
ERROR_WORDS: dict[str, Promise] = {
    "mail": _("The mail server could not be reached or refused the message."),
    "network": _("A server this work needs could not be reached."),
    "database": _("The database was busy or could not be reached."),
    "unexpected": _(
        "Something unexpected stopped this work. The details are in the worker's log "
        "for your IT contact."
    ),
}


def error_code_for(exc_class: type[BaseException] | None) -> str:
    if exc_class is None:
        return "unexpected"
    if issubclass(exc_class, smtplib.SMTPException):
        return "mail"
    if issubclass(exc_class, (ConnectionError, TimeoutError)):
        return "network"
    if issubclass(exc_class, DatabaseError):
        return "database"
    return "unexpected"


def error_text(exc: BaseException | None, exc_class: type[BaseException] | None) -> str:
    """The error as the page shows it: the task's own words, else a code for ERROR_WORDS."""
    if isinstance(exc, JobError):
        return str(exc)
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    return error_code_for(exc_class)


def job_error_display(job: BackgroundJob) -> str:
    if not job.error:
        return ""
    return str(ERROR_WORDS.get(job.error, job.error))


def job_enqueue(
    task: Task,
    *args: Any,
    organisation_id: int,
    kind: str,
    clinic_id: int | None = None,
    created_by=None,
    created_by_id: int | None = None,
    subject: str = "",
    **kwargs: Any,
) -> BackgroundJob:
    """Start `task(*args, **kwargs)` as a job of the organisation; returns the job.

    The job row and the queued task are written in one transaction: a request that
    fails afterwards leaves neither. (With the immediate backend, in tests, the task
    runs here and the job comes back finished.)
    """
    with transaction.atomic():
        job = BackgroundJob.objects.create(
            organisation_id=organisation_id,
            clinic_id=clinic_id,
            kind=kind,
            subject=subject[:200],
            created_by_id=created_by.pk if created_by is not None else created_by_id,
            task_path=task.module_path,
            task_args=list(args),
            task_kwargs=dict(kwargs),
        )
        _enqueue(job, task)
    job.refresh_from_db()
    return job


def _enqueue(job: BackgroundJob, task: Task) -> None:
    token = _enqueuing.set(job.pk)
    try:
        result = task.enqueue(*job.task_args, **job.task_kwargs)
    finally:
        _enqueuing.reset(token)
    BackgroundJob.objects.filter(pk=job.pk, task_result_id="").update(task_result_id=result.id)


def job_progress(fraction: float, message: str | Promise = "") -> None:
    """Report the running job's progress (0..1) and a short message; no-op outside a job."""
    result_id = _running.get()
    if result_id is None:
        return
    job = (
        BackgroundJob.objects.filter(task_result_id=result_id)
        .select_related("created_by")
        .only("pk", "created_by__language")
        .first()
    )
    if job is None:
        return
    if isinstance(message, Promise):
        language = job.created_by.language if job.created_by else "en"
        with translation.override(language):
            message = str(message)
    BackgroundJob.objects.filter(pk=job.pk).update(
        progress=min(max(float(fraction), 0.0), 1.0), message=str(message)[:300]
    )


def job_retry(*, job: BackgroundJob) -> BackgroundJob:
    """Run a failed job again with the same task and arguments."""
    if job.status != JobStatus.FAILED:
        raise ValidationError(_("Only failed work can be run again."))
    task: Task = import_string(job.task_path)
    with transaction.atomic():
        BackgroundJob.objects.filter(pk=job.pk).update(
            status=JobStatus.QUEUED,
            progress=0.0,
            message="",
            error="",
            attempts=0,
            started_at=None,
            finished_at=None,
            next_attempt_at=None,
            task_result_id="",
        )
        job.refresh_from_db()
        _enqueue(job, task)
    job.refresh_from_db()
    return job


# --- Following the task (connected in jobs.signals) -------------------------------


def on_task_enqueued(task_result) -> None:
    job_id = _enqueuing.get()
    if job_id is not None:
        BackgroundJob.objects.filter(pk=job_id).update(task_result_id=task_result.id)


def on_task_started(task_result) -> None:
    _running.set(task_result.id)
    BackgroundJob.objects.filter(task_result_id=task_result.id).update(
        status=JobStatus.RUNNING,
        started_at=timezone.now(),
        attempts=models.F("attempts") + 1,
        next_attempt_at=None,
    )


def on_task_finished(task_result, exception: BaseException | None = None) -> None:
    from django_tasks.base import TaskResultStatus

    _running.set(None)
    jobs = BackgroundJob.objects.filter(task_result_id=task_result.id)
    now = timezone.now()
    if task_result.status == TaskResultStatus.SUCCESSFUL:
        jobs.update(status=JobStatus.DONE, progress=1.0, finished_at=now, error="")
        return
    exc_class = None
    if task_result.errors:
        try:
            exc_class = task_result.errors[-1].exception_class
        except (ImportError, ValueError):
            exc_class = None
    error = error_text(exception, exc_class if exception is None else type(exception))
    if not jobs.update(status=JobStatus.FAILED, finished_at=now, error=error):
        _failure_job_create(task_result, error=error, finished_at=now)


def _failure_job_create(task_result, *, error: str, finished_at: dt.datetime) -> None:
    """The job of a task marked `job_on_failure` that failed for good: shown, retryable."""
    kind = getattr(task_result.task.func, "job_on_failure", None)
    organisation_id = task_result.kwargs.get("organisation_id")
    if kind is None or organisation_id is None:
        return
    BackgroundJob.objects.create(
        organisation_id=organisation_id,
        clinic_id=task_result.kwargs.get("clinic_id"),
        kind=kind,
        status=JobStatus.FAILED,
        error=error,
        attempts=max(len(getattr(task_result, "worker_ids", ()) or ()), 1),
        started_at=task_result.started_at,
        finished_at=finished_at,
        task_path=task_result.task.module_path,
        task_args=list(task_result.args),
        task_kwargs=dict(task_result.kwargs),
        task_result_id=task_result.id,
    )


def job_retry_scheduled(*, task_result_id: str, exc: BaseException, run_after: dt.datetime):
    """The worker will try again at `run_after` after a transient error."""
    _running.set(None)
    BackgroundJob.objects.filter(task_result_id=task_result_id).update(
        status=JobStatus.QUEUED, next_attempt_at=run_after, error=error_text(exc, type(exc))
    )
