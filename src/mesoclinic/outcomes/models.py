"""Outcome scores: a validated scale's level for a zone, at baseline, a session or follow-up.

There is no edit: a wrong score is followed by a corrected one, both kept; the report
reads the first baseline and the latest follow-up of each course, scale and zone.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Timepoint(models.TextChoices):
    BASELINE = "baseline", _("Baseline")
    SESSION = "session", _("At a session")
    FOLLOW_UP = "follow_up", _("Follow-up at the course's end")
    MAINTENANCE = "maintenance", _("Six-month follow-up")


FOLLOW_UPS = (Timepoint.FOLLOW_UP, Timepoint.MAINTENANCE)


class Rater(models.TextChoices):
    INVESTIGATOR = "investigator", _("The practitioner")
    SUBJECT = "subject", _("The patient (self-reported)")


class OutcomeScore(models.Model):
    """One level of one scale, scored for a patient (and zone) on a day, by the right rater.

    FHIR: an Observation whose code is the scale (its `code_system` in the knowledge
    base), value the level, subject the patient, performer the practitioner or, for a
    patient-reported score, the patient; `derivedFrom` the photo once photos exist.
    """

    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="outcome_scores"
    )
    plan = models.ForeignKey(
        "consultations.TreatmentPlan",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="outcome_scores",
    )
    session = models.ForeignKey(
        "charting.TreatmentSession",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="outcome_scores",
    )
    scale_id = models.CharField(_("scale"), max_length=100)
    zone_id = models.CharField(_("zone"), max_length=100, blank=True)
    timepoint = models.CharField(_("when"), max_length=12, choices=Timepoint.choices)
    value = models.CharField(_("score"), max_length=16)
    # The level's number (knowledge base), kept so reports need not re-read the scale.
    score = models.SmallIntegerField()
    rater = models.CharField(_("scored by"), max_length=12, choices=Rater.choices)
    # The photo the score was read from (FHIR Observation.derivedFrom -> Media).
    photo = models.ForeignKey(
        "photos.Photo",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="outcome_scores",
        verbose_name=_("photograph"),
    )
    scored_on = models.DateField(_("date"))
    note = models.TextField(_("note"), blank=True)
    # Who typed it in: the practitioner who scored, or the member of staff who entered
    # the patient's own answer (rater = subject).
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded at"))
    knowledge_version = models.CharField(max_length=64)

    class Meta:
        verbose_name = _("outcome score")
        ordering = ["scored_on", "recorded_at", "id"]
        indexes = [
            models.Index(fields=["organisation", "patient"], name="outcome_org_patient"),
            models.Index(fields=["organisation", "plan"], name="outcome_org_plan"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(timepoint__in=Timepoint.values), name="outcome_timepoint_valid"
            ),
            models.CheckConstraint(condition=Q(rater__in=Rater.values), name="outcome_rater_valid"),
            models.CheckConstraint(
                condition=~Q(timepoint="session") | Q(session__isnull=False),
                name="outcome_session_timepoint_has_session",
            ),
        ]

    def __str__(self) -> str:
        # Names, never ids: the audit trail shows this label to people.
        from mesoclinic.consultations.engine import kb

        scale = kb().scale.get(self.scale_id)
        name = scale.short.en if scale is not None else _("scale")
        return f"{name} {self.value} ({self.scored_on:%Y-%m-%d})"

    @property
    def patient_reported(self) -> bool:
        return self.rater == Rater.SUBJECT
