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

from mesoclinic.inventory.services.adverse import (  # noqa: F401
    adverse_event_record,
)
from mesoclinic.inventory.services.common import (  # noqa: F401
    _balance_add,
    _balance_take,
    _clinic_of,
    _lock_lot,
    _movement,
    ml,
    ml_to_ul,
    stock_lots_lock,
    stock_policy_for,
)
from mesoclinic.inventory.services.deliveries import (  # noqa: F401
    IMPORT_OPTIONAL,
    IMPORT_REQUIRED,
    ImportRow,
    _delivery_apply,
    _parse_date,
    delivery_import_create,
    delivery_import_run,
    delivery_validate,
)
from mesoclinic.inventory.services.lots import (  # noqa: F401
    _discard_hours,
    _lot_errors,
    _set_status,
    _vial_for_use,
    lot_quarantine,
    lot_recall,
    lot_receive,
    lot_release,
    normalise_lot_number,
    vial_open,
)
from mesoclinic.inventory.services.movements import (  # noqa: F401
    Use,
    _refuse_unusable,
    stock_adjust,
    stock_transfer,
    stock_use,
    stock_use_many,
    stock_waste,
)
from mesoclinic.inventory.services.products import (  # noqa: F401
    _decimal_or_none,
    _derive_origin,
    product_create,
    stock_policy_update,
)
