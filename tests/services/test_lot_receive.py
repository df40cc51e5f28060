"""lot_receive: bad deliveries are refused with a message naming the field."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from mesoclinic.inventory.models import MovementKind, StockBalance
from tests.inventory.factories import TODAY, make_product, receive


def test_receiving_a_lot_creates_balance_and_receive_line(world):
    lot = receive(world, make_product(world), lot_number=" ab 123 ", quantity_ml="12.5")
    assert lot.lot_number == "AB 123"
    balance = StockBalance.objects.get(lot=lot, clinic=world.clinic)
    assert balance.quantity_ul == 12_500
    [line] = lot.movements.all()
    assert (line.kind, line.quantity_ul) == (MovementKind.RECEIVE, 12_500)


def test_expired_lot_is_refused_on_receipt(world):
    with pytest.raises(ValidationError) as exc:
        receive(world, make_product(world), expiry=TODAY - dt.timedelta(days=1))
    assert "expired" in exc.value.message_dict["expiry_date"][0]


def test_duplicate_lot_number_for_the_same_product_is_refused(world):
    product = make_product(world)
    receive(world, product, lot_number="X1")
    with pytest.raises(ValidationError) as exc:
        receive(world, product, lot_number="x1")
    assert "already received" in exc.value.message_dict["lot_number"][0]
    # The same number for another product is another lot.
    receive(world, make_product(world), lot_number="X1")


@pytest.mark.parametrize("quantity", ["-1", "0", "abc", "1.0005"])
def test_bad_quantities_are_refused(world, quantity):
    with pytest.raises(ValidationError) as exc:
        receive(world, make_product(world), quantity_ml=quantity)
    assert "quantity_ml" in exc.value.message_dict


def test_a_backdated_receipt_does_not_let_an_expired_lot_into_stock(world):
    with pytest.raises(ValidationError) as exc:
        receive(
            world,
            make_product(world),
            expiry=TODAY - dt.timedelta(days=1),
            received=TODAY - dt.timedelta(days=30),
        )
    assert "expired" in exc.value.message_dict["expiry_date"][0]


def test_a_lot_cannot_be_received_in_the_future(world):
    with pytest.raises(ValidationError) as exc:
        receive(world, make_product(world), received=TODAY + dt.timedelta(days=1))
    assert "future" in exc.value.message_dict["received_on"][0]


def test_expiry_is_judged_on_the_clinics_own_date(world):
    from mesoclinic.inventory.services import lot_receive

    # 22:30 UTC on the 23rd is already the 24th in Moscow: a lot expiring on the 23rd
    # has expired there, and a delivery dated the 24th is not in the future.
    late = dt.datetime(2026, 11, 23, 22, 30, tzinfo=dt.UTC)
    kwargs = {
        "scope": world.scope("nurse"),
        "product": make_product(world),
        "quantity_ml": "5",
        "now": late,
    }
    with pytest.raises(ValidationError) as exc:
        lot_receive(lot_number="EDGE1", expiry_date=TODAY, received_on=TODAY, **kwargs)
    assert "expired" in exc.value.message_dict["expiry_date"][0]
    lot = lot_receive(
        lot_number="EDGE2",
        expiry_date=TODAY + dt.timedelta(days=30),
        received_on=TODAY + dt.timedelta(days=1),
        **kwargs,
    )
    assert lot.received_on == TODAY + dt.timedelta(days=1)
