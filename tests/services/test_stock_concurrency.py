"""Two sessions signing the last millilitres of a lot at the same moment: one wins, one is told.

Real threads, each with its own database connection, against committed data
(`transactional_db`). On SQLite the settings open write transactions IMMEDIATE with a
busy timeout, so the second writer queues; on PostgreSQL the balance row lock does.
Either way the CHECK (quantity_ul >= 0) on the balance has the last word.
"""

from __future__ import annotations

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from mesoclinic.inventory.models import MovementKind, StockBalance, StockMovement
from mesoclinic.inventory.services import stock_use
from tests.inventory.factories import make_product, receive, use_kwargs


def _race(workers) -> list:
    barrier = threading.Barrier(len(workers))
    results: list = [None] * len(workers)

    def run(index, work):
        try:
            barrier.wait(timeout=10)
            results[index] = work()
        except Exception as exc:
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, w)) for i, w in enumerate(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


@pytest.mark.django_db(transaction=True)
def test_two_sessions_using_the_last_millilitres_one_succeeds_one_is_told(
    transactional_db, make_org, patient_of
):
    world = make_org()
    lot = receive(world, make_product(world), lot_number="RACE1", quantity_ml="1")
    first, second = patient_of(world, family="First"), patient_of(world, family="Second")
    results = _race(
        [
            lambda: stock_use(**use_kwargs(world, lot, first, quantity_ml="0.7")),
            lambda: stock_use(**use_kwargs(world, lot, second, quantity_ml="0.7")),
        ]
    )
    succeeded = [r for r in results if isinstance(r, StockMovement)]
    refused = [r for r in results if isinstance(r, ValidationError)]
    assert len(succeeded) == 1 and len(refused) == 1, results
    assert "Only 0.3 mL of lot RACE1 left" in refused[0].message_dict["quantity_ml"][0]
    assert StockBalance.objects.get(lot=lot).quantity_ul == 300
    assert StockMovement.objects.filter(lot=lot, kind=MovementKind.USE).count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_uses_emptying_a_lot_leave_exactly_zero(transactional_db, make_org, patient_of):
    world = make_org()
    lot = receive(world, make_product(world), lot_number="RACE2", quantity_ml="1")
    patient = patient_of(world)
    results = _race(
        [lambda: stock_use(**use_kwargs(world, lot, patient, quantity_ml="0.25")) for _ in range(6)]
    )
    succeeded = [r for r in results if isinstance(r, StockMovement)]
    refused = [r for r in results if isinstance(r, ValidationError)]
    assert (len(succeeded), len(refused)) == (4, 2), results
    assert StockBalance.objects.get(lot=lot).quantity_ul == 0
