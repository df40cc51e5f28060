"""Writes to products, lots and stock: scoped, transactional, audited.

Usage API for the session charting app (issue #5)
=================================================

Charting an injection records where every millilitre went::

    from mesoclinic.inventory.selectors import lots_usable
    from mesoclinic.inventory.services import stock_use

    # The picker: usable lots of a product at the scope's clinic, first expiry first.
    lots = lots_usable(scope=request.scope, product=product, on_date=session_date)
    # each lot carries `available_ul`: µL left here (models.ul_to_ml() for mL)

    movement = stock_use(
        scope=request.scope,          # practitioner's scope; the clinic is scope.clinic_id
        lot=lot,                      # inventory.Lot
        quantity_ml=Decimal("0.4"),   # > 0, at most 3 decimals (µL precision)
        patient=patient,              # patients.Patient of the same organisation
        practitioner=request.user,    # who injected (accounts.User of the organisation)
        zone_id="zone.cheeks",        # a knowledge-base zone id
        administered_at=aware_dt,     # timezone-aware datetime of the injection
        session_ref=session.pk,       # optional int; the sessions app will make it a FK
        request=request,              # optional, for the audit trail
    )

The scope needs the `sessions.chart` permission (else PermissionDenied).
`stock_use` raises `django.core.exceptions.ValidationError` with a translated,
actionable message (keyed by the argument at fault: "lot", "quantity_ml", "patient",
"practitioner", "zone_id") when the lot is expired on the administration date,
quarantined, recalled, not stocked at this clinic, of another organisation, or
when not enough is left ("Only 0.4 mL of lot X left at this clinic"). The check
of the remaining quantity is the database's own (CHECK quantity_ul >= 0 on the
balance row, decremented by one atomic UPDATE), so two sessions signing the last
millilitres at the same moment cannot both succeed. Call it inside the session's
own `transaction.atomic()` so that a refused use rolls the whole signature back.

For a multi-dose vial product the use is tied to the lot's open vial at this clinic
(opened automatically on first use, discarded after the product's or the clinic's
rule), so the recall list can name every patient of one vial.

Side effects seen later are recorded with `adverse_event_record(...)`; the dashboard
counts them per product and lot and flags clusters.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone, translation
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from mesoclinic.accounts.models import Clinic, User
from mesoclinic.accounts.scope import Scope, scope_for
from mesoclinic.audit.models import AuditAction
from mesoclinic.audit.services import audit_record
from mesoclinic.core.knowledge import load_knowledge
from mesoclinic.inventory.models import (
    UL_PER_ML,
    AdverseEventReport,
    DeliveryImport,
    ImportStatus,
    Lot,
    LotStatus,
    MovementKind,
    Origin,
    PreparationType,
    Product,
    ProductComponent,
    Severity,
    StockBalance,
    StockMovement,
    StockPolicy,
    Vial,
    ul_to_ml,
)
from mesoclinic.patients.models import Patient


def ml(value_ul: int) -> str:
    """A quantity for messages, in the active language's number format ("0.4" / "0,4")."""
    return number_format(ul_to_ml(value_ul), use_l10n=True)


def ml_to_ul(value, *, field: str = "quantity_ml", allow_negative: bool = False) -> int:
    """Millilitres (Decimal, str, int) to whole microlitres; refuses what cannot be stock."""
    try:
        amount = Decimal(str(value).strip().replace(",", "."))
    except (InvalidOperation, ValueError):
        raise ValidationError({field: _("Enter a quantity in mL, for example 2.5.")}) from None
    if not amount.is_finite():
        raise ValidationError({field: _("Enter a quantity in mL, for example 2.5.")})
    microlitres = amount * UL_PER_ML
    if microlitres != microlitres.to_integral_value():
        raise ValidationError(
            {field: _("Quantities are kept to 0.001 mL; use at most 3 decimals.")}
        )
    result = int(microlitres)
    if result == 0 or (result < 0 and not allow_negative):
        raise ValidationError({field: _("The quantity must be more than 0 mL.")})
    return result


def stock_policy_for(*, clinic_id: int) -> StockPolicy:
    """The clinic's stock policy, or an unsaved one holding the defaults."""
    policy = StockPolicy.objects.filter(clinic_id=clinic_id).first()
    if policy is None:
        clinic = Clinic.objects.get(pk=clinic_id)
        policy = StockPolicy(clinic=clinic, organisation_id=clinic.organisation_id)
    return policy


def _clinic_of(scope: Scope) -> Clinic:
    if scope.clinic_id is None:
        raise ValidationError(_("Choose the clinic you are working in first."))
    return Clinic.objects.get(pk=scope.clinic_id)


