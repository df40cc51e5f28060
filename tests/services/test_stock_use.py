"""stock_use: the charting app's way to record an administration, and everything it refuses."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from mesoclinic.accounts.models import Role
from mesoclinic.accounts.scope import scope_for
from mesoclinic.accounts.services import membership_add
from mesoclinic.audit.models import AuditEvent
from mesoclinic.inventory.models import MovementKind, StockBalance
from mesoclinic.inventory.selectors import lots_usable
from mesoclinic.inventory.services import lot_quarantine, stock_transfer, stock_use
from tests.inventory.factories import NOW, TODAY, make_product, receive, use_kwargs


def test_use_records_patient_practitioner_zone_time_and_session(world, patient_of):
    lot = receive(world, make_product(world), quantity_ml="2")
    patient = patient_of(world)
    movement = stock_use(**use_kwargs(world, lot, patient, quantity_ml="0.4"), session_ref=77)
    assert movement.kind == MovementKind.USE
    assert movement.quantity_ul == -400
    assert (movement.patient, movement.practitioner) == (patient, world.users["practitioner"])
    assert (movement.zone_id, movement.occurred_at, movement.session_ref) == (
        "zone.cheeks",
        NOW,
        77,
    )
    assert StockBalance.objects.get(lot=lot).quantity_ul == 1600
    assert AuditEvent.objects.filter(object_type="inventory.StockMovement", patient_id=patient.pk)


def test_using_more_than_is_left_names_what_is_left(world, patient_of):
    lot = receive(world, make_product(world), lot_number="LAST1", quantity_ml="1")
    patient = patient_of(world)
    stock_use(**use_kwargs(world, lot, patient, quantity_ml="0.6"))
    with pytest.raises(ValidationError) as exc:
        stock_use(**use_kwargs(world, lot, patient, quantity_ml="0.5"))
    message = exc.value.message_dict["quantity_ml"][0]
    assert "Only 0.4 mL of lot LAST1 left" in message
    assert StockBalance.objects.get(lot=lot).quantity_ul == 400


def test_expiry_is_judged_on_the_administration_date_in_the_clinics_time_zone(world, patient_of):
    # Main clinic is in Moscow (UTC+3): 22:30 UTC on the 24th is already the 25th there.
    lot = receive(world, make_product(world), expiry=dt.date(2026, 11, 24))
    patient = patient_of(world)
    ok_at = dt.datetime(2026, 11, 24, 20, 0, tzinfo=dt.UTC)
    stock_use(**use_kwargs(world, lot, patient, at=ok_at))
    late = dt.datetime(2026, 11, 24, 22, 30, tzinfo=dt.UTC)
    with pytest.raises(ValidationError) as exc:
        stock_use(**use_kwargs(world, lot, patient, at=late))
    assert "expired on 2026-11-24" in exc.value.message_dict["lot"][0]


def test_lot_of_another_clinic_is_refused(world, patient_of):
    lot = receive(world, make_product(world))
    user = world.users["practitioner"]
    membership_add(user=user, clinic=world.other_clinic, role=Role.PRACTITIONER)
    there = scope_for(user, clinic_id=world.other_clinic.pk)
    kwargs = use_kwargs(world, lot, patient_of(world)) | {"scope": there}
    with pytest.raises(ValidationError) as exc:
        stock_use(**kwargs)
    assert "not stocked at Second" in exc.value.message_dict["lot"][0]
    # Once transferred, the other clinic may use it.
    stock_transfer(
        scope=world.scope("nurse"), lot=lot, to_clinic=world.other_clinic, quantity_ml="1", at=NOW
    )
    assert stock_use(**kwargs).clinic == world.other_clinic


def test_lot_and_patient_of_another_organisation_are_refused(make_org, patient_of):
    ours, theirs = make_org(), make_org()
    their_lot = receive(theirs, make_product(theirs))
    our_lot = receive(ours, make_product(ours))
    with pytest.raises(ValidationError) as exc:
        stock_use(**use_kwargs(ours, their_lot, patient_of(ours)))
    assert "another organisation" in exc.value.message_dict["lot"][0]
    with pytest.raises(ValidationError) as exc:
        stock_use(**use_kwargs(ours, our_lot, patient_of(theirs)))
    assert "another organisation" in exc.value.message_dict["patient"][0]


def test_unknown_zone_is_refused(world, patient_of):
    lot = receive(world, make_product(world))
    with pytest.raises(ValidationError) as exc:
        stock_use(**use_kwargs(world, lot, patient_of(world), zone_id="zone.elbow-tip"))
    assert "zone_id" in exc.value.message_dict


def test_only_practitioners_chart_uses(world, patient_of):
    lot = receive(world, make_product(world))
    kwargs = use_kwargs(world, lot, patient_of(world)) | {"scope": world.scope("receptionist")}
    with pytest.raises(PermissionDenied):
        stock_use(**kwargs)


def test_multi_dose_vial_groups_its_patients_until_discard_time(world, patient_of):
    product = make_product(world, presentation="multi_dose_vial", discard_after_hours=8)
    lot = receive(world, product)
    first, second, third = (patient_of(world, family=f"P{i}") for i in range(3))
    a = stock_use(**use_kwargs(world, lot, first))
    b = stock_use(**use_kwargs(world, lot, second, at=NOW + dt.timedelta(hours=3)))
    c = stock_use(**use_kwargs(world, lot, third, at=NOW + dt.timedelta(hours=9)))
    assert a.vial_id == b.vial_id != c.vial_id
    patients = {m.patient for m in a.vial.movements.all()}
    assert patients == {first, second}
    assert a.vial.discard_after == NOW + dt.timedelta(hours=8)


def test_lots_usable_offers_first_expiry_first_and_leaves_out_unusable_lots(world, patient_of):
    product = make_product(world)
    later = receive(world, product, lot_number="LATER", expiry=TODAY + dt.timedelta(days=300))
    sooner = receive(world, product, lot_number="SOONER", expiry=TODAY + dt.timedelta(days=30))
    held = receive(world, product, lot_number="HELD", expiry=TODAY + dt.timedelta(days=10))
    lot_quarantine(scope=world.scope("nurse"), lot=held, reason="check", now=NOW)
    receive(world, product, lot_number="OLD", expiry=TODAY, received=TODAY)
    empty = receive(world, product, lot_number="EMPTY", quantity_ml="0.5")
    stock_use(**use_kwargs(world, empty, patient_of(world), quantity_ml="0.5"))
    tomorrow = TODAY + dt.timedelta(days=1)
    lots = list(lots_usable(scope=world.scope("practitioner"), product=product, on_date=tomorrow))
    assert [lot.lot_number for lot in lots] == ["SOONER", "LATER"]
    assert lots[0].available_ul == 10_000
    assert later in lots and sooner in lots
