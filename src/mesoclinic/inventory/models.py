"""Products, lots and stock: data only; rules in services and the database.

Quantities of stock are whole microlitres (`*_ul`, 1 mL = 1000 µL) so that sums and
the database's arithmetic are exact on SQLite too (where decimals are floats).
The stock ledger (`StockMovement`) is append-only: the database refuses UPDATE and
DELETE on it (migration 0002), and each (lot, clinic) balance row carries a
CHECK (quantity_ul >= 0), so no request, however concurrent, leaves negative stock.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

UL_PER_ML = 1000
# The largest quantity one movement or delivery may carry (100 L) and the largest stock
# one clinic may hold of one lot (10,000 L): far above any clinic, far below overflow.
MAX_QUANTITY_UL = 100_000 * UL_PER_ML
MAX_BALANCE_UL = 100 * MAX_QUANTITY_UL


def ul_to_ml(quantity_ul: int) -> Decimal:
    """Microlitres as a normalised decimal of millilitres (1500 -> 1.5)."""
    value = Decimal(int(quantity_ul)).scaleb(-3).normalize()
    # normalize() gives 1E+1 for 10; quantize back to a plain exponent.
    return value.quantize(Decimal(1)) if value == value.to_integral() else value


class PreparationType(models.TextChoices):
    ALLOPATHIC = "allopathic", _("Allopathic")
    HOMEOPATHIC = "homeopathic", _("Homeopathic")


class Origin(models.TextChoices):
    SYNTHETIC = "synthetic", _("Synthetic")
    PLANT = "plant", _("Plant")
    ANIMAL = "animal", _("Animal")
    BIOTECHNOLOGICAL = "biotechnological", _("Biotechnological")
    MINERAL = "mineral", _("Mineral")
    MIXED = "mixed", _("Mixed")


class RegulatoryStatus(models.TextChoices):
    REGISTERED_DRUG = "registered_drug", _("Registered medicinal product")
    MEDICAL_DEVICE = "medical_device", _("Medical device")
    COSMETIC = "cosmetic", _("Cosmetic product")
    COMPOUNDED = "compounded", _("Compounded preparation")
    UNREGISTERED = "unregistered", _("Not registered")


class Presentation(models.TextChoices):
    SINGLE_DOSE = "single_dose", _("Single-dose vial")
    MULTI_DOSE_VIAL = "multi_dose_vial", _("Multi-dose vial")
    AMPOULE = "ampoule", _("Ampoule")
    SYRINGE = "syringe", _("Prefilled syringe")


class Product(models.Model):
    """A product in the organisation's catalogue, built on knowledge-base ingredients."""

    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    name = models.CharField(_("name"), max_length=200)
    code = models.CharField(
        _("code"),
        max_length=50,
        blank=True,
        help_text=_("Your short code or SKU; used to match rows of a delivery CSV."),
    )
    kb_product_id = models.CharField(_("knowledge-base product"), max_length=100, blank=True)
    preparation_type = models.CharField(
        _("preparation type"), max_length=20, choices=PreparationType.choices
    )
    origin = models.CharField(_("origin"), max_length=20, choices=Origin.choices)
    manufacturer = models.CharField(_("manufacturer"), max_length=200, blank=True)
    registration_number = models.CharField(_("registration number"), max_length=100, blank=True)
    regulatory_status = models.CharField(
        _("regulatory status"), max_length=20, choices=RegulatoryStatus.choices
    )
    presentation = models.CharField(_("presentation"), max_length=20, choices=Presentation.choices)
    volume_ml = models.DecimalField(_("volume per unit (mL)"), max_digits=8, decimal_places=3)
    storage = models.CharField(_("storage"), max_length=200, blank=True)
    per_injection_ml = models.DecimalField(
        _("label limit per injection (mL)"), max_digits=8, decimal_places=3, null=True, blank=True
    )
    per_session_ml = models.DecimalField(
        _("label limit per session (mL)"), max_digits=8, decimal_places=3, null=True, blank=True
    )
    max_sessions = models.PositiveSmallIntegerField(
        _("label maximum sessions"), null=True, blank=True
    )
    min_interval_days = models.PositiveSmallIntegerField(
        _("label minimum interval (days)"), null=True, blank=True
    )
    discard_after_hours = models.PositiveIntegerField(
        _("discard an opened vial after (hours)"),
        null=True,
        blank=True,
        help_text=_("Multi-dose vials only. Empty: the clinic's policy applies."),
    )
    low_stock_ml = models.DecimalField(
        _("low-stock threshold (mL)"),
        max_digits=10,
        decimal_places=3,
        null=True,
        blank=True,
        help_text=_("Empty: the clinic's policy applies."),
    )
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("product")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "name"], name="product_name_unique"),
            models.UniqueConstraint(
                fields=["organisation", "code"],
                condition=~Q(code=""),
                name="product_code_unique",
            ),
            models.CheckConstraint(condition=Q(volume_ml__gt=0), name="product_volume_positive"),
            models.CheckConstraint(
                condition=Q(preparation_type__in=PreparationType.values),
                name="product_preparation_valid",
            ),
            models.CheckConstraint(
                condition=Q(presentation__in=Presentation.values),
                name="product_presentation_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_multi_dose(self) -> bool:
        return self.presentation == Presentation.MULTI_DOSE_VIAL


class ProductComponent(models.Model):
    """One ingredient of a product: a knowledge-base ingredient id and its concentration."""

    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="components")
    ingredient_id = models.CharField(_("ingredient"), max_length=100)
    concentration = models.CharField(_("concentration"), max_length=40, blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("component")
        ordering = ["product", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["product", "ingredient_id"], name="component_unique_ingredient"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.ingredient_id} {self.concentration}".strip()


class StockPolicy(models.Model):
    """A clinic's stock thresholds; a clinic without a row uses the defaults below."""

    DEFAULT_NEAR_EXPIRY_DAYS = 60
    DEFAULT_LOW_STOCK_ML = Decimal("10")
    DEFAULT_VIAL_DISCARD_HOURS = 24
    DEFAULT_CLUSTER_THRESHOLD = 2

    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    clinic = models.OneToOneField(
        "accounts.Clinic", on_delete=models.CASCADE, related_name="stock_policy"
    )
    near_expiry_days = models.PositiveSmallIntegerField(
        _("near expiry within (days)"), default=DEFAULT_NEAR_EXPIRY_DAYS
    )
    low_stock_ml = models.DecimalField(
        _("low stock below (mL)"), max_digits=10, decimal_places=3, default=DEFAULT_LOW_STOCK_ML
    )
    vial_discard_hours = models.PositiveIntegerField(
        _("discard opened multi-dose vials after (hours)"), default=DEFAULT_VIAL_DISCARD_HOURS
    )
    cluster_threshold = models.PositiveSmallIntegerField(
        _("adverse events of one kind from one lot that make a cluster"),
        default=DEFAULT_CLUSTER_THRESHOLD,
    )

    class Meta:
        verbose_name = _("stock policy")
        verbose_name_plural = _("stock policies")
        constraints = [
            models.CheckConstraint(condition=Q(low_stock_ml__gte=0), name="policy_low_stock_ge_0"),
            models.CheckConstraint(
                condition=Q(vial_discard_hours__gt=0), name="policy_vial_discard_positive"
            ),
            models.CheckConstraint(
                condition=Q(cluster_threshold__gte=2), name="policy_cluster_at_least_2"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.clinic}"


class LotStatus(models.TextChoices):
    AVAILABLE = "available", _("Available")
    QUARANTINED = "quarantined", _("Quarantined")
    RECALLED = "recalled", _("Recalled")


class Lot(models.Model):
    """A manufacturer's lot of a product, received at one clinic of the organisation."""

    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    clinic = models.ForeignKey(
        "accounts.Clinic",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("received at"),
    )
    product = models.ForeignKey(
        Product, on_delete=models.PROTECT, related_name="lots", verbose_name=_("product")
    )
    lot_number = models.CharField(_("lot number"), max_length=60)
    expiry_date = models.DateField(_("expiry date"))
    supplier = models.CharField(_("supplier"), max_length=200, blank=True)
    received_on = models.DateField(_("received on"))
    received_quantity_ul = models.BigIntegerField(_("received quantity (µL)"))
    status = models.CharField(
        _("status"), max_length=20, choices=LotStatus.choices, default=LotStatus.AVAILABLE
    )
    status_reason = models.TextField(_("reason"), blank=True)
    status_changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    status_changed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("lot")
        ordering = ["expiry_date", "lot_number"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "product", "lot_number"], name="lot_number_unique"
            ),
            models.CheckConstraint(
                condition=Q(received_quantity_ul__gt=0), name="lot_received_positive"
            ),
            models.CheckConstraint(
                condition=Q(received_quantity_ul__lte=MAX_QUANTITY_UL), name="lot_received_bounded"
            ),
            models.CheckConstraint(
                condition=Q(status__in=LotStatus.values), name="lot_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(status=LotStatus.AVAILABLE) | ~Q(status_reason=""),
                name="lot_status_change_has_reason",
            ),
        ]
        indexes = [models.Index(fields=["organisation", "expiry_date"], name="lot_org_expiry")]

    def __str__(self) -> str:
        return f"{self.product} · {self.lot_number}"

    @property
    def received_quantity_ml(self) -> Decimal:
        return ul_to_ml(self.received_quantity_ul)


