"""Lots: receiving, quarantine, release, recall and opened vials."""

from __future__ import annotations

import datetime as dt
import unicodedata

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from mesoclinic.accounts.models import Clinic
from mesoclinic.accounts.scope import Scope
from mesoclinic.audit.models import AuditAction
from mesoclinic.audit.services import audit_record
from mesoclinic.inventory.models import (
    Lot,
    LotStatus,
    MovementKind,
    Product,
    StockBalance,
    Vial,
    ul_to_ml,
)
from mesoclinic.inventory.services.common import (
    _clinic_of,
    _lock_lot,
    _movement,
    ml_to_ul,
    stock_policy_for,
)
from mesoclinic.web.text import name_problem


def normalise_lot_number(value: str) -> str:
    """Lot numbers compare without surrounding spaces and case (labels print them in capitals)."""
    return " ".join(unicodedata.normalize("NFC", value).split()).upper()


def _lot_errors(
    *, product: Product | None, lot_number: str, expiry_date, received_on, today: dt.date
) -> dict[str, str]:
    """Why a delivered lot cannot be taken into stock, by field (none: it can).

    The one validation of a receipt, shared by the receive form and the CSV import:
    `today` is the receiving clinic's date, so a backdated `received_on` never lets
    an already expired lot in, and a delivery cannot be dated in the future.
    """
    errors: dict[str, str] = {}
    if not lot_number:
        errors["lot_number"] = _("Enter the lot number printed on the package.")
    elif name_problem(lot_number):
        errors["lot_number"] = name_problem(lot_number)
    if received_on is not None and received_on > today:
        errors["received_on"] = _("A delivery cannot be received in the future.")
    if expiry_date is not None and received_on is not None and expiry_date < received_on:
        errors["expiry_date"] = _(
            "This lot expired on %(expiry)s, before it was received (%(received)s): "
            "an expired lot cannot be taken into stock."
        ) % {"expiry": expiry_date.isoformat(), "received": received_on.isoformat()}
    elif expiry_date is not None and expiry_date < today:
        errors["expiry_date"] = _(
            "This lot expired on %(expiry)s: an expired lot cannot be taken into stock."
        ) % {"expiry": expiry_date.isoformat()}
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
        product=product,
        lot_number=lot_number,
        expiry_date=expiry_date,
        received_on=received_on,
        today=now.astimezone(clinic.zone).date(),
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