def _lock_lot(scope: Scope, lot: Lot) -> Lot:
    """Re-read the lot under a row lock, so a recall and a use cannot interleave."""
    locked = Lot.objects.select_for_update().select_related("product").get(pk=lot.pk)
    if locked.organisation_id != scope.organisation_id:
        raise ValidationError({"lot": _("This lot belongs to another organisation.")})
    return locked


# --- Products -----------------------------------------------------------------


def _derive_origin(ingredient_ids: list[str]) -> str:
    kb = load_knowledge()
    active = [
        kb.ingredient[i] for i in ingredient_ids if kb.ingredient[i].class_ != "class.excipient"
    ]
    origins = {i.origin for i in active} or {Origin.SYNTHETIC}
    return origins.pop() if len(origins) == 1 else Origin.MIXED


@transaction.atomic
def product_create(
    *,
    scope: Scope,
    name: str,
    presentation: str,
    volume_ml,
    regulatory_status: str,
    composition: list[tuple[str, str]] | None = None,
    kb_product_id: str = "",
    preparation_type: str = "",
    origin: str = "",
    code: str = "",
    manufacturer: str = "",
    registration_number: str = "",
    storage: str = "",
    per_injection_ml=None,
    per_session_ml=None,
    max_sessions: int | None = None,
    min_interval_days: int | None = None,
    discard_after_hours: int | None = None,
    low_stock_ml=None,
    request=None,
) -> Product:
    """Add a product to the organisation's catalogue.

    `composition` is a list of (knowledge-base ingredient id, concentration text).
    With `kb_product_id` and no composition, the composition and label limits are
    copied from that knowledge-base reference product. An ingredient the knowledge
    base does not know is refused: it must be added there first, with a source.
    Preparation type and origin default to what the ingredients say.
    """
    scope.require("inventory.manage")
    kb = load_knowledge()
    errors: dict[str, list[str]] = {}
    reference = None
    if kb_product_id:
        reference = kb.product.get(kb_product_id)
        if reference is None:
            errors["kb_product_id"] = [
                _("%(id)s is not a product of the knowledge base.") % {"id": kb_product_id}
            ]
    if not composition and reference is not None:
        composition = [(c.ingredient, c.amount or "") for c in reference.composition]
        label = reference.label
        if label is not None:
            per_injection_ml = per_injection_ml or label.per_injection_ml
            per_session_ml = per_session_ml or label.per_session_ml
            max_sessions = max_sessions or label.max_sessions
            if min_interval_days is None:
                min_interval_days = label.min_interval_days or (
                    label.min_interval_months * 30 if label.min_interval_months else None
                )
    composition = [(i.strip(), (c or "").strip()) for i, c in (composition or []) if i.strip()]
    if not composition:
        errors.setdefault("composition", []).append(
            _("List at least one ingredient of the product.")
        )
    unknown = [i for i, _c in composition if i not in kb.ingredient]
    for ingredient_id in unknown:
        errors.setdefault("composition", []).append(
            _(
                "%(id)s is not an ingredient of the knowledge base. Add it to the knowledge "
                "base first, with a source, then add the product."
            )
            % {"id": ingredient_id}
        )
    seen: set[str] = set()
    for ingredient_id, _c in composition:
        if ingredient_id in seen:
            errors.setdefault("composition", []).append(
                _("%(id)s is listed twice.") % {"id": ingredient_id}
            )
        seen.add(ingredient_id)
    if errors:
        raise ValidationError(errors)
    ids = [i for i, _c in composition]
    if not preparation_type:
        homeopathic = any(kb.ingredient[i].class_ == "class.homeopathic" for i in ids)
        preparation_type = (
            PreparationType.HOMEOPATHIC if homeopathic else PreparationType.ALLOPATHIC
        )
    product = Product(
        organisation_id=scope.organisation_id,
        name=name.strip(),
        code=code.strip(),
        kb_product_id=kb_product_id,
        preparation_type=preparation_type,
        origin=origin or _derive_origin(ids),
        manufacturer=manufacturer.strip(),
        registration_number=registration_number.strip(),
        regulatory_status=regulatory_status,
        presentation=presentation,
        volume_ml=Decimal(str(volume_ml)),
        storage=storage.strip(),
        per_injection_ml=_decimal_or_none(per_injection_ml),
        per_session_ml=_decimal_or_none(per_session_ml),
        max_sessions=max_sessions,
        min_interval_days=min_interval_days,
        discard_after_hours=discard_after_hours,
        low_stock_ml=_decimal_or_none(low_stock_ml),
    )
    product.full_clean()
    product.save()
    ProductComponent.objects.bulk_create(
        ProductComponent(
            organisation_id=scope.organisation_id,
            product=product,
            ingredient_id=ingredient_id,
            concentration=concentration,
            position=n,
        )
        for n, (ingredient_id, concentration) in enumerate(composition)
    )
    audit_record(action=AuditAction.CREATE, request=request, scope=scope, obj=product)
    return product


