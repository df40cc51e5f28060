"""Quarantine, release and recall: status changes need a reason and stop every use."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from mesoclinic.audit.models import AuditEvent
from mesoclinic.inventory.models import LotStatus
from mesoclinic.inventory.services import lot_quarantine, lot_recall, lot_release, stock_use
from tests.inventory.factories import NOW, make_product, receive, use_kwargs


def test_recalled_lot_cannot_be_used_any_more(world, patient_of):
    lot = receive(world, make_product(world))
    patient = patient_of(world)
    stock_use(**use_kwargs(world, lot, patient))
    lot_recall(scope=world.scope("owner"), lot=lot, reason="Manufacturer notice 12", now=NOW)
    lot.refresh_from_db()
    assert lot.status == LotStatus.RECALLED
    assert lot.status_changed_by == world.users["owner"]
    with pytest.raises(ValidationError) as exc:
        stock_use(**use_kwargs(world, lot, patient))
    assert "recalled" in exc.value.message_dict["lot"][0]
    assert AuditEvent.objects.filter(object_type="inventory.Lot", action="update").exists()


def test_quarantined_lot_is_refused_until_released(world, patient_of):
    lot = receive(world, make_product(world))
    patient = patient_of(world)
    lot_quarantine(scope=world.scope("nurse"), lot=lot, reason="Cloudy solution", now=NOW)
    with pytest.raises(ValidationError) as exc:
        stock_use(**use_kwargs(world, lot, patient))
    assert "quarantined" in exc.value.message_dict["lot"][0]
    lot_release(scope=world.scope("nurse"), lot=lot, reason="Supplier confirmed OK", now=NOW)
    assert stock_use(**use_kwargs(world, lot, patient)).quantity_ul == -500


def test_status_change_needs_a_reason(world):
    lot = receive(world, make_product(world))
    with pytest.raises(ValidationError) as exc:
        lot_quarantine(scope=world.scope("nurse"), lot=lot, reason="  ", now=NOW)
    assert "reason" in exc.value.message_dict


def test_recalled_lot_is_never_released(world):
    lot = receive(world, make_product(world))
    lot_recall(scope=world.scope("nurse"), lot=lot, reason="Contamination", now=NOW)
    with pytest.raises(ValidationError):
        lot_release(scope=world.scope("nurse"), lot=lot, reason="oops", now=NOW)
