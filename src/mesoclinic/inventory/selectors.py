"""Reads of products, lots and stock, always through the caller's scope."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import (
    Count,
    F,
    IntegerField,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce

from mesoclinic.accounts.scope import Scope, get_scoped_or_404, scoped
from mesoclinic.core.knowledge import load_knowledge
from mesoclinic.inventory.models import (
    UL_PER_ML,
    AdverseEventReport,
    DeliveryImport,
    Lot,
    LotStatus,
    MovementKind,
    Product,
    Severity,
    StockBalance,
    StockMovement,
    Vial,
)
from mesoclinic.inventory.services import stock_policy_for
from mesoclinic.patients.models import Patient


def product_list(*, scope: Scope, include_inactive: bool = False) -> QuerySet[Product]:
    """The organisation's catalogue, with components, by name."""
    qs = scoped(Product, scope, permission="inventory.view").prefetch_related("components")
    return qs if include_inactive else qs.filter(active=True)


def product_get(*, scope: Scope, product_id: int) -> Product:
    return get_scoped_or_404(Product, scope, permission="inventory.view", pk=product_id)


def lot_get(*, scope: Scope, lot_id: int) -> Lot:
    return get_scoped_or_404(
        Lot.objects.select_related("product", "clinic", "status_changed_by"),
        scope,
        permission="inventory.view",
        pk=lot_id,
    )


def _balance_here(scope: Scope):
    return Subquery(
        StockBalance.objects.filter(lot=OuterRef("pk"), clinic_id=scope.clinic_id).values(
            "quantity_ul"
        )[:1],
        output_field=IntegerField(),
    )


def lots_usable(*, scope: Scope, product: Product, on_date: dt.date) -> QuerySet[Lot]:
    """Lots of `product` the scope's clinic may use on `on_date`, first expiry first out.

    Only available (not quarantined or recalled), unexpired lots with stock left
    here. Each lot carries `available_ul`: the microlitres left at this clinic.
    """
    return (
        scoped(Lot, scope, permission="inventory.view")
        .filter(product=product, status=LotStatus.AVAILABLE, expiry_date__gte=on_date)
        .annotate(available_ul=_balance_here(scope))
        .filter(available_ul__gt=0)
        .select_related("product")
        .order_by("expiry_date", "received_on", "pk")
    )


def lot_list(
    *,
    scope: Scope,
    status: str = "",
    product_id: int | None = None,
    expires_by: dt.date | None = None,
) -> QuerySet[Lot]:
    """The organisation's lots, with what the scope's clinic holds of each; optionally filtered.

    Ordered by expiry, then product and lot number, with the id last so that pages
    of the list never overlap.
    """
    qs = (
        scoped(Lot, scope, permission="inventory.view")
        .select_related("product", "clinic")
        .annotate(here_ul=Coalesce(_balance_here(scope), Value(0)))
        .order_by("expiry_date", "product__name", "lot_number", "pk")
    )
    if status:
        qs = qs.filter(status=status)
    if product_id is not None:
        qs = qs.filter(product_id=product_id)
    if expires_by is not None:
        qs = qs.filter(expiry_date__lte=expires_by)
    return qs


def stock_at_clinic(*, scope: Scope) -> QuerySet[StockBalance]:
    """What the scope's clinic holds now, lot by lot (empty balances left out)."""
    return (
        scoped(StockBalance, scope, permission="inventory.view")
        .filter(clinic_id=scope.clinic_id, quantity_ul__gt=0)
        .select_related("lot", "lot__product")
        .order_by("lot__product__name", "lot__expiry_date", "lot__lot_number")
    )


def stock_near_expiry(*, scope: Scope, today: dt.date) -> QuerySet[StockBalance]:
    """Stock here that expires within the clinic's near-expiry window (or has expired)."""
    days = stock_policy_for(clinic_id=scope.clinic_id).near_expiry_days
    return (
        stock_at_clinic(scope=scope)
        .filter(lot__expiry_date__lte=today + dt.timedelta(days=days))
        .order_by("lot__expiry_date", "lot__product__name")
    )


@dataclass(frozen=True)
class LowStock:
    product: Product
    available_ul: int
    threshold_ul: int


def stock_low(*, scope: Scope, today: dt.date) -> list[LowStock]:
    """Active products whose usable stock here (available, unexpired) is under the threshold."""
    policy = stock_policy_for(clinic_id=scope.clinic_id)
    usable = Coalesce(
        Sum(
            "lots__balances__quantity_ul",
            filter=Q(
                lots__balances__clinic_id=scope.clinic_id,
                lots__status=LotStatus.AVAILABLE,
                lots__expiry_date__gte=today,
            ),
        ),
        Value(0),
    )
    result = []
    for product in product_list(scope=scope).annotate(usable_ul=usable):
        threshold = (
            product.low_stock_ml if product.low_stock_ml is not None else policy.low_stock_ml
        )
        threshold_ul = int(threshold * UL_PER_ML)
        if product.usable_ul < threshold_ul:
            result.append(LowStock(product, product.usable_ul, threshold_ul))
    return result