def _decimal_or_none(value) -> Decimal | None:
    return None if value in (None, "") else Decimal(str(value))


@transaction.atomic
def stock_policy_update(
    *,
    scope: Scope,
    near_expiry_days: int,
    low_stock_ml,
    vial_discard_hours: int,
    cluster_threshold: int,
    request=None,
) -> StockPolicy:
    """Set the thresholds of the scope's clinic (near expiry, low stock, vial discard, cluster)."""
    scope.require("inventory.manage")
    clinic = _clinic_of(scope)
    policy, _created = StockPolicy.objects.get_or_create(
        clinic=clinic, defaults={"organisation_id": clinic.organisation_id}
    )
    policy.near_expiry_days = near_expiry_days
    policy.low_stock_ml = Decimal(str(low_stock_ml))
    policy.vial_discard_hours = vial_discard_hours
    policy.cluster_threshold = cluster_threshold
    policy.full_clean()
    policy.save()
    audit_record(action=AuditAction.UPDATE, request=request, scope=scope, obj=policy)
    return policy


# --- Lots ---------------------------------------------------------------------


def _movement(**fields) -> StockMovement:
    return StockMovement.objects.create(**fields)


def _balance_add(*, organisation_id: int, clinic_id: int, lot: Lot, quantity_ul: int) -> None:
    balance, _created = StockBalance.objects.get_or_create(
        lot=lot, clinic_id=clinic_id, defaults={"organisation_id": organisation_id}
    )
    StockBalance.objects.filter(pk=balance.pk).update(quantity_ul=F("quantity_ul") + quantity_ul)


def _balance_take(*, lot: Lot, clinic: Clinic, quantity_ul: int) -> None:
    """Take stock from a clinic's balance with one atomic UPDATE; the CHECK refuses < 0."""
    try:
        with transaction.atomic():
            updated = StockBalance.objects.filter(lot=lot, clinic=clinic).update(
                quantity_ul=F("quantity_ul") - quantity_ul
            )
    except IntegrityError:
        left = (
            StockBalance.objects.filter(lot=lot, clinic=clinic)
            .values_list("quantity_ul", flat=True)
            .first()
        ) or 0
        raise ValidationError(
            {
                "quantity_ml": _(
                    "Only %(left)s mL of lot %(lot)s left at this clinic; %(asked)s mL asked for."
                )
                % {"left": ml(left), "lot": lot.lot_number, "asked": ml(quantity_ul)}
            }
        ) from None
    if updated == 0:
        raise ValidationError(
            {
                "lot": _("Lot %(lot)s is not stocked at %(clinic)s.")
                % {"lot": lot.lot_number, "clinic": clinic.name}
            }
        )


def normalise_lot_number(value: str) -> str:
    """Lot numbers compare without surrounding spaces and case (labels print them in capitals)."""
    return " ".join(value.split()).upper()


def _lot_errors(
    *, product: Product | None, lot_number: str, expiry_date, received_on
) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not lot_number:
        errors["lot_number"] = _("Enter the lot number printed on the package.")
    if expiry_date is not None and received_on is not None and expiry_date < received_on:
        errors["expiry_date"] = _(
            "This lot expired on %(expiry)s, before it was received (%(received)s): "
            "an expired lot cannot be taken into stock."
        ) % {"expiry": expiry_date.isoformat(), "received": received_on.isoformat()}
    if product is not None and lot_number:
        existing = Lot.objects.filter(
            organisation_id=product.organisation_id, product=product, lot_number=lot_number
        ).first()
        if existing is not None:
            errors["lot_number"] = _(
                "Lot %(lot)s of %(product)s was already received on %(date)s; "
                "a lot number is recorded once per product."
            ) % {
                "lot": lot_number,
                "product": product.name,
                "date": existing.received_on.isoformat(),
            }
    return errors


