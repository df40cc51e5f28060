"""Stock movements: use, waste, adjustment and transfer; stock never goes negative."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from mesoclinic.accounts.models import Clinic, User
from mesoclinic.accounts.scope import Scope
from mesoclinic.audit.models import AuditAction
from mesoclinic.audit.services import audit_record, audit_record_many
from mesoclinic.core.knowledge import load_knowledge
from mesoclinic.inventory.models import (
    Lot,
    LotStatus,
    MovementKind,
    StockMovement,
    ul_to_ml,
)
from mesoclinic.inventory.services.common import (
    _balance_add,
    _balance_take,
    _clinic_of,
    _lock_lot,
    _movement,
    ml_to_ul,
    stock_lots_lock,
)
from mesoclinic.inventory.services.lots import _vial_for_use
from mesoclinic.patients.models import Patient


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


@dataclass(frozen=True)
class Use:
    """One administration of a set recorded together: which lot, how much, where."""

    lot_id: int
    quantity_ml: object
    zone_id: str


@transaction.atomic
def stock_use_many(
    *,
    scope: Scope,
    uses: Sequence[Use],
    patient: Patient,
    practitioner: User,
    administered_at: dt.datetime,
    session_ref: int | None = None,
    clinic: Clinic | None = None,
    locked_lots: Sequence[Lot] | None = None,
    request=None,
) -> list[StockMovement]:
    """Record several administrations given at one time (a signed chart) in set-based writes.

    Refuses everything `stock_use` refuses. The lots are locked together, in one
    global order (by id); each lot's balance is taken once, for the total of its uses
    (the database's CHECK still refuses a balance below zero); the ledger lines and
    their audit events are inserted in one statement each. Returns the lines in the
    order of `uses`, each with its locked lot (and product). `clinic` saves reading
    the scope's clinic again when the caller holds it; `locked_lots`, the lots when the
    caller has already locked them with `stock_lots_lock` in this transaction (signing
    checks the chart on the locked lots first).
    """
    if not uses:
        return []
    scope.require("sessions.chart")
    if clinic is None or clinic.pk != scope.clinic_id:
        clinic = _clinic_of(scope)
    quantities = [ml_to_ul(use.quantity_ml) for use in uses]
    if patient.organisation_id != scope.organisation_id:
        raise ValidationError({"patient": _("This patient belongs to another organisation.")})
    if practitioner.organisation_id != scope.organisation_id:
        raise ValidationError(
            {"practitioner": _("This practitioner belongs to another organisation.")}
        )
    zones = load_knowledge().zone
    for use in uses:
        if use.zone_id not in zones:
            raise ValidationError(
                {"zone_id": _("%(id)s is not a zone of the knowledge base.") % {"id": use.zone_id}}
            )
    if timezone.is_naive(administered_at):
        raise ValueError("administered_at must be timezone-aware")
    if locked_lots is None:
        locked_lots = stock_lots_lock(scope=scope, lot_ids=[u.lot_id for u in uses])
    lots = {lot.pk: lot for lot in locked_lots if lot.organisation_id == scope.organisation_id}
    if any(use.lot_id not in lots for use in uses):
        raise ValidationError({"lot": _("This lot belongs to another organisation.")})
    totals: dict[int, int] = defaultdict(int)
    for use, quantity_ul in zip(uses, quantities, strict=True):
        totals[use.lot_id] += quantity_ul
    on_date = administered_at.astimezone(clinic.zone).date()
    vials = {}
    for lot_id in sorted(totals):
        lot = lots[lot_id]
        _refuse_unusable(lot, on_date=on_date)
        _balance_take(lot=lot, clinic=clinic, quantity_ul=totals[lot_id])
        if lot.product.is_multi_dose:
            vials[lot_id] = _vial_for_use(scope=scope, lot=lot, clinic=clinic, at=administered_at)
    movements = StockMovement.objects.bulk_create(
        [
            StockMovement(
                organisation_id=scope.organisation_id,
                clinic=clinic,
                lot=lots[use.lot_id],
                kind=MovementKind.USE,
                quantity_ul=-quantity_ul,
                occurred_at=administered_at,
                patient=patient,
                practitioner=practitioner,
                zone_id=use.zone_id,
                session_ref=session_ref,
                vial=vials.get(use.lot_id),
                recorded_by_id=scope.user_id,
            )
            for use, quantity_ul in zip(uses, quantities, strict=True)
        ]
    )
    audit_record_many(
        action=AuditAction.CREATE,
        request=request,
        scope=scope,
        objects=movements,
        details=[
            {"lot": m.lot.lot_number, "quantity_ml": str(ul_to_ml(-m.quantity_ul))}
            for m in movements
        ],
    )
    return movements


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