def lot_movements(*, scope: Scope, lot: Lot) -> QuerySet[StockMovement]:
    """The ledger lines of a lot at every clinic, oldest first."""
    return (
        scoped(StockMovement, scope, permission="inventory.view")
        .filter(lot=lot)
        .select_related("clinic", "patient", "practitioner", "recorded_by", "other_clinic", "vial")
        .order_by("occurred_at", "pk")
    )


def lot_vials(*, scope: Scope, lot: Lot) -> QuerySet[Vial]:
    """The opened vials of a lot, each with `uses`: how many administrations it served."""
    return (
        scoped(Vial, scope, permission="inventory.view")
        .filter(lot=lot)
        .select_related("clinic")
        .annotate(uses=Count("movements"))
        .order_by("-opened_at", "-pk")
    )


def lot_balances(*, scope: Scope, lot: Lot) -> QuerySet[StockBalance]:
    return (
        scoped(StockBalance, scope, permission="inventory.view")
        .filter(lot=lot)
        .select_related("clinic")
        .order_by("clinic__name")
    )


def recall_administrations(*, scope: Scope, lot: Lot) -> QuerySet[StockMovement]:
    """Every administration of a lot, at any clinic: patient (with contacts), when, where, who.

    Served by the (lot, kind, occurred_at) index; see bench/bench_recall.py.
    """
    scope.require("patients.view_demographics")
    return (
        scoped(StockMovement, scope, permission="inventory.view")
        .filter(lot=lot, kind=MovementKind.USE)
        .select_related("patient", "practitioner", "clinic", "vial")
        .order_by("occurred_at", "pk")
    )


def recall_patients(*, scope: Scope, lot: Lot) -> QuerySet:
    """The patients who received a lot, one row each (`patient_id`, `first_use`), first use first.

    The recall page is paged by patient, so a patient's uses never straddle two pages.
    """
    return (
        recall_administrations(scope=scope, lot=lot)
        .order_by()
        .values("patient_id")
        .annotate(first_use=Min("occurred_at"))
        .order_by("first_use", "patient_id")
    )


def patient_administrations(*, scope: Scope, patient: Patient) -> QuerySet[StockMovement]:
    """Everything a patient received, lot by lot (product, lot, then time)."""
    scope.require("patients.view_clinical")
    return (
        scoped(StockMovement, scope, permission="inventory.view")
        .filter(patient=patient, kind=MovementKind.USE)
        .select_related("lot", "lot__product", "practitioner", "clinic", "vial")
        .order_by("lot__product__name", "lot__lot_number", "occurred_at", "pk")
    )


@dataclass(frozen=True)
class Signal:
    product: str
    product_id: int
    lot: str
    lot_id: int | None
    kind: str
    kind_name: str
    count: int
    severe: int
    cluster: bool


def adverse_event_signals(*, scope: Scope, language: str = "en") -> list[Signal]:
    """Adverse events counted per product, lot and kind; a cluster reaches the clinic's threshold.

    Clusters first, then the largest counts: several infections from one lot is
    the pattern of the NTM outbreaks traced to multi-dose vials.
    """
    scope.require("patients.view_clinical")
    threshold = stock_policy_for(clinic_id=scope.clinic_id).cluster_threshold
    kb = load_knowledge()
    rows = (
        scoped(AdverseEventReport, scope, permission="inventory.view")
        .values("product_id", "product__name", "lot_id", "lot__lot_number", "kind")
        .annotate(n=Count("pk"), severe=Count("pk", filter=Q(severity=Severity.SEVERE)))
        .order_by()
    )
    signals = []
    for r in rows:
        entry = kb.side_effect.get(r["kind"])
        signals.append(
            Signal(
                product=r["product__name"],
                product_id=r["product_id"],
                lot=r["lot__lot_number"] or "",
                lot_id=r["lot_id"],
                kind=r["kind"],
                kind_name=entry.name.get(language) if entry else r["kind"],
                count=r["n"],
                severe=r["severe"],
                cluster=r["lot_id"] is not None and r["n"] >= threshold,
            )
        )
    return sorted(signals, key=lambda s: (not s.cluster, -s.count, s.product, s.lot))


def ledger_mismatches(*, scope: Scope) -> list[StockBalance]:
    """Balances that differ from the sum of their ledger lines (should always be empty)."""
    total = Subquery(
        StockMovement.objects.filter(lot=OuterRef("lot"), clinic=OuterRef("clinic"))
        .order_by()
        .values("lot")
        .annotate(total=Sum("quantity_ul"))
        .values("total")[:1],
        output_field=IntegerField(),
    )
    return list(
        scoped(StockBalance, scope, permission="inventory.view")
        .annotate(ledger_ul=Coalesce(total, Value(0)))
        .exclude(quantity_ul=F("ledger_ul"))
    )


def delivery_import_get(*, scope: Scope, import_id: int) -> DeliveryImport:
    return get_scoped_or_404(DeliveryImport, scope, permission="inventory.manage", pk=import_id)