@transaction.atomic
def lot_receive(
    *,
    scope: Scope,
    product: Product,
    lot_number: str,
    expiry_date: dt.date,
    received_on: dt.date,
    quantity_ml,
    now: dt.datetime,
    supplier: str = "",
    request=None,
) -> Lot:
    """Take a delivered lot into the scope's clinic: the lot, its balance and a RECEIVE line."""
    scope.require("inventory.manage")
    clinic = _clinic_of(scope)
    if product.organisation_id != scope.organisation_id:
        raise ValidationError({"product": _("This product belongs to another organisation.")})
    lot_number = normalise_lot_number(lot_number)
    quantity_ul = ml_to_ul(quantity_ml)
    errors = _lot_errors(
        product=product, lot_number=lot_number, expiry_date=expiry_date, received_on=received_on
    )
    if errors:
        raise ValidationError(errors)
    lot = Lot(
        organisation_id=scope.organisation_id,
        clinic=clinic,
        product=product,
        lot_number=lot_number,
        expiry_date=expiry_date,
        supplier=supplier.strip(),
        received_on=received_on,
        received_quantity_ul=quantity_ul,
    )
    try:
        with transaction.atomic():
            lot.save()
    except IntegrityError:
        # Another request received the same lot number a moment ago.
        raise ValidationError(
            {"lot_number": _("Lot %(lot)s of this product already exists.") % {"lot": lot_number}}
        ) from None
    StockBalance.objects.create(
        organisation_id=scope.organisation_id, clinic=clinic, lot=lot, quantity_ul=quantity_ul
    )
    _movement(
        organisation_id=scope.organisation_id,
        clinic=clinic,
        lot=lot,
        kind=MovementKind.RECEIVE,
        quantity_ul=quantity_ul,
        occurred_at=now,
        recorded_by_id=scope.user_id,
    )
    audit_record(
        action=AuditAction.CREATE,
        request=request,
        scope=scope,
        obj=lot,
        detail={"quantity_ml": str(ul_to_ml(quantity_ul))},
    )
    return lot


def _set_status(*, scope, lot, status, reason, now, request, allowed_from) -> Lot:
    scope.require("inventory.manage")
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": _("Give the reason; it is shown on the recall list.")})
    lot = _lock_lot(scope, lot)
    if lot.status not in allowed_from:
        raise ValidationError(
            {
                "lot": _("Lot %(lot)s is %(status)s; this change is not possible.")
                % {"lot": lot.lot_number, "status": lot.get_status_display().lower()}
            }
        )
    previous = lot.status
    lot.status = status
    lot.status_reason = reason
    lot.status_changed_by_id = scope.user_id
    lot.status_changed_at = now
    lot.save(update_fields=["status", "status_reason", "status_changed_by", "status_changed_at"])
    audit_record(
        action=AuditAction.UPDATE,
        request=request,
        scope=scope,
        obj=lot,
        detail={"status": [previous, status], "reason": reason},
    )
    return lot


@transaction.atomic
def lot_quarantine(*, scope: Scope, lot: Lot, reason: str, now: dt.datetime, request=None) -> Lot:
    """Hold a lot (suspected problem): from now on no session can use it."""
    return _set_status(
        scope=scope,
        lot=lot,
        status=LotStatus.QUARANTINED,
        reason=reason,
        now=now,
        request=request,
        allowed_from={LotStatus.AVAILABLE},
    )


@transaction.atomic
def lot_release(*, scope: Scope, lot: Lot, reason: str, now: dt.datetime, request=None) -> Lot:
    """Release a quarantined lot back to use (a recalled lot is never released)."""
    return _set_status(
        scope=scope,
        lot=lot,
        status=LotStatus.AVAILABLE,
        reason=reason,
        now=now,
        request=request,
        allowed_from={LotStatus.QUARANTINED},
    )


@transaction.atomic
def lot_recall(*, scope: Scope, lot: Lot, reason: str, now: dt.datetime, request=None) -> Lot:
    """Recall a lot for good: no further use; its recall list names every patient who got it."""
    return _set_status(
        scope=scope,
        lot=lot,
        status=LotStatus.RECALLED,
        reason=reason,
        now=now,
        request=request,
        allowed_from={LotStatus.AVAILABLE, LotStatus.QUARANTINED},
    )


# --- Vials --------------------------------------------------------------------


def _discard_hours(lot: Lot, clinic: Clinic) -> int:
    if lot.product.discard_after_hours:
        return lot.product.discard_after_hours
    return stock_policy_for(clinic_id=clinic.pk).vial_discard_hours


@transaction.atomic
def vial_open(*, scope: Scope, lot: Lot, opened_at: dt.datetime, request=None) -> Vial:
    """Open a multi-dose vial of a lot at the scope's clinic; closes the one open before it."""
    scope.require("inventory.manage")
    clinic = _clinic_of(scope)
    lot = _lock_lot(scope, lot)
    if not lot.product.is_multi_dose:
        raise ValidationError({"lot": _("Only multi-dose vials are tracked from opening.")})
    Vial.objects.filter(lot=lot, clinic=clinic, closed_at__isnull=True).update(closed_at=opened_at)
    vial = Vial.objects.create(
        organisation_id=scope.organisation_id,
        clinic=clinic,
        lot=lot,
        opened_at=opened_at,
        discard_after=opened_at + dt.timedelta(hours=_discard_hours(lot, clinic)),
        opened_by_id=scope.user_id,
    )
    audit_record(action=AuditAction.CREATE, request=request, scope=scope, obj=vial)
    return vial


