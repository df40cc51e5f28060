"""Adverse events are counted per product and lot; a cluster from one lot stands out."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from mesoclinic.inventory.selectors import adverse_event_signals
from mesoclinic.inventory.services import adverse_event_record
from tests.inventory.factories import NOW, make_product, receive


def record(world, patient, lot, kind="se.infection", severity="moderate"):
    return adverse_event_record(
        scope=world.scope("nurse"),
        patient=patient,
        product=lot.product,
        lot=lot,
        kind=kind,
        severity=severity,
        recorded_at=NOW,
    )


def test_two_infections_from_one_lot_make_a_cluster(world, patient_of):
    product = make_product(world, name="Cocktail")
    bad, good = (
        receive(world, product, lot_number="BAD"),
        receive(world, product, lot_number="GOOD"),
    )
    record(world, patient_of(world, family="A"), bad)
    record(world, patient_of(world, family="B"), bad, severity="severe")
    record(world, patient_of(world, family="C"), good)
    record(world, patient_of(world, family="D"), good, kind="se.bruising")
    signals = adverse_event_signals(scope=world.scope("practitioner"))
    first = signals[0]
    assert (first.lot, first.kind, first.count, first.severe, first.cluster) == (
        "BAD",
        "se.infection",
        2,
        1,
        True,
    )
    assert not any(s.cluster for s in signals[1:])
    page = Client()
    page.force_login(world.users["practitioner"])
    body = page.get("/inventory/signals/").content.decode()
    assert 'data-cluster="1"' in body and "Infection (rare)" in body


def test_unknown_side_effect_is_refused(world, patient_of):
    lot = receive(world, make_product(world))
    with pytest.raises(ValidationError) as exc:
        record(world, patient_of(world), lot, kind="se.made-up")
    assert "kind" in exc.value.message_dict
