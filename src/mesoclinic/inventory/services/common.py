"""What the stock services share: units, the clinic's stock policy, lot locks."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from mesoclinic.accounts.models import Clinic
from mesoclinic.accounts.scope import Scope
from mesoclinic.inventory.models import (
    MAX_BALANCE_UL,
    MAX_QUANTITY_UL,
    UL_PER_ML,
    Lot,
    StockBalance,
    StockMovement,
    StockPolicy,
    ul_to_ml,
)


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
    if abs(amount) > MAX_QUANTITY_UL // UL_PER_ML:
        raise ValidationError(
            {
                field: _("A quantity can be at most %(max)s mL.")
                % {"max": number_format(MAX_QUANTITY_UL // UL_PER_ML, use_l10n=True)}
            }
        )
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
    """Re-read the lot under a row lock, so a recall and a use cannot interleave.

    Only the lot row is locked (`of=("self",)`): locking its product too would
    serialise every use of a product across all its lots and clinics.
    """
    locked = Lot.objects.select_for_update(of=("self",)).select_related("product").get(pk=lot.pk)
    if locked.organisation_id != scope.organisation_id:
        raise ValidationError({"lot": _("This lot belongs to another organisation.")})
    return locked


def _movement(**fields) -> StockMovement:
    return StockMovement.objects.create(**fields)


def _balance_add(*, organisation_id: int, clinic_id: int, lot: Lot, quantity_ul: int) -> None:
    balance, _created = StockBalance.objects.get_or_create(
        lot=lot, clinic_id=clinic_id, defaults={"organisation_id": organisation_id}
    )
    try:
        with transaction.atomic():
            StockBalance.objects.filter(pk=balance.pk).update(
                quantity_ul=F("quantity_ul") + quantity_ul
            )
    except IntegrityError:
        raise ValidationError(
            {
                "quantity_ml": _("A clinic can hold at most %(max)s mL of one lot.")
                % {"max": ml(MAX_BALANCE_UL)}
            }
        ) from None


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


def stock_lots_lock(*, scope: Scope, lot_ids) -> list[Lot]:
    """Lock several lots at once, in one global order (by id), before using them.

    Whoever uses more than one lot in a transaction (signing a chart) locks them all
    here first: two sessions using two products in opposite chart order then queue
    instead of deadlocking. Only the lot rows are locked, never their products.
    """
    return list(
        Lot.objects.select_for_update(of=("self",))
        .select_related("product")
        .filter(pk__in=sorted(set(lot_ids)), organisation_id=scope.organisation_id)
        .order_by("pk")
    )