def _vial_for_use(*, scope: Scope, lot: Lot, clinic: Clinic, at: dt.datetime) -> Vial:
    vial = (
        Vial.objects.filter(lot=lot, clinic=clinic, closed_at__isnull=True, opened_at__lte=at)
        .order_by("-opened_at")
        .first()
    )
    if vial is not None and at < vial.discard_after:
        return vial
    # No open vial, or the open one is past its discard time: a fresh vial is opened,
    # and the old one is closed, so the old vial's patient list ends here.
    if vial is not None:
        Vial.objects.filter(pk=vial.pk).update(closed_at=vial.discard_after)
    return Vial.objects.create(
        organisation_id=scope.organisation_id,
        clinic=clinic,
        lot=lot,
        opened_at=at,
        discard_after=at + dt.timedelta(hours=_discard_hours(lot, clinic)),
        opened_by_id=scope.user_id,
    )


# --- Movements ----------------------------------------------------------------


def _refuse_unusable(lot: Lot, *, on_date: dt.date) -> None:
    if lot.status == LotStatus.RECALLED:
        raise ValidationError(
            {
                "lot": _("Lot %(lot)s is recalled (%(reason)s) and cannot be used.")
                % {"lot": lot.lot_number, "reason": lot.status_reason}
            }
        )
    if lot.status == LotStatus.QUARANTINED:
        raise ValidationError(
            {
                "lot": _("Lot %(lot)s is quarantined (%(reason)s) and cannot be used.")
                % {"lot": lot.lot_number, "reason": lot.status_reason}
            }
        )
    if lot.expiry_date < on_date:
        raise ValidationError(
            {
                "lot": _("Lot %(lot)s expired on %(date)s and cannot be used.")
                % {"lot": lot.lot_number, "date": lot.expiry_date.isoformat()}
            }
        )


@transaction.atomic
def stock_use(
    *,
    scope: Scope,
    lot: Lot,
    quantity_ml,
    patient: Patient,
    practitioner: User,
    zone_id: str,
    administered_at: dt.datetime,
    session_ref: int | None = None,
    request=None,
) -> StockMovement:
    """Record an administration: a USE line naming patient, practitioner, zone and time.

    Refuses expired (on the administration date, in the clinic's time zone),
    quarantined and recalled lots, lots not stocked at the scope's clinic, other
    organisations' lots and patients, and more than is left. See the module docstring.
    """
    scope.require("sessions.chart")
    clinic = _clinic_of(scope)
    quantity_ul = ml_to_ul(quantity_ml)
    if patient.organisation_id != scope.organisation_id:
        raise ValidationError({"patient": _("This patient belongs to another organisation.")})
    if practitioner.organisation_id != scope.organisation_id:
        raise ValidationError(
            {"practitioner": _("This practitioner belongs to another organisation.")}
        )
    if zone_id not in load_knowledge().zone:
        raise ValidationError(
            {"zone_id": _("%(id)s is not a zone of the knowledge base.") % {"id": zone_id}}
        )
    if timezone.is_naive(administered_at):
        raise ValueError("administered_at must be timezone-aware")
    lot = _lock_lot(scope, lot)
    _refuse_unusable(lot, on_date=administered_at.astimezone(clinic.zone).date())
    vial = None
    if lot.product.is_multi_dose:
        vial = _vial_for_use(scope=scope, lot=lot, clinic=clinic, at=administered_at)
    _balance_take(lot=lot, clinic=clinic, quantity_ul=quantity_ul)
    movement = _movement(
        organisation_id=scope.organisation_id,
        clinic=clinic,
        lot=lot,
        kind=MovementKind.USE,
        quantity_ul=-quantity_ul,
        occurred_at=administered_at,
        patient=patient,
        practitioner=practitioner,
        zone_id=zone_id,
        session_ref=session_ref,
        vial=vial,
        recorded_by_id=scope.user_id,
    )
    audit_record(
        action=AuditAction.CREATE,
        request=request,
        scope=scope,
        obj=movement,
        patient_id=patient.pk,
        detail={"lot": lot.lot_number, "quantity_ml": str(ul_to_ml(quantity_ul))},
    )
    return movement


