"""Consultations, treatment plans and informed consents: data only; rules in services."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Consultation(models.Model):
    """A practitioner's assessment: examination, concerns, indications and zones."""

    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="consultations"
    )
    practitioner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    held_on = models.DateField(_("date"))
    created_at = models.DateTimeField(_("recorded at"))
    examination = models.TextField(_("examination"), blank=True)
    concerns = models.TextField(_("patient's concerns"), blank=True)
    indications = models.JSONField(_("indications"), default=list)
    zones = models.JSONField(_("zones"), default=list)
    # Findings on examination (finding.* codes), in all the chosen zones.
    findings = models.JSONField(_("findings"), default=list, blank=True)
    knowledge_version = models.CharField(max_length=64)

    class Meta:
        verbose_name = _("consultation")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.patient} — {self.held_on:%Y-%m-%d}"


class PlanStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    ACTIVE = "active", _("Active")
    COMPLETED = "completed", _("Completed")
    CANCELLED = "cancelled", _("Cancelled")


class ScreeningLevel(models.TextChoices):
    OK = "ok", _("No objection")
    WARN = "warn", _("Warning")
    POSTPONE = "postpone", _("Postpone")
    BLOCK = "block", _("Blocked")


class TreatmentPlan(models.Model):
    """A course: zones, techniques, cocktail, sessions and their interval window.

    Used by charting and scheduling: `zones`, `technique_ids`, `product_doses`
    (product id -> mL per session), `sessions`, `interval_min_days`,
    `interval_max_days`, `preferred_interval_days`, `target_start`, `status`,
    `practitioner`, `clinic` and `knowledge_version` (of the last screening).
    """

    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="plans")
    consultation = models.ForeignKey(
        Consultation, on_delete=models.PROTECT, null=True, blank=True, related_name="plans"
    )
    practitioner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    protocol_id = models.CharField(_("protocol"), max_length=100, blank=True)
    zones = models.JSONField(_("zones"), default=list)
    technique_ids = models.JSONField(_("techniques"), default=list)
    sessions = models.PositiveSmallIntegerField(_("number of sessions"))
    interval_min_days = models.PositiveSmallIntegerField(_("minimum interval (days)"))
    interval_max_days = models.PositiveSmallIntegerField(_("maximum interval (days)"))
    preferred_interval_days = models.PositiveSmallIntegerField(_("preferred interval (days)"))
    target_start = models.DateField(_("target start"))
    status = models.CharField(
        _("status"), max_length=12, choices=PlanStatus.choices, default=PlanStatus.DRAFT
    )
    # The last screening: strictest level, verdicts (JSON of the engine's output),
    # when, and against which knowledge-base version.
    screening_level = models.CharField(
        max_length=10, choices=ScreeningLevel.choices, default=ScreeningLevel.OK
    )
    screening = models.JSONField(default=list, blank=True)
    screened_at = models.DateTimeField(null=True, blank=True)
    knowledge_version = models.CharField(max_length=64, blank=True)
    # sha256 of what determines the risks (zones, techniques, products, ingredients):
    # a consent is current only while the plan's risk_hash equals the consent's.
    risk_hash = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    activated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("treatment plan")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["organisation", "status"], name="plan_org_status")]
        constraints = [
            models.CheckConstraint(condition=models.Q(sessions__gte=1), name="plan_sessions_min_1"),
            models.CheckConstraint(
                condition=models.Q(interval_min_days__gte=1)
                & models.Q(interval_min_days__lte=models.F("preferred_interval_days"))
                & models.Q(preferred_interval_days__lte=models.F("interval_max_days")),
                name="plan_interval_window_ordered",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=[s.value for s in PlanStatus]),
                name="plan_status_valid",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="active") | ~models.Q(screening_level="block"),
                name="plan_active_not_blocked",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.patient} — {self.protocol_id or _('custom plan')}"

    @property
    def product_doses(self) -> dict[str, float]:
        """Product id -> dose in mL per session."""
        return {p.product_id: float(p.dose_ml) for p in self.products.all()}

    @property
    def product_ids(self) -> list[str]:
        return [p.product_id for p in self.products.all()]

    @property
    def blocked(self) -> bool:
        return self.screening_level == ScreeningLevel.BLOCK


class PlanProduct(models.Model):
    """One product of a plan's cocktail with its dose per session."""

    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    plan = models.ForeignKey(TreatmentPlan, on_delete=models.CASCADE, related_name="products")
    product_id = models.CharField(_("product"), max_length=100)
    dose_ml = models.DecimalField(_("dose per session (mL)"), max_digits=6, decimal_places=2)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "product_id"], name="plan_product_unique"),
            models.CheckConstraint(
                condition=models.Q(dose_ml__gt=0), name="plan_product_dose_gt_0"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.product_id} {self.dose_ml} mL"


class Consent(models.Model):
    """A signed informed consent for one plan: the exact text, its hash, the signature.

    Immutable once written: the database refuses UPDATE (migration 0002) and DELETE
    (migration 0003). A plan
    change that changes the risks makes it stale (risk_hash differs); a new
    consent is then signed.
    """

    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="consents"
    )
    plan = models.ForeignKey(TreatmentPlan, on_delete=models.PROTECT, related_name="consents")
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES)
    text = models.TextField(_("text"))
    text_sha256 = models.CharField(_("SHA-256 of the text"), max_length=64)
    risk_hash = models.CharField(max_length=64)
    knowledge_version = models.CharField(max_length=64)
    signer_name = models.CharField(_("signed by"), max_length=300)
    signature_png = models.TextField(_("signature"))
    collected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    signed_at = models.DateTimeField(_("signed at"))

    class Meta:
        verbose_name = _("informed consent")
        ordering = ["-signed_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(signature_png="") & ~models.Q(signer_name=""),
                name="consent_signed",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.patient} — {self.signed_at:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ValueError("signed consents are immutable")
        super().save(*args, **kwargs)
