"""Clinical photographs and the patient's separate, signed consent to them.

A photograph is stored through Django's storage API (never under a public URL) with
the fields a FHIR Media resource needs: content type, view, body site (zone), when it
was taken and by whom.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class PhotoConsentScope(models.TextChoices):
    """What the photographs may be used for; each scope includes the ones before it."""

    RECORD = "record", _("Medical record only")
    EDUCATION = "education", _("Medical record and professional education (anonymised)")
    MARKETING = "marketing", _("Medical record, education and the clinic's publicity")


WITHDRAWAL_FIELDS = frozenset({"withdrawn_at", "withdrawn_by", "withdrawal_reason"})


class PhotoConsent(models.Model):
    """A signed consent to clinical photographs: the exact text, its hash, the signature.

    The text and signature never change; the only later write is the withdrawal
    (who, when, why), after which the photographs taken under it are hidden from
    everyone but the clinic's owner.
    """

    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="photo_consents"
    )
    scope = models.CharField(_("use of the photographs"), max_length=12, choices=PhotoConsentScope)
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES)
    text = models.TextField(_("text"))
    text_sha256 = models.CharField(_("SHA-256 of the text"), max_length=64)
    signer_name = models.CharField(_("signed by"), max_length=300)
    signature_png = models.TextField(_("signature"))
    collected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    signed_at = models.DateTimeField(_("signed at"))
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    withdrawal_reason = models.CharField(_("reason for withdrawal"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("photo consent")
        ordering = ["-signed_at", "-id"]
        indexes = [models.Index(fields=["organisation", "patient"], name="photoconsent_patient")]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(signature_png="") & ~models.Q(signer_name=""),
                name="photoconsent_signed",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.patient} — {self.signed_at:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs):
        # Signed text and signature never change: after creation only the withdrawal is written.
        fields = kwargs.get("update_fields")
        if not self._state.adding and (fields is None or not set(fields) <= WITHDRAWAL_FIELDS):
            raise ValueError("a signed photo consent changes only by its withdrawal")
        super().save(*args, **kwargs)

    @property
    def is_current(self) -> bool:
        return self.withdrawn_at is None


class Photo(models.Model):
    """One clinical photograph of a patient: a zone seen from a standard view."""

    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="photos")
    consent = models.ForeignKey(PhotoConsent, on_delete=models.PROTECT, related_name="photos")
    session = models.ForeignKey(
        "charting.TreatmentSession",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="photos",
        verbose_name=_("session"),
    )
    # Body site (FHIR Media.bodySite) and view (Media.view) as knowledge-base ids.
    zone_id = models.CharField(_("zone"), max_length=100)
    view_id = models.CharField(_("view"), max_length=100)
    image = models.CharField(max_length=300)  # storage name of the processed image
    thumbnail = models.CharField(max_length=300)  # storage name of the thumbnail
    content_type = models.CharField(max_length=40, default="image/jpeg")
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    size_bytes = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    taken_at = models.DateTimeField(_("taken at"))
    operator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("taken by"),
    )
    # Measurements (sharpness, brightness, clipping) and the checks it failed but was kept.
    quality = models.JSONField(default=dict)
    quality_issues = models.JSONField(default=list)

    class Meta:
        verbose_name = _("clinical photograph")
        ordering = ["taken_at", "id"]
        indexes = [
            models.Index(
                fields=["organisation", "patient", "zone_id", "view_id"], name="photo_patient_view"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.patient} — {self.zone_id} {self.view_id} {self.taken_at:%Y-%m-%d}"

    @property
    def kept_below_standard(self) -> bool:
        return bool(self.quality_issues)