@transaction.atomic
def stock_waste(
    *, scope: Scope, lot: Lot, quantity_ml, reason: str, at: dt.datetime, request=None
) -> StockMovement:
    """Write off stock (broken, expired, recalled and destroyed, vial discarded) with a reason."""
    scope.require("inventory.manage")
    clinic = _clinic_of(scope)
    quantity_ul = ml_to_ul(quantity_ml)
    if not reason.strip():
        raise ValidationError({"reason": _("Give the reason for the write-off.")})
    lot = _lock_lot(scope, lot)
    _balance_take(lot=lot, clinic=clinic, quantity_ul=quantity_ul)
    movement = _movement(
        organisation_id=scope.organisation_id,
        clinic=clinic,
        lot=lot,
        kind=MovementKind.WASTE,
        quantity_ul=-quantity_ul,
        reason=reason.strip(),
        occurred_at=at,
        recorded_by_id=scope.user_id,
    )
    audit_record(action=AuditAction.CREATE, request=request, scope=scope, obj=movement)
    return movement


@transaction.atomic
def stock_adjust(
    *, scope: Scope, lot: Lot, quantity_ml, reason: str, at: dt.datetime, request=None
) -> StockMovement:
    """Correct a clinic's balance after a count: signed quantity, reason required."""
    scope.require("inventory.manage")
    clinic = _clinic_of(scope)
    quantity_ul = ml_to_ul(quantity_ml, allow_negative=True)
    if not reason.strip():
        raise ValidationError(
            {"reason": _("An adjustment needs a reason (for example the count).")}
        )
    lot = _lock_lot(scope, lot)
    if quantity_ul < 0:
        _balance_take(lot=lot, clinic=clinic, quantity_ul=-quantity_ul)
    else:
        _balance_add(
            organisation_id=scope.organisation_id,
            clinic_id=clinic.pk,
            lot=lot,
            quantity_ul=quantity_ul,
        )
    movement = _movement(
        organisation_id=scope.organisation_id,
        clinic=clinic,
        lot=lot,
        kind=MovementKind.ADJUST,
        quantity_ul=quantity_ul,
        reason=reason.strip(),
        occurred_at=at,
        recorded_by_id=scope.user_id,
    )
    audit_record(action=AuditAction.CREATE, request=request, scope=scope, obj=movement)
    return movement


@transaction.atomic
def stock_transfer(
    *,
    scope: Scope,
    lot: Lot,
    to_clinic: Clinic,
    quantity_ml,
    at: dt.datetime,
    request=None,
) -> tuple[StockMovement, StockMovement]:
    """Move stock of a lot from the scope's clinic to another clinic of the organisation."""
    scope.require("inventory.manage")
    clinic = _clinic_of(scope)
    quantity_ul = ml_to_ul(quantity_ml)
    if to_clinic.organisation_id != scope.organisation_id:
        raise ValidationError({"to_clinic": _("Stock moves only between your own clinics.")})
    if to_clinic.pk == clinic.pk:
        raise ValidationError({"to_clinic": _("Choose another clinic than this one.")})
    lot = _lock_lot(scope, lot)
    if lot.status != LotStatus.AVAILABLE:
        raise ValidationError(
            {
                "lot": _("Lot %(lot)s is %(status)s and stays where it is.")
                % {"lot": lot.lot_number, "status": lot.get_status_display().lower()}
            }
        )
    _balance_take(lot=lot, clinic=clinic, quantity_ul=quantity_ul)
    _balance_add(
        organisation_id=scope.organisation_id,
        clinic_id=to_clinic.pk,
        lot=lot,
        quantity_ul=quantity_ul,
    )
    common = {
        "organisation_id": scope.organisation_id,
        "lot": lot,
        "occurred_at": at,
        "recorded_by_id": scope.user_id,
    }
    out = _movement(
        clinic=clinic,
        kind=MovementKind.TRANSFER_OUT,
        quantity_ul=-quantity_ul,
        other_clinic=to_clinic,
        **common,
    )
    inbound = _movement(
        clinic=to_clinic,
        kind=MovementKind.TRANSFER_IN,
        quantity_ul=quantity_ul,
        other_clinic=clinic,
        **common,
    )
    audit_record(action=AuditAction.CREATE, request=request, scope=scope, obj=out)
    return out, inbound


# --- Adverse events -----------------------------------------------------------


