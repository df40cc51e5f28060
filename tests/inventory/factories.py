"""Builders for inventory tests, through the services (no fixtures: plain functions)."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

from django.utils import timezone

from mesoclinic.inventory.services import lot_receive, product_create

TODAY = dt.date(2026, 11, 23)
NOW = timezone.make_aware(dt.datetime(2026, 11, 23, 10, 0), dt.UTC)
_n = itertools.count(1)


def make_product(world, *, name=None, presentation="ampoule", **extra):
    """A hyaluronic-acid product in the world's catalogue."""
    fields = {
        "name": name or f"HA booster {next(_n)}",
        "presentation": presentation,
        "volume_ml": Decimal("2"),
        "regulatory_status": "medical_device",
        "composition": [("ingredient.hyaluronic-acid", "20 mg/mL")],
    }
    fields.update(extra)
    return product_create(scope=world.scope("nurse"), **fields)


def receive(world, product, *, lot_number=None, quantity_ml="10", expiry=None, received=None):
    """Receive a lot at the world's main clinic."""
    return lot_receive(
        scope=world.scope("nurse"),
        product=product,
        lot_number=lot_number or f"L{next(_n):05d}",
        expiry_date=expiry or TODAY + dt.timedelta(days=365),
        received_on=received or TODAY,
        quantity_ml=quantity_ml,
        now=NOW,
    )


def use_kwargs(world, lot, patient, *, quantity_ml="0.5", at=NOW, zone_id="zone.cheeks"):
    return {
        "scope": world.scope("practitioner"),
        "lot": lot,
        "quantity_ml": quantity_ml,
        "patient": patient,
        "practitioner": world.users["practitioner"],
        "zone_id": zone_id,
        "administered_at": at,
    }
