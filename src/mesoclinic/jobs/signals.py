"""Jobs follow their tasks through django-tasks' signals, whatever the backend."""

from __future__ import annotations

from django.dispatch import receiver
from django_tasks.signals import task_enqueued, task_finished, task_started

from mesoclinic.jobs import services


@receiver(task_enqueued, dispatch_uid="jobs.enqueued")
def _enqueued(sender, task_result, **kwargs):
    services.on_task_enqueued(task_result)


@receiver(task_started, dispatch_uid="jobs.started")
def _started(sender, task_result, **kwargs):
    services.on_task_started(task_result)


@receiver(task_finished, dispatch_uid="jobs.finished")
def _finished(sender, task_result, exception=None, **kwargs):
    services.on_task_finished(task_result, exception)