@transaction.atomic
def adverse_event_record(
    *,
    scope: Scope,
    patient: Patient,
    product: Product,
    kind: str,
    severity: str,
    recorded_at: dt.datetime,
    lot: Lot | None = None,
    onset_on: dt.date | None = None,
    note: str = "",
    session_ref: int | None = None,
    request=None,
) -> AdverseEventReport:
    """Record a side effect after a product (and lot); `kind` is a knowledge-base side effect id."""
    scope.require("patients.edit_clinical")
    clinic = _clinic_of(scope)
    errors = {}
    if kind not in load_knowledge().side_effect:
        errors["kind"] = _("%(id)s is not a side effect of the knowledge base.") % {"id": kind}
    if severity not in Severity.values:
        errors["severity"] = _("Choose mild, moderate or severe.")
    if patient.organisation_id != scope.organisation_id:
        errors["patient"] = _("This patient belongs to another organisation.")
    if product.organisation_id != scope.organisation_id:
        errors["product"] = _("This product belongs to another organisation.")
    if lot is not None and lot.product_id != product.pk:
        errors["lot"] = _("This lot is not a lot of that product.")
    if errors:
        raise ValidationError(errors)
    report = AdverseEventReport.objects.create(
        organisation_id=scope.organisation_id,
        clinic=clinic,
        patient=patient,
        product=product,
        lot=lot,
        kind=kind,
        severity=severity,
        onset_on=onset_on,
        note=note.strip(),
        session_ref=session_ref,
        recorded_at=recorded_at,
        recorded_by_id=scope.user_id,
    )
    audit_record(action=AuditAction.CREATE, request=request, scope=scope, obj=report)
    return report


# --- Delivery CSV import ------------------------------------------------------

IMPORT_REQUIRED = ("product", "lot_number", "expiry_date", "quantity_ml")
IMPORT_OPTIONAL = ("supplier", "received_on")


@dataclass(frozen=True)
class ImportRow:
    row: int
    product: Product
    lot_number: str
    expiry_date: dt.date
    quantity_ml: Decimal
    supplier: str
    received_on: dt.date


def _parse_date(text: str) -> dt.date | None:
    text = text.strip()
    for fmt in ("%Y-%m-%d", "%d.%m.%Y", "%d/%m/%Y"):
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def delivery_validate(
    *, scope: Scope, content: str, today: dt.date, progress=None
) -> tuple[list[ImportRow], list[dict]]:
    """Check every row of a delivery CSV; returns the good rows and one error per row and field.

    Rows are numbered as a spreadsheet shows them (the header is row 1). `progress`,
    if given, is called with the number of rows checked so far.
    """
    errors: list[dict] = []
    reader = csv.DictReader(io.StringIO(content.lstrip("\ufeff")))
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    missing = [c for c in IMPORT_REQUIRED if c not in header]
    unknown = [c for c in header if c not in IMPORT_REQUIRED + IMPORT_OPTIONAL]
    if missing or unknown:
        if missing:
            errors.append(
                {
                    "row": 1,
                    "field": ", ".join(missing),
                    "message": _("Missing column(s): %(cols)s. Expected columns: %(expected)s.")
                    % {
                        "cols": ", ".join(missing),
                        "expected": ", ".join(IMPORT_REQUIRED + IMPORT_OPTIONAL),
                    },
                }
            )
        if unknown:
            errors.append(
                {
                    "row": 1,
                    "field": ", ".join(unknown),
                    "message": _("Unknown column(s): %(cols)s.") % {"cols": ", ".join(unknown)},
                }
            )
        return [], errors
    reader.fieldnames = header
    products = list(Product.objects.filter(organisation_id=scope.organisation_id, active=True))
    by_code = {p.code.lower(): p for p in products if p.code}
    by_name = {p.name.lower(): p for p in products}
    good: list[ImportRow] = []
    seen: dict[tuple[int, str], int] = {}
    rows = list(reader)
    if not rows:
        errors.append({"row": 2, "field": "", "message": _("The file has no delivery rows.")})
    for index, raw in enumerate(rows):
        row_no = index + 2
        row_errors: list[dict] = []

        def err(field: str, message: str, row_no=row_no, row_errors=row_errors) -> None:
            row_errors.append({"row": row_no, "field": field, "message": message})

        if None in raw:
            err("", _("This row has more values than the header has columns."))
        values = {k: (raw.get(k) or "").strip() for k in header}
        key = values["product"].lower()
        product = by_code.get(key) or by_name.get(key)
        if product is None:
            err(
                "product",
                _("Unknown product %(value)s: use a product code or name from the catalogue.")
                % {"value": repr(values["product"])},
            )
        lot_number = normalise_lot_number(values["lot_number"])
        expiry = _parse_date(values["expiry_date"])
        if expiry is None:
            err(
                "expiry_date",
                _("%(value)s is not a date; write it as YYYY-MM-DD.")
                % {"value": repr(values["expiry_date"])},
            )
        received_on = today
        if values.get("received_on"):
            received_on = _parse_date(values["received_on"])
            if received_on is None:
                err(
                    "received_on",
                    _("%(value)s is not a date; write it as YYYY-MM-DD.")
                    % {"value": repr(values["received_on"])},
                )
            elif received_on > today:
                err("received_on", _("A delivery cannot be received in the future."))
        quantity = None
        try:
            quantity_ul = ml_to_ul(values["quantity_ml"])
            quantity = ul_to_ml(quantity_ul)
        except ValidationError as exc:
            message = exc.message_dict["quantity_ml"][0]
            if values["quantity_ml"].lstrip().startswith("-"):
                message = _("%(value)s is negative; a delivery adds stock.") % {
                    "value": repr(values["quantity_ml"])
                }
            err("quantity_ml", message)
        if received_on is not None:
            field_errors = _lot_errors(
                product=product,
                lot_number=lot_number,
                expiry_date=expiry,
                received_on=received_on,
            )
            if expiry is not None and expiry < today and "expiry_date" not in field_errors:
                field_errors["expiry_date"] = _(
                    "This lot expired on %(expiry)s: an expired lot cannot be taken into stock."
                ) % {"expiry": expiry.isoformat()}
            for field, message in field_errors.items():
                err(field, message)
        if product is not None and lot_number:
            first = seen.get((product.pk, lot_number))
            if first is not None:
                err(
                    "lot_number",
                    _("Lot %(lot)s of this product is already in row %(row)s of this file.")
                    % {"lot": lot_number, "row": first},
                )
            else:
                seen[(product.pk, lot_number)] = row_no
        if row_errors:
            errors.extend(row_errors)
        else:
            good.append(
                ImportRow(
                    row=row_no,
                    product=product,
                    lot_number=lot_number,
                    expiry_date=expiry,
                    quantity_ml=quantity,
                    supplier=values.get("supplier", ""),
                    received_on=received_on,
                )
            )
        if progress is not None:
            progress(index + 1)
    return good, errors


