"""A django-tasks backend that keeps the queue in the database (QueuedTask).

Any app server enqueues (inside the request's transaction: a rolled-back request
queues nothing); `mesoclinic worker` processes claim and run the tasks. Tasks may be
deferred (`run_after`), prioritised, and their results read back from any process.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.module_loading import import_string
from django_tasks.backends.base import BaseTaskBackend
from django_tasks.base import Task, TaskError, TaskResult, TaskResultStatus
from django_tasks.exceptions import TaskResultDoesNotExist
from django_tasks.signals import task_enqueued
from django_tasks.utils import normalize_json


class DatabaseBackend(BaseTaskBackend):
    supports_defer = True
    supports_get_result = True
    supports_priority = True
    supports_async_task = False

    def enqueue(self, task: Task, args: Any, kwargs: Any) -> TaskResult:
        from mesoclinic.jobs.models import QueuedTask

        self.validate_task(task)
        with transaction.atomic():
            row = QueuedTask.objects.create(
                task_path=task.module_path,
                backend_name=self.alias,
                queue_name=task.queue_name,
                priority=task.priority,
                args=normalize_json(list(args)),
                kwargs=normalize_json(dict(kwargs)),
                run_after=task.run_after,
            )
        result = task_result_from_row(row, task=task)
        task_enqueued.send(type(self), task_result=result)
        return result

    def get_result(self, result_id: str) -> TaskResult:
        from django.core.exceptions import ValidationError

        from mesoclinic.jobs.models import QueuedTask

        try:
            row = QueuedTask.objects.get(pk=result_id, backend_name=self.alias)
        except (QueuedTask.DoesNotExist, ValidationError, ValueError) as exc:
            raise TaskResultDoesNotExist(result_id) from exc
        return task_result_from_row(row)


def task_result_from_row(row, *, task: Task | None = None) -> TaskResult:
    """The django-tasks view of a queued row."""
    if task is None:
        task = import_string(row.task_path)
    if row.run_after is not None and task.run_after != row.run_after:
        task = task.using(run_after=row.run_after)
    result = TaskResult(
        task=task,
        id=str(row.pk),
        status=TaskResultStatus(row.status),
        enqueued_at=row.enqueued_at,
        started_at=row.started_at,
        last_attempted_at=row.last_attempted_at,
        finished_at=row.finished_at,
        args=list(row.args),
        kwargs=dict(row.kwargs),
        backend=row.backend_name,
        errors=[
            TaskError(exception_class_path=e["exception_class_path"], traceback=e["traceback"])
            for e in row.errors
        ],
        worker_ids=list(row.worker_ids),
    )
    if row.status == TaskResultStatus.SUCCESSFUL:
        object.__setattr__(result, "_return_value", row.return_value)
    return result
