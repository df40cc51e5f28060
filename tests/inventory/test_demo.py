"""The demo organisation comes with stock that shows every list: near expiry, low, quarantined."""

from __future__ import annotations

import pytest
from django.utils import timezone

from mesoclinic.accounts.models import Clinic, Organisation, User
from mesoclinic.accounts.scope import scope_for
from mesoclinic.demo import DEMO_ORGANISATION, demo_load
from mesoclinic.inventory.models import Lot, LotStatus, MovementKind, StockMovement
from mesoclinic.inventory.selectors import ledger_mismatches, stock_low, stock_near_expiry


@pytest.mark.django_db
def test_demo_stock_fills_the_inventory_lists():
    assert demo_load()
    org = Organisation.objects.get(name=DEMO_ORGANISATION)
    clinic = Clinic.objects.get(organisation=org, name="Patriarshiye Clinic")
    scope = scope_for(User.objects.get(username="nina"), clinic_id=clinic.pk)
    today = timezone.localdate()
    assert Lot.objects.filter(organisation=org, status=LotStatus.QUARANTINED).count() == 1
    assert stock_near_expiry(scope=scope, today=today).exists()
    assert [row.product.code for row in stock_low(scope=scope, today=today)] == ["DCA-10"]
    assert StockMovement.objects.filter(organisation=org, kind=MovementKind.USE).count() == 4
    assert ledger_mismatches(scope=scope) == []
    assert demo_load() is False
