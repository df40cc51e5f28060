"""Demo stock: a small catalogue from the knowledge base, lots and a few administrations.

Called by mesoclinic.demo.demo_load inside its transaction, through the same services
as the app. One lot is near expiry, one is quarantined, so every list has something.
"""

from __future__ import annotations

import datetime as dt

from mesoclinic.accounts.scope import scope_for
from mesoclinic.inventory.services import (
    lot_quarantine,
    lot_receive,
    product_create,
    stock_use,
)

CATALOGUE = [
    # name, code, knowledge-base product, presentation, volume, status, manufacturer
    ("Skin booster HA 20", "HA-20", "product.ha-skinbooster", "syringe", "1", "medical_device"),
    (
        "Revitalising cocktail",
        "REV-5",
        "product.revitalising-cocktail",
        "multi_dose_vial",
        "5",
        "cosmetic",
    ),
    (
        "Deoxycholic acid 10 mg/mL",
        "DCA-10",
        "product.dca-10",
        "single_dose",
        "2",
        "registered_drug",
    ),
    ("Lidocaine 1%", "LID-1", "product.lidocaine-1", "ampoule", "2", "registered_drug"),
]

# product code, lot number, days to expiry, mL, status
LOTS = [
    ("HA-20", "HB24-0917", 420, "20", None),
    ("HA-20", "HB24-0611", 21, "6", None),  # near expiry
    ("REV-5", "RV-3381", 300, "50", None),
    ("REV-5", "RV-3290", 200, "25", "Cloudy solution in two vials; supplier asked"),
    ("DCA-10", "KY7741", 500, "8", None),  # under the low-stock threshold
    ("LID-1", "LD-55120", 700, "40", None),
]


def inventory_demo_load(*, clinic, nurse, practitioner, patients, now: dt.datetime) -> None:
    """Stock the demo clinic and record a few administrations on demo patients."""
    nurse_scope = scope_for(nurse, clinic_id=clinic.pk)
    today = now.astimezone(clinic.zone).date()
    products = {}
    for name, code, kb_id, presentation, volume, status in CATALOGUE:
        products[code] = product_create(
            scope=nurse_scope,
            name=name,
            code=code,
            kb_product_id=kb_id,
            presentation=presentation,
            volume_ml=volume,
            regulatory_status=status,
            storage="2–25 °C",
            discard_after_hours=8 if presentation == "multi_dose_vial" else None,
        )
    lots = {}
    for code, number, days, quantity, held in LOTS:
        lot = lot_receive(
            scope=nurse_scope,
            product=products[code],
            lot_number=number,
            expiry_date=today + dt.timedelta(days=days),
            received_on=today - dt.timedelta(days=30),
            quantity_ml=quantity,
            supplier="MedSupply",
            now=now - dt.timedelta(days=30),
        )
        if held:
            lot_quarantine(scope=nurse_scope, lot=lot, reason=held, now=now)
        lots[number] = lot
    practitioner_scope = scope_for(practitioner, clinic_id=clinic.pk)
    uses = [("HB24-0611", "zone.cheeks", "1"), ("RV-3381", "zone.forehead", "2")]
    for n, patient in enumerate(patients[:4]):
        number, zone, quantity = uses[n % len(uses)]
        stock_use(
            scope=practitioner_scope,
            lot=lots[number],
            quantity_ml=quantity,
            patient=patient,
            practitioner=practitioner,
            zone_id=zone,
            administered_at=now - dt.timedelta(days=14 - n, hours=3),
        )
