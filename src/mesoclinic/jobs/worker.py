"""The worker: claims queued tasks from the database and runs them, one at a time.

The queue is django-tasks' database backend (`django_tasks_db`): any app server
enqueues a row (inside the request's transaction: a rolled-back request queues
nothing); this worker claims the next due row with a row lock (`SKIP LOCKED` on
PostgreSQL, an exclusive transaction on SQLite), so exactly one of several workers,
on several machines, runs it. What Mesoclinic adds to the library's own worker: a
task that fails with an error its retry policy calls transient is queued again after
a back-off; any other failure is recorded (the error and its traceback) and shown on
the Background work page; stopped workers' tasks are taken up again; old rows pruned.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import os
import signal
import socket
import time
from collections.abc import Callable, Iterable

from django.db import OperationalError, close_old_connections, connection, models
from django.utils import timezone
from django_tasks import task_backends
from django_tasks.base import Task, TaskContext, TaskResultStatus
from django_tasks.signals import task_finished, task_started
from django_tasks.utils import get_exception_traceback, normalize_json
from django_tasks_db import DatabaseBackend
from django_tasks_db.models import DBTaskResult
from django_tasks_db.utils import exclusive_transaction, is_locked_database_exception

logger = logging.getLogger("mesoclinic.worker")


@dataclasses.dataclass(frozen=True)
class RetryPolicy:
    """Which errors are transient, how often to try, and how long to wait between tries."""

    on: tuple[type[BaseException], ...]
    max_attempts: int = 5
    backoff_s: float = 30.0
    max_backoff_s: float = 3600.0

    def delay(self, attempt: int) -> dt.timedelta:
        """The wait after failed attempt number `attempt` (1-based): doubling, capped."""
        return dt.timedelta(seconds=min(self.backoff_s * 2 ** (attempt - 1), self.max_backoff_s))


def retry(
    *on: type[BaseException],
    max_attempts: int = 5,
    backoff_s: float = 30.0,
    max_backoff_s: float = 3600.0,
) -> Callable[[Callable], Callable]:
    """Mark a task function as retried on transient errors; put it under `@task()`.

        @task()
        @retry(smtplib.SMTPException, OSError, max_attempts=5, backoff_s=60)
        def reminder_send(appointment_id): ...

    The worker re-queues a failed attempt with run_after = now + backoff_s × 2^(n-1)
    until `max_attempts` attempts have failed; then the task is failed for good.
    """

    def mark(func: Callable) -> Callable:
        func.retry_policy = RetryPolicy(  # type: ignore[attr-defined]
            on=on or (Exception,),
            max_attempts=max_attempts,
            backoff_s=backoff_s,
            max_backoff_s=max_backoff_s,
        )
        return func

    return mark


def retry_policy_of(task: Task) -> RetryPolicy | None:
    return getattr(task.func, "retry_policy", None)


def worker_id_default() -> str:
    return f"{socket.gethostname()}-{os.getpid()}"[:64]


def _ready(queues: Iterable[str], backend_alias: str) -> models.QuerySet:
    return DBTaskResult.objects.ready().filter(
        backend_name=backend_alias, queue_name__in=list(queues)
    )


def claim_next(*, queues: Iterable[str], backend_alias: str, worker_id: str) -> DBTaskResult | None:
    """Take the next due task for this worker, or None when nothing is due."""
    tasks = _ready(queues, backend_alias)
    try:
        with exclusive_transaction(tasks.db):
            row = tasks.get_locked()
            if row is not None:
                row.claim(worker_id)
    except OperationalError as exc:
        if is_locked_database_exception(exc):  # SQLite: another worker is claiming
            return None
        raise
    return row


def run_row(row: DBTaskResult) -> str:
    """Run one claimed task and record the outcome; returns the row's new status."""
    task = row.task
    backend_type = type(task.get_backend())
    task_started.send(sender=backend_type, task_result=row.task_result)
    result = row.task_result
    try:
        if task.takes_context:
            value = task.call(TaskContext(task_result=result), *result.args, **result.kwargs)
        else:
            value = task.call(*result.args, **result.kwargs)
        row.set_successful(normalize_json(value))
    except KeyboardInterrupt:
        raise
    except BaseException as exc:
        return _failed(row, task, exc)
    task_finished.send(sender=backend_type, task_result=row.task_result)
    return row.status


