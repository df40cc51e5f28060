"""Waste, adjust and transfer: every change is a ledger line, and the lines add up."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mesoclinic.inventory.models import MovementKind, StockBalance, StockMovement
from mesoclinic.inventory.selectors import ledger_mismatches
from mesoclinic.inventory.services import stock_adjust, stock_transfer, stock_use, stock_waste
from tests.inventory.factories import NOW, make_product, receive, use_kwargs


def test_adjustment_needs_a_reason_and_may_go_either_way(world):
    lot = receive(world, make_product(world), quantity_ml="5")
    scope = world.scope("nurse")
    with pytest.raises(ValidationError) as exc:
        stock_adjust(scope=scope, lot=lot, quantity_ml="-1", reason="", at=NOW)
    assert "reason" in exc.value.message_dict
    stock_adjust(scope=scope, lot=lot, quantity_ml="-1.5", reason="Count 2026-11-23", at=NOW)
    stock_adjust(scope=scope, lot=lot, quantity_ml="0.25", reason="Found in fridge", at=NOW)
    assert StockBalance.objects.get(lot=lot).quantity_ul == 3750


def test_waste_cannot_take_more_than_is_left(world):
    lot = receive(world, make_product(world), lot_number="W1", quantity_ml="1")
    with pytest.raises(ValidationError) as exc:
        stock_waste(scope=world.scope("nurse"), lot=lot, quantity_ml="2", reason="Broken", at=NOW)
    assert "Only 1 mL of lot W1 left" in exc.value.message_dict["quantity_ml"][0]


def test_transfer_moves_stock_between_clinics_of_the_organisation(world, make_org):
    lot = receive(world, make_product(world), quantity_ml="5")
    out, inbound = stock_transfer(
        scope=world.scope("nurse"), lot=lot, to_clinic=world.other_clinic, quantity_ml="2", at=NOW
    )
    assert (out.kind, out.quantity_ul, inbound.kind, inbound.quantity_ul) == (
        MovementKind.TRANSFER_OUT,
        -2000,
        MovementKind.TRANSFER_IN,
        2000,
    )
    assert StockBalance.objects.get(lot=lot, clinic=world.clinic).quantity_ul == 3000
    assert StockBalance.objects.get(lot=lot, clinic=world.other_clinic).quantity_ul == 2000
    with pytest.raises(ValidationError):
        stock_transfer(
            scope=world.scope("nurse"),
            lot=lot,
            to_clinic=make_org().clinic,
            quantity_ml="1",
            at=NOW,
        )


def test_database_refuses_negative_balance_even_without_the_service(world):
    lot = receive(world, make_product(world), quantity_ml="1")
    with pytest.raises(IntegrityError), transaction.atomic():
        StockBalance.objects.filter(lot=lot).update(quantity_ul=-1)


def test_database_refuses_to_change_or_delete_ledger_lines(world):
    lot = receive(world, make_product(world), quantity_ml="1")
    line = StockMovement.objects.get(lot=lot)
    with pytest.raises(IntegrityError), transaction.atomic():
        StockMovement.objects.filter(pk=line.pk).update(quantity_ul=5000)
    with pytest.raises(IntegrityError), transaction.atomic():
        StockMovement.objects.filter(pk=line.pk).delete()


operations = st.lists(
    st.tuples(
        st.sampled_from(["use", "waste", "adjust", "transfer"]),
        st.integers(min_value=-3000, max_value=3000).filter(lambda n: n != 0),
    ),
    max_size=12,
)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(ops=operations)
def test_any_sequence_of_movements_adds_up_to_the_balance(world, patient_of, ops):
    """Whatever mix of movements is tried (refused ones included), ledger == balance >= 0."""
    with transaction.atomic():
        lot = receive(world, make_product(world), quantity_ml="5")
        patient = patient_of(world)
        scope = world.scope("nurse")
        for kind, amount in ops:
            qty = f"{abs(amount) / 1000:.3f}"
            try:
                if kind == "use":
                    stock_use(**use_kwargs(world, lot, patient, quantity_ml=qty))
                elif kind == "waste":
                    stock_waste(scope=scope, lot=lot, quantity_ml=qty, reason="r", at=NOW)
                elif kind == "adjust":
                    signed = f"{amount / 1000:.3f}"
                    stock_adjust(scope=scope, lot=lot, quantity_ml=signed, reason="r", at=NOW)
                else:
                    stock_transfer(
                        scope=scope,
                        lot=lot,
                        to_clinic=world.other_clinic,
                        quantity_ml=qty,
                        at=NOW + dt.timedelta(minutes=1),
                    )
            except ValidationError:
                pass
        assert ledger_mismatches(scope=scope) == []
        assert all(b.quantity_ul >= 0 for b in StockBalance.objects.filter(lot=lot))
        transaction.set_rollback(True)
