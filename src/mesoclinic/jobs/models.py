"""The task queue's rows (QueuedTask) and what people see of them (BackgroundJob)."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class TaskStatus(models.TextChoices):
    """The same values as django-tasks' TaskResultStatus."""

    READY = "READY", _("Queued")
    RUNNING = "RUNNING", _("Running")
    FAILED = "FAILED", _("Failed")
    SUCCESSFUL = "SUCCESSFUL", _("Done")


class QueuedTask(models.Model):
    """One task enqueued on the database backend; a worker claims it, runs it, records it."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    task_path = models.CharField(max_length=300)
    backend_name = models.CharField(max_length=50, default="default")
    queue_name = models.CharField(max_length=50, default="default")
    priority = models.SmallIntegerField(default=0)
    args = models.JSONField(default=list)
    kwargs = models.JSONField(default=dict)
    status = models.CharField(max_length=12, choices=TaskStatus.choices, default=TaskStatus.READY)
    enqueued_at = models.DateTimeField(auto_now_add=True)
    run_after = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    last_attempted_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    return_value = models.JSONField(null=True, blank=True)
    # [{"exception_class_path": ..., "traceback": ...}] of every failed attempt.
    errors = models.JSONField(default=list, blank=True)
    worker_ids = models.JSONField(default=list, blank=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["status", "queue_name", "-priority", "enqueued_at"],
                name="jobs_queued_ready_idx",
            )
        ]

    def __str__(self) -> str:
        return f"{self.task_path} ({self.status})"


class JobStatus(models.TextChoices):
    QUEUED = "queued", pgettext_lazy("background work", "Queued")
    RUNNING = "running", pgettext_lazy("background work", "Running")
    DONE = "done", pgettext_lazy("background work", "Done")
    FAILED = "failed", pgettext_lazy("background work", "Failed")


class BackgroundJob(models.Model):
    """A piece of background work as the organisation sees it, with its progress."""

    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.CASCADE, related_name="+"
    )
    clinic = models.ForeignKey(
        "accounts.Clinic", on_delete=models.CASCADE, related_name="+", null=True, blank=True
    )
    kind = models.CharField(_("kind"), max_length=50)
    # What it is about, in the words of the person who started it ("3 December").
    subject = models.CharField(max_length=200, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=JobStatus.choices, default=JobStatus.QUEUED
    )
    progress = models.FloatField(default=0.0)
    message = models.CharField(max_length=300, blank=True)
    error = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    # The task and its arguments, so a failed job can be run again.
    task_path = models.CharField(max_length=300)
    task_args = models.JSONField(default=list)
    task_kwargs = models.JSONField(default=dict)
    task_result_id = models.CharField(max_length=64, blank=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["organisation", "-created_at"], name="jobs_org_recent_idx")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(progress__gte=0) & models.Q(progress__lte=1),
                name="jobs_progress_0_1",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.pk} ({self.status})"

    @property
    def percent(self) -> int:
        return round(self.progress * 100)

    @property
    def finished(self) -> bool:
        return self.status in (JobStatus.DONE, JobStatus.FAILED)
