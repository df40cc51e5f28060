"""What people see of background work (BackgroundJob).

The queue itself is django-tasks' database backend (`django_tasks_db.DBTaskResult`).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


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
