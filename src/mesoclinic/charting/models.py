"""Treatment sessions: check-in screening, charted zones, signature, addenda, side effects.

A signed session and its entries are immutable: the database refuses UPDATE and
DELETE of them (migration 0002); corrections are addenda, which are append-only.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from mesoclinic.choices import ChoiceLabels


class SessionStatus(models.TextChoices):
    CHECKED_IN = "checked_in", _("Checked in")
    CHARTING = "charting", _("Charting")
    SIGNED = "signed", _("Signed")
    POSTPONED = "postponed", _("Postponed")


class ScreeningLevel(models.TextChoices):
    OK = "ok", _("No objection")
    WARN = "warn", _("Warning")
    POSTPONE = "postpone", _("Postpone")
    BLOCK = "block", _("Blocked")


class TreatmentSession(ChoiceLabels, models.Model):
    """One session of care: the check-in screening, the chart and its signature."""

    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="treatment_sessions"
    )
    practitioner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    appointment = models.OneToOneField(
        "scheduling.Appointment",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="treatment_session",
    )
    plan = models.ForeignKey(
        "consultations.TreatmentPlan",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="treatment_sessions",
    )
    session_number = models.PositiveSmallIntegerField(_("session"), default=1)
    session_date = models.DateField(_("date"))
    status = models.CharField(
        _("status"), max_length=12, choices=SessionStatus.choices, default=SessionStatus.CHECKED_IN
    )
    # Check-in: the answers (visit question id -> answer), the request sent to the
    # engine and its full result, so the verdict can be replayed.
    checkin_answers = models.JSONField(default=dict, blank=True)
    screening_request = models.JSONField(default=dict, blank=True)
    screening_result = models.JSONField(default=dict, blank=True)
    screening_level = models.CharField(
        _("screening"), max_length=10, choices=ScreeningLevel.choices, default=ScreeningLevel.OK
    )
    screening_until = models.DateField(_("postponed until"), null=True, blank=True)
    screened_at = models.DateTimeField(_("screened at"))
    screened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    knowledge_version = models.CharField(max_length=64)
    # An authorised override of a block or postponement: kept on the record forever.
    override_reason = models.TextField(_("override reason"), blank=True)
    override_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    override_at = models.DateTimeField(null=True, blank=True)
    override_rules = models.JSONField(default=list, blank=True)
    # Where the clinic asks for it (ScreeningSettings, copied at override time), the
    # override lifts the stop only once a second clinician has co-signed it. Nullable
    # columns only: SQLite adds them in place, keeping the immutability triggers.
    override_cosign_required = models.BooleanField(null=True, blank=True)
    override_cosigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    override_cosigned_at = models.DateTimeField(null=True, blank=True)
    # The screening of the charted session (volumes, depths, lots, credentials).
    chart_screening = models.JSONField(default=dict, blank=True)
    chart_level = models.CharField(max_length=10, blank=True)
    # Idempotent saves: a retried POST carries the token of the save it repeats.
    last_save_token = models.CharField(max_length=64, blank=True)
    version = models.PositiveIntegerField(default=1)
    signed_at = models.DateTimeField(_("signed at"), null=True, blank=True)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    signed_knowledge_version = models.CharField(max_length=64, blank=True)
    # The appointment as it was at signing: a later change to the appointment row
    # does not change what the signed record shows.
    appointment_status = models.CharField(_("appointment status"), max_length=12, blank=True)
    appointment_starts_at = models.DateTimeField(_("appointment time"), null=True, blank=True)
    next_earliest = models.DateField(_("next session from"), null=True, blank=True)
    next_latest = models.DateField(_("next session by"), null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("treatment session")
        ordering = ["-session_date", "-id"]
        indexes = [
            models.Index(fields=["organisation", "patient"], name="tsession_org_patient"),
            models.Index(fields=["clinic", "session_date"], name="tsession_clinic_date"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=SessionStatus.values), name="tsession_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(screening_level__in=ScreeningLevel.values),
                name="tsession_level_valid",
            ),
            models.CheckConstraint(
                condition=~Q(status="signed")
                | (
                    Q(signed_at__isnull=False)
                    & Q(signed_by__isnull=False)
                    & ~Q(signed_knowledge_version="")
                ),
                name="tsession_signed_complete",
            ),
            models.CheckConstraint(
                condition=Q(override_by__isnull=True) | ~Q(override_reason=""),
                name="tsession_override_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.patient} — {self.session_date:%Y-%m-%d}"

    @property
    def is_signed(self) -> bool:
        return self.status == SessionStatus.SIGNED

    @property
    def appointment_status_display(self) -> str:
        """The appointment's status as it was at signing (the live one before)."""
        from mesoclinic.scheduling.models import AppointmentStatus

        status = self.appointment_status
        if not status and self.appointment_id:
            status = self.appointment.status
        return str(AppointmentStatus(status).label) if status else ""

    @property
    def shown_appointment_starts_at(self):
        if self.appointment_starts_at is not None:
            return self.appointment_starts_at
        return self.appointment.starts_at if self.appointment_id else None

    @property
    def overridden(self) -> bool:
        return self.override_by_id is not None

    @property
    def override_complete(self) -> bool:
        """Overridden, and co-signed where the clinic requires a co-signature."""
        return self.overridden and (
            not self.override_cosign_required or self.override_cosigned_by_id is not None
        )

    @property
    def screening_stops(self) -> bool:
        """A block or postponement that no authorised (and co-signed) override has lifted."""
        return self.screening_level in ("block", "postpone") and not self.override_complete