def _failed(row: DBTaskResult, task: Task, exc: BaseException) -> str:
    from mesoclinic.jobs.services import job_retry_scheduled

    policy = retry_policy_of(task)
    attempt = len(row.worker_ids)
    if policy is not None and isinstance(exc, policy.on) and attempt < policy.max_attempts:
        # Queued again on the same row: the row keeps the last error and, in
        # worker_ids, one entry per attempt.
        row.status = TaskResultStatus.READY
        row.run_after = timezone.now() + policy.delay(attempt)
        row.exception_class_path = f"{type(exc).__module__}.{type(exc).__qualname__}"
        row.traceback = get_exception_traceback(exc)
        row.save(update_fields=["status", "run_after", "exception_class_path", "traceback"])
        logger.warning(
            "Task %s %s failed (attempt %s of %s: %s); trying again at %s",
            row.pk,
            row.task_path,
            attempt,
            policy.max_attempts,
            type(exc).__name__,
            row.run_after.isoformat(timespec="seconds"),
        )
        job_retry_scheduled(task_result_id=str(row.pk), exc=exc, run_after=row.run_after)
        return row.status
    row.set_failed(exc)
    task_finished.send(sender=type(task.get_backend()), task_result=row.task_result, exception=exc)
    return row.status


def run_pending(
    *,
    queues: Iterable[str] = ("default",),
    backend_alias: str = "default",
    worker_id: str | None = None,
    max_tasks: int | None = None,
) -> int:
    """Run due tasks until none is left (or `max_tasks` ran); returns how many ran."""
    worker_id = worker_id or worker_id_default()
    ran = 0
    while max_tasks is None or ran < max_tasks:
        row = claim_next(queues=queues, backend_alias=backend_alias, worker_id=worker_id)
        if row is None:
            break
        run_row(row)
        ran += 1
    return ran


def requeue_stale(*, older_than: dt.timedelta, backend_alias: str = "default") -> int:
    """Queue again tasks left running by a worker that died (killed, machine lost)."""
    cutoff = timezone.now() - older_than
    return DBTaskResult.objects.filter(
        status=TaskResultStatus.RUNNING, backend_name=backend_alias, started_at__lt=cutoff
    ).update(status=TaskResultStatus.READY)


def prune_finished(*, older_than: dt.timedelta) -> int:
    """Delete finished task rows and finished jobs older than `older_than`; returns rows."""
    from mesoclinic.jobs.models import BackgroundJob, JobStatus

    cutoff = timezone.now() - older_than
    tasks, _ = DBTaskResult.objects.filter(
        status__in=[TaskResultStatus.SUCCESSFUL, TaskResultStatus.FAILED],
        finished_at__lt=cutoff,
    ).delete()
    jobs, _ = BackgroundJob.objects.filter(
        status__in=[JobStatus.DONE, JobStatus.FAILED], finished_at__lt=cutoff
    ).delete()
    return tasks + jobs


def run_worker(
    *,
    queues: Iterable[str] = ("default",),
    backend_alias: str = "default",
    interval_s: float = 1.0,
    batch: bool = False,
    max_tasks: int | None = None,
    worker_id: str | None = None,
    stale_after: dt.timedelta | None = None,
    keep: dt.timedelta | None = dt.timedelta(days=90),
) -> int:
    """The worker loop: run due tasks, sleep `interval_s` when idle, stop on SIGTERM/SIGINT.

    With `batch`, stop as soon as no task is due. A stop request lets the running
    task finish first. Finished work older than `keep` is deleted at start and hourly.
    Returns how many tasks ran.
    """
    backend = task_backends[backend_alias]
    if not isinstance(backend, DatabaseBackend):
        raise RuntimeError(
            f"the task backend {backend_alias!r} is {type(backend).__name__}, not the "
            "database backend; set TASKS_BACKEND=database for a worker"
        )
    worker_id = worker_id or worker_id_default()
    stopping = False

    def stop(signum, frame):
        nonlocal stopping
        stopping = True
        logger.info("Worker %s stopping after the current task", worker_id)

    previous = {s: signal.signal(s, stop) for s in (signal.SIGTERM, signal.SIGINT)}
    ran = 0
    logger.info("Worker %s started, queues %s", worker_id, ", ".join(queues))
    try:
        if stale_after is not None:
            requeued = requeue_stale(older_than=stale_after, backend_alias=backend_alias)
            if requeued:
                logger.warning("Queued again %s task(s) left running by a stopped worker", requeued)
        pruned_at = None
        while not stopping and (max_tasks is None or ran < max_tasks):
            if keep is not None and (pruned_at is None or time.monotonic() - pruned_at > 3600):
                pruned_at = time.monotonic()
                prune_finished(older_than=keep)
            if not connection.in_atomic_block:  # (inside a test's transaction: keep it)
                close_old_connections()
            row = claim_next(queues=queues, backend_alias=backend_alias, worker_id=worker_id)
            if row is None:
                if batch:
                    break
                time.sleep(interval_s)
                continue
            status = run_row(row)
            ran += 1
            if status != TaskResultStatus.SUCCESSFUL:
                logger.info("Task %s %s: %s", row.pk, row.task_path, status)
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
    logger.info("Worker %s stopped after %s task(s)", worker_id, ran)
    return ran
