"""FHIR exports and imports, subject-access and erasure requests: data only."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class JobStatus(models.TextChoices):
    PENDING = "pending", _("Waiting")
    RUNNING = "running", _("In progress")
    DONE = "done", _("Ready")
    FAILED = "failed", _("Failed")


class BulkExport(models.Model):
    """One organisation-wide FHIR Bulk Data export (NDJSON per resource type) and its progress."""

    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    requested_at = models.DateTimeField()
    status = models.CharField(max_length=10, choices=JobStatus.choices, default=JobStatus.PENDING)
    total_patients = models.PositiveIntegerField(default=0)
    done_patients = models.PositiveIntegerField(default=0)
    # Resource type -> number of resources in its NDJSON file.
    counts = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]

    def __str__(self) -> str:
        return f"bulk export {self.pk}"

    @property
    def percent(self) -> int:
        if self.status in (JobStatus.DONE, JobStatus.FAILED):
            return 100
        return int(100 * self.done_patients / self.total_patients) if self.total_patients else 0


class BulkExportFile(models.Model):
    """One NDJSON file of a bulk export: every resource of one type, one per line, in the
    file storage (local disk or bucket) under `name`, written as the export runs."""

    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    export = models.ForeignKey(BulkExport, on_delete=models.CASCADE, related_name="files")
    resource_type = models.CharField(max_length=40)
    name = models.CharField(max_length=300)
    count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["resource_type"]
        constraints = [
            models.UniqueConstraint(fields=["export", "resource_type"], name="bulk_file_once"),
        ]

    def __str__(self) -> str:
        return f"{self.resource_type}.ndjson"

    def open(self):
        """The file, opened for reading (bytes) from the storage."""
        from django.core.files.storage import default_storage

        return default_storage.open(self.name, "rb")


class ImportedFactKind(models.TextChoices):
    CONDITION = "condition", _("Condition")
    ALLERGY = "allergy", _("Allergy")
    MEDICATION = "medication", _("Medication")


class ImportedFactStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for a clinician")
    CONFIRMED = "confirmed", _("Confirmed")
    REJECTED = "rejected", _("Rejected")


class ImportedFact(models.Model):
    """A fact read from another system's FHIR bundle: patient-reported until a clinician
    confirms it into the history (then a HistoryFact) or rejects it."""

    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.CASCADE, related_name="imported_facts"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=ImportedFactKind.choices)
    code = models.CharField(_("code"), max_length=100, blank=True)
    label = models.CharField(_("description"), max_length=300, blank=True)
    on_date = models.DateField(_("date"), null=True, blank=True)
    source = models.CharField(_("source"), max_length=300, blank=True)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    imported_at = models.DateTimeField()
    status = models.CharField(
        max_length=10, choices=ImportedFactStatus.choices, default=ImportedFactStatus.PENDING
    )
    history_fact = models.ForeignKey(
        "patients.HistoryFact", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["kind", "id"]

    def __str__(self) -> str:
        return f"{self.kind}: {self.label or self.code}"


class SubjectAccessRequest(models.Model):
    """A patient's request for a copy of their data (GDPR art. 15 and 20; 152-FZ art. 14)."""

    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.CASCADE, related_name="access_requests"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    requested_at = models.DateTimeField()
    status = models.CharField(max_length=10, choices=JobStatus.choices, default=JobStatus.PENDING)
    archive = models.BinaryField(null=True, blank=True)
    error = models.TextField(blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]

    def __str__(self) -> str:
        return f"subject access {self.pk}"


class ErasureStatus(models.TextChoices):
    RETAINED = "retained", _("Erased except records kept by law")
    ANONYMISED = "anonymised", _("Anonymised")


class ErasureRequest(models.Model):
    """A patient's request for erasure (GDPR art. 17; 152-FZ art. 21).

    Data with no retention duty is erased at once; signed clinical records are kept
    until `retain_until`, then the `mesoclinic retention` task anonymises the patient.
    """

    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="erasure_requests"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    requested_at = models.DateTimeField()
    reason = models.TextField(blank=True)
    jurisdiction = models.CharField(max_length=8)
    retain_until = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=12, choices=ErasureStatus.choices)
    # What was erased (field and table names, counts): never the erased content.
    erased = models.JSONField(default=dict, blank=True)
    anonymised_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]

    def __str__(self) -> str:
        return f"erasure {self.pk}"


class AnonymisationPass(models.Model):
    """The one way past the triggers that keep signed records unchangeable.

    `interop.services.anonymisation.patient_anonymise` writes a row naming the patient,
    rewrites that patient's identifying text, and deletes the row, all in one
    transaction: the row is never committed, so no other connection ever sees it, and
    an UPDATE of a signed record outside that transaction (ORM or raw SQL) is refused
    as before. Migration 0002 makes the triggers of signed sessions, addenda, consents,
    history facts and audit events let an UPDATE through only while a pass is open for
    the row's patient, and never one that changes the patient or a session's status.
    """

    patient_id = models.BigIntegerField()

    def __str__(self) -> str:
        return f"anonymisation pass {self.patient_id}"