class ChartEntry(models.Model):
    """What was done in one zone: technique, depth, needle, points, product lot and volume."""

    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    session = models.ForeignKey(TreatmentSession, on_delete=models.PROTECT, related_name="entries")
    position = models.PositiveSmallIntegerField(default=0)
    zone_id = models.CharField(_("zone"), max_length=100)
    technique_id = models.CharField(_("technique"), max_length=100)
    depth_mm = models.DecimalField(
        _("depth (mm)"), max_digits=4, decimal_places=1, null=True, blank=True
    )
    needle_gauge = models.PositiveSmallIntegerField(_("needle gauge (G)"), null=True, blank=True)
    needle_length_mm = models.DecimalField(
        _("needle length (mm)"), max_digits=4, decimal_places=1, null=True, blank=True
    )
    points = models.PositiveIntegerField(_("points or papules"), null=True, blank=True)
    spacing_mm = models.DecimalField(
        _("spacing (mm)"), max_digits=4, decimal_places=1, null=True, blank=True
    )
    product = models.ForeignKey(
        "inventory.Product", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    lot = models.ForeignKey(
        "inventory.Lot", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    volume_ml = models.DecimalField(
        _("volume (mL)"), max_digits=6, decimal_places=3, null=True, blank=True
    )
    device = models.ForeignKey(
        "scheduling.Device", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    device_params = models.CharField(_("device parameters"), max_length=300, blank=True)
    # Copied from the product and lot at signing, so a later rename or correction of
    # those rows does not change what the signed record shows (empty before signing
    # and on records signed before the copy existed: then the live rows are shown).
    product_name = models.CharField(_("product name"), max_length=200, blank=True)
    lot_number = models.CharField(_("lot number"), max_length=60, blank=True)
    lot_expiry = models.DateField(_("lot expiry date"), null=True, blank=True)

    class Meta:
        verbose_name = _("chart entry")
        ordering = ["session", "position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(volume_ml__isnull=True) | Q(volume_ml__gt=0),
                name="chartentry_volume_positive",
            ),
            models.CheckConstraint(
                condition=Q(depth_mm__isnull=True) | Q(depth_mm__gte=0),
                name="chartentry_depth_non_negative",
            ),
            models.CheckConstraint(
                condition=(Q(lot__isnull=True) & Q(product__isnull=True))
                | (Q(lot__isnull=False) & Q(product__isnull=False) & Q(volume_ml__isnull=False)),
                name="chartentry_lot_product_volume",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.zone_id} {self.technique_id} {self.volume_ml or ''}"

    @property
    def shown_product_name(self) -> str:
        """The product's name as signed (the live name on a draft)."""
        if self.product_name:
            return self.product_name
        return self.product.name if self.product_id else ""

    @property
    def shown_lot_number(self) -> str:
        if self.lot_number:
            return self.lot_number
        return self.lot.lot_number if self.lot_id else ""

    @property
    def shown_lot_expiry(self):
        if self.lot_expiry is not None:
            return self.lot_expiry
        return self.lot.expiry_date if self.lot_id else None


class PointCanvas(models.TextChoices):
    """Where a point is placed: one of the charting pictures, or a clinical photograph."""

    FACE = "face", _("Face, front")
    PROFILE = "profile", _("Face, profile")
    BODY = "body", _("Body, front and back")
    SCALP = "scalp", _("Scalp")
    PHOTO = "photo", _("Photograph")


class PointKind(models.TextChoices):
    POINT = "point", _("Point")
    LINE = "line", _("Line")


class ChartPoint(models.Model):
    """One injection point (or line of a linear technique) of a chart entry on a picture.

    Coordinates are fractions (0..1) of the picture's width and height, so they hold
    for any size the picture is drawn at. A line runs from (x, y) to (x2, y2). The
    product lot is the entry's unless the point names its own; volume and depth are
    the point's own. The session is stored with the point so the database can refuse
    changes once it is signed (migration 0006), like the entries themselves.
    """

    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    session = models.ForeignKey(TreatmentSession, on_delete=models.PROTECT, related_name="+")
    entry = models.ForeignKey(ChartEntry, on_delete=models.CASCADE, related_name="sites")
    position = models.PositiveSmallIntegerField(default=0)
    canvas = models.CharField(_("picture"), max_length=10, choices=PointCanvas.choices)
    photo = models.ForeignKey(
        "photos.Photo", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(
        _("kind"), max_length=6, choices=PointKind.choices, default=PointKind.POINT
    )
    x = models.DecimalField(max_digits=5, decimal_places=4)
    y = models.DecimalField(max_digits=5, decimal_places=4)
    x2 = models.DecimalField(max_digits=5, decimal_places=4, null=True, blank=True)
    y2 = models.DecimalField(max_digits=5, decimal_places=4, null=True, blank=True)
    lot = models.ForeignKey(
        "inventory.Lot", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    volume_ml = models.DecimalField(
        _("volume (mL)"), max_digits=6, decimal_places=3, null=True, blank=True
    )
    depth_mm = models.DecimalField(
        _("depth (mm)"), max_digits=4, decimal_places=1, null=True, blank=True
    )
    # Copied at signing, like the entry's (empty when the point has no lot of its own).
    lot_number = models.CharField(_("lot number"), max_length=60, blank=True)

    class Meta:
        verbose_name = _("injection point")
        ordering = ["entry", "position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(x__gte=0) & Q(x__lte=1) & Q(y__gte=0) & Q(y__lte=1),
                name="chartpoint_xy_in_picture",
            ),
            models.CheckConstraint(
                # A NULL makes a CHECK pass: the line's end is required explicitly.
                condition=(Q(kind="point") & Q(x2__isnull=True) & Q(y2__isnull=True))
                | (
                    Q(kind="line")
                    & Q(x2__isnull=False)
                    & Q(y2__isnull=False)
                    & Q(x2__gte=0)
                    & Q(x2__lte=1)
                    & Q(y2__gte=0)
                    & Q(y2__lte=1)
                ),
                name="chartpoint_kind_shape",
            ),
            models.CheckConstraint(
                condition=(Q(canvas="photo") & Q(photo__isnull=False))
                | (~Q(canvas="photo") & Q(photo__isnull=True)),
                name="chartpoint_photo_canvas",
            ),
            models.CheckConstraint(
                condition=Q(volume_ml__isnull=True) | Q(volume_ml__gt=0),
                name="chartpoint_volume_positive",
            ),
            models.CheckConstraint(
                condition=Q(depth_mm__isnull=True) | Q(depth_mm__gte=0),
                name="chartpoint_depth_non_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.entry_id} {self.kind} {self.x},{self.y}"

    @property
    def shown_lot_number(self) -> str:
        """The point's own lot as signed (live on a draft); empty when it is the entry's."""
        if self.lot_number:
            return self.lot_number
        return self.lot.lot_number if self.lot_id else ""


class Addendum(models.Model):
    """A correction or note added to a signed session; append-only."""

    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    session = models.ForeignKey(TreatmentSession, on_delete=models.PROTECT, related_name="addenda")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("written at"))
    text = models.TextField(_("text"))

    class Meta:
        verbose_name = _("addendum")
        verbose_name_plural = _("addenda")
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(condition=~Q(text=""), name="addendum_text_required"),
        ]

    def __str__(self) -> str:
        return f"{self.session} + {self.created_at:%Y-%m-%d %H:%M}"


class SideEffectPhase(models.TextChoices):
    SESSION = "session", _("At the session")
    FOLLOW_UP = "follow_up", _("At follow-up")


class SideEffectSeverity(models.TextChoices):
    MILD = "mild", _("Mild")
    MODERATE = "moderate", _("Moderate")
    SEVERE = "severe", _("Severe")


class SideEffectOutcome(models.TextChoices):
    ONGOING = "ongoing", _("Ongoing")
    RESOLVED = "resolved", _("Resolved")
    RESOLVED_SEQUELAE = "sequelae", _("Resolved with sequelae")
    UNKNOWN = "unknown", _("Unknown")


class SideEffect(models.Model):
    """A side effect seen at the session or at follow-up (a knowledge-base `se.*` id)."""

    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    session = models.ForeignKey(
        TreatmentSession, on_delete=models.PROTECT, related_name="side_effects"
    )
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("side effect"), max_length=100)
    zone_id = models.CharField(_("zone"), max_length=100, blank=True)
    phase = models.CharField(_("seen"), max_length=12, choices=SideEffectPhase.choices)
    severity = models.CharField(_("severity"), max_length=10, choices=SideEffectSeverity.choices)
    pain_score = models.PositiveSmallIntegerField(_("pain score (0-10)"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=10, choices=SideEffectOutcome.choices)
    serious = models.BooleanField(_("serious"), default=False)
    onset_on = models.DateField(_("onset"))
    note = models.TextField(_("note"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded at"))

    class Meta:
        verbose_name = _("side effect")
        ordering = ["recorded_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(pain_score__isnull=True) | Q(pain_score__lte=10),
                name="sideeffect_pain_0_10",
            ),
            models.CheckConstraint(
                condition=Q(severity__in=SideEffectSeverity.values),
                name="sideeffect_severity_valid",
            ),
            models.CheckConstraint(
                condition=Q(outcome__in=SideEffectOutcome.values), name="sideeffect_outcome_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} ({self.severity})"


class PatientFlag(models.Model):
    """A warning on the patient's record raised by a serious side effect."""

    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="clinical_flags"
    )
    side_effect = models.OneToOneField(
        SideEffect, on_delete=models.PROTECT, related_name="patient_flag"
    )
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("patient flag")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.patient}: {self.side_effect}"


class AftercarePolicy(models.Model):
    """A clinic's own aftercare durations (aftercare id -> hours), over the knowledge base."""

    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    clinic = models.OneToOneField(
        "accounts.Clinic", on_delete=models.CASCADE, related_name="aftercare_policy"
    )
    hours = models.JSONField(default=dict, blank=True)
    updated_at = models.DateTimeField()

    class Meta:
        verbose_name = _("aftercare durations")

    def __str__(self) -> str:
        return str(self.clinic)


class ScreeningSettings(models.Model):
    """A clinic's screening decisions: who must sign an override, whether off-label is allowed.

    A clinic without a row uses the defaults (no co-signature; no off-label use).
    """

    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    clinic = models.OneToOneField(
        "accounts.Clinic", on_delete=models.CASCADE, related_name="screening_settings"
    )
    override_cosign_required = models.BooleanField(
        _("an override needs a second clinician's co-signature"), default=False
    )
    off_label_by_physician = models.BooleanField(
        _("a physician may use a label-restricted product outside its labelled zones"),
        default=False,
    )
    updated_at = models.DateTimeField(null=True, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("screening settings")
        verbose_name_plural = _("screening settings")

    def __str__(self) -> str:
        return str(self.clinic)