@transaction.atomic
def delivery_import_create(
    *, scope: Scope, filename: str, content: str, today: dt.date, request=None
) -> DeliveryImport:
    """Store an uploaded delivery CSV to be checked and imported (by `delivery_import_run`)."""
    scope.require("inventory.manage")
    clinic = _clinic_of(scope)
    job = DeliveryImport.objects.create(
        organisation_id=scope.organisation_id,
        clinic=clinic,
        created_by_id=scope.user_id,
        filename=filename[:200],
        content=content,
        today=today,
        total_rows=max(0, len(content.strip().splitlines()) - 1),
    )
    audit_record(action=AuditAction.CREATE, request=request, scope=scope, obj=job)
    return job


def delivery_import_run(*, import_id: int, now: dt.datetime | None = None) -> DeliveryImport:
    """Check every row, then import all of them in one transaction, or none.

    Runs as a background task (or in-process): progress is saved as rows are
    checked, so the upload page's progress bar can follow it. Any error in any row
    means no lot is created and no stock changes.
    """
    job = DeliveryImport.objects.get(pk=import_id)
    user = User.objects.get(pk=job.created_by_id)
    scope = scope_for(user, clinic_id=job.clinic_id)
    now = now or timezone.now()
    DeliveryImport.objects.filter(pk=job.pk).update(status=ImportStatus.RUNNING)
    step = max(1, job.total_rows // 50)

    def progress(done: int) -> None:
        if done % step == 0 or done == job.total_rows:
            DeliveryImport.objects.filter(pk=job.pk).update(processed_rows=done)

    # Messages of the report are written in the language of whoever uploaded the file.
    with translation.override(user.language or "en"):
        errors, created = _delivery_apply(job=job, scope=scope, now=now, progress=progress)
    DeliveryImport.objects.filter(pk=job.pk).update(
        status=ImportStatus.FAILED if errors else ImportStatus.DONE,
        processed_rows=job.total_rows,
        errors=errors,
        lots_created=created,
        finished_at=timezone.now(),
    )
    job.refresh_from_db()
    return job


def _delivery_apply(*, job, scope, now, progress) -> tuple[list[dict], int]:
    good, errors = delivery_validate(
        scope=scope, content=job.content, today=job.today, progress=progress
    )
    created = 0
    if not errors:
        try:
            with transaction.atomic():
                for row in good:
                    try:
                        lot_receive(
                            scope=scope,
                            product=row.product,
                            lot_number=row.lot_number,
                            expiry_date=row.expiry_date,
                            received_on=row.received_on,
                            quantity_ml=row.quantity_ml,
                            supplier=row.supplier,
                            now=now,
                        )
                    except ValidationError as exc:
                        for field, messages in exc.message_dict.items():
                            errors.extend(
                                {"row": row.row, "field": field, "message": m} for m in messages
                            )
                        raise
                    created += 1
        except ValidationError:
            created = 0
    return errors, created
