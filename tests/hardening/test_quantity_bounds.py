"""Stock quantities are bounded in forms, the CSV import, the services and the database."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.test import Client

from mesoclinic.inventory.models import StockBalance, StockMovement
from mesoclinic.inventory.services import stock_adjust
from tests.inventory.factories import NOW, make_product, receive


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize("quantity", ["1000000000000000", "1" + "0" * 30, "1e30", "-1e30"])
def test_an_absurd_adjustment_is_a_form_error_and_changes_nothing(world, quantity):
    lot = receive(world, make_product(world), quantity_ml="45")
    movements = StockMovement.objects.count()
    response = client_for(world.users["owner"]).post(
        f"/inventory/lots/{lot.pk}/movement/",
        {"kind": "adjust", "quantity_ml": quantity, "reason": "count"},
    )
    assert response.status_code == 400
    assert "100000" in response.content.decode().replace(" ", "").replace(",", "")
    assert StockMovement.objects.count() == movements
    assert StockBalance.objects.get(lot=lot).quantity_ul == 45_000


def test_the_service_refuses_an_absurd_quantity(world):
    lot = receive(world, make_product(world))
    with pytest.raises(ValidationError) as caught:
        stock_adjust(
            scope=world.scope("owner"), lot=lot, quantity_ml="100000.001", reason="x", at=NOW
        )
    assert "quantity_ml" in caught.value.message_dict


def test_a_lot_cannot_be_received_with_an_absurd_quantity(world):
    with pytest.raises(ValidationError):
        receive(world, make_product(world), quantity_ml="1000000")


def test_the_database_refuses_an_absurd_balance(world):
    lot = receive(world, make_product(world))
    with pytest.raises(IntegrityError), transaction.atomic():
        StockBalance.objects.filter(lot=lot).update(quantity_ul=10**15)