class StockBalance(models.Model):
    """How much of a lot one clinic holds now; the database keeps it >= 0."""

    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    lot = models.ForeignKey(Lot, on_delete=models.PROTECT, related_name="balances")
    quantity_ul = models.BigIntegerField(_("quantity (µL)"), default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("stock balance")
        constraints = [
            models.UniqueConstraint(fields=["lot", "clinic"], name="balance_unique_lot_clinic"),
            models.CheckConstraint(condition=Q(quantity_ul__gte=0), name="balance_never_negative"),
            models.CheckConstraint(
                condition=Q(quantity_ul__lte=MAX_BALANCE_UL), name="balance_bounded"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.lot} @ {self.clinic}: {self.quantity_ml} mL"

    @property
    def quantity_ml(self) -> Decimal:
        return ul_to_ml(self.quantity_ul)


class Vial(models.Model):
    """An opened multi-dose vial: from its opening every use is tied to it, until discard."""

    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    lot = models.ForeignKey(Lot, on_delete=models.PROTECT, related_name="vials")
    opened_at = models.DateTimeField(_("opened at"))
    discard_after = models.DateTimeField(_("discard after"))
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("opened vial")
        ordering = ["-opened_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(discard_after__gt=models.F("opened_at")),
                name="vial_discard_after_opening",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.lot} · {self.opened_at:%Y-%m-%d %H:%M}"


class MovementKind(models.TextChoices):
    RECEIVE = "receive", _("Received")
    USE = "use", _("Used in a session")
    WASTE = "waste", _("Wasted")
    TRANSFER_OUT = "transfer_out", _("Transferred out")
    TRANSFER_IN = "transfer_in", _("Transferred in")
    ADJUST = "adjust", _("Adjusted")


INBOUND = [MovementKind.RECEIVE, MovementKind.TRANSFER_IN]
OUTBOUND = [MovementKind.USE, MovementKind.WASTE, MovementKind.TRANSFER_OUT]


class StockMovement(models.Model):
    """One line of the append-only stock ledger; a clinic's lines for a lot sum to its balance."""

    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    lot = models.ForeignKey(Lot, on_delete=models.PROTECT, related_name="movements")
    kind = models.CharField(_("kind"), max_length=20, choices=MovementKind.choices)
    # Signed: positive in, negative out.
    quantity_ul = models.BigIntegerField(_("quantity (µL)"))
    reason = models.TextField(_("reason"), blank=True)
    occurred_at = models.DateTimeField(_("when"))
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    practitioner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    zone_id = models.CharField(_("zone"), max_length=100, blank=True)
    # The charting session; a plain integer until the sessions app exists and links it.
    session_ref = models.BigIntegerField(_("session"), null=True, blank=True)
    vial = models.ForeignKey(
        Vial, on_delete=models.PROTECT, null=True, blank=True, related_name="movements"
    )
    other_clinic = models.ForeignKey(
        "accounts.Clinic", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("stock movement")
        ordering = ["occurred_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=MovementKind.values), name="movement_kind_valid"
            ),
            models.CheckConstraint(condition=~Q(quantity_ul=0), name="movement_not_zero"),
            models.CheckConstraint(
                condition=Q(quantity_ul__gte=-MAX_QUANTITY_UL, quantity_ul__lte=MAX_QUANTITY_UL),
                name="movement_bounded",
            ),
            models.CheckConstraint(
                condition=~Q(kind__in=INBOUND) | Q(quantity_ul__gt=0),
                name="movement_inbound_positive",
            ),
            models.CheckConstraint(
                condition=~Q(kind__in=OUTBOUND) | Q(quantity_ul__lt=0),
                name="movement_outbound_negative",
            ),
            models.CheckConstraint(
                condition=~Q(kind=MovementKind.USE)
                | (Q(patient__isnull=False) & Q(practitioner__isnull=False) & ~Q(zone_id="")),
                name="movement_use_names_patient",
            ),
            models.CheckConstraint(
                condition=~Q(kind__in=[MovementKind.ADJUST, MovementKind.WASTE]) | ~Q(reason=""),
                name="movement_adjust_has_reason",
            ),
        ]
        indexes = [
            # The recall query: every use of one lot, in time order.
            models.Index(fields=["lot", "kind", "occurred_at"], name="movement_lot_kind_at"),
            # The reverse: everything one patient received.
            models.Index(fields=["patient", "occurred_at"], name="movement_patient_at"),
            # The lot page's ledger, a page at a time in time order: read 50 lines from
            # the index instead of sorting all of a lot's lines (thousands for a busy lot).
            models.Index(fields=["lot", "occurred_at", "id"], name="movement_lot_at"),
        ]

    def __str__(self) -> str:
        # The kind's label directly: get_kind_display() translates every choice to find
        # one (each ledger line of a signature is audited under this label).
        return f"{MovementKind(self.kind).label} {self.quantity_ml} mL · {self.lot}"

    @property
    def quantity_ml(self) -> Decimal:
        return ul_to_ml(self.quantity_ul)

    @property
    def volume_ml(self) -> Decimal:
        """The quantity without its sign (a use of 0.4 mL is stored as -400 µL)."""
        return ul_to_ml(abs(self.quantity_ul))


class Severity(models.TextChoices):
    MILD = "mild", _("Mild")
    MODERATE = "moderate", _("Moderate")
    SEVERE = "severe", _("Severe")


class AdverseEventReport(models.Model):
    """A side effect a patient had after receiving a product (and lot), for signal detection.

    The sessions app records these from the chart; `kind` is a knowledge-base side
    effect id (e.g. ``se.infection``).
    """

    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    lot = models.ForeignKey(Lot, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    kind = models.CharField(_("side effect"), max_length=100)
    severity = models.CharField(_("severity"), max_length=20, choices=Severity.choices)
    onset_on = models.DateField(_("onset"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)
    session_ref = models.BigIntegerField(_("session"), null=True, blank=True)
    recorded_at = models.DateTimeField(_("recorded at"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )

    class Meta:
        verbose_name = _("adverse event report")
        ordering = ["-recorded_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(severity__in=Severity.values), name="adverse_severity_valid"
            ),
        ]
        indexes = [
            models.Index(fields=["organisation", "product", "lot"], name="adverse_org_product_lot")
        ]

    def __str__(self) -> str:
        return f"{self.kind} · {self.product} · {self.lot or '—'}"


class ImportStatus(models.TextChoices):
    PENDING = "pending", _("Waiting")
    RUNNING = "running", _("Checking rows")
    DONE = "done", _("Imported")
    FAILED = "failed", _("Not imported")


class DeliveryImport(models.Model):
    """One uploaded delivery CSV: its progress while it runs and its per-row error report."""

    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    filename = models.CharField(_("file"), max_length=200)
    content = models.TextField()
    today = models.DateField()
    status = models.CharField(
        _("status"), max_length=20, choices=ImportStatus.choices, default=ImportStatus.PENDING
    )
    total_rows = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)
    lots_created = models.PositiveIntegerField(default=0)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("delivery import")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.filename

    @property
    def percent(self) -> int:
        if self.status in (ImportStatus.DONE, ImportStatus.FAILED):
            return 100
        return int(100 * self.processed_rows / self.total_rows) if self.total_rows else 0
