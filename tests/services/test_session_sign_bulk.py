"""Signing writes in sets: one ledger insert, one balance update per lot, whatever the zones."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from mesoclinic.audit.models import AuditEvent
from mesoclinic.charting.models import SessionStatus, TreatmentSession
from mesoclinic.charting.services import session_sign
from mesoclinic.inventory.models import MovementKind, StockBalance, StockMovement
from mesoclinic.inventory.services import stock_waste
from tests.charting.factories import NOW, charted, make_day, receive, row

ZONES = ("zone.cheeks", "zone.forehead", "zone.neck", "zone.decollete", "zone.hands")


@pytest.fixture
def day(world, active_plan):
    return make_day(world, active_plan)


def _statements(ctx, prefix: str) -> int:
    return sum(q["sql"].startswith(prefix) for q in ctx.captured_queries)


def test_a_five_zone_chart_is_signed_with_one_ledger_insert_and_one_audit_insert(day):
    second = receive(day.world, day.product, number="LOT-B")
    rows = [row(z, lot=day.lot if i % 2 else second, volume="0.5") for i, z in enumerate(ZONES)]
    session = charted(day, rows)
    with CaptureQueriesContext(connection) as ctx:
        session_sign(scope=day.scope, session=session, now=NOW)
    assert _statements(ctx, 'INSERT INTO "inventory_stockmovement"') == 1
    assert _statements(ctx, 'UPDATE "inventory_stockbalance"') == 2  # one per lot
    # The ledger lines', the appointment's and the session's events: one insert.
    assert _statements(ctx, 'INSERT INTO "audit_auditevent"') == 1
    assert AuditEvent.objects.filter(
        object_type="charting.TreatmentSession", object_id=str(session.pk), detail__signed=True
    ).exists()
    # Each lot is read (locked) once: the re-check uses the locked lots.
    assert _statements(ctx, 'SELECT "inventory_lot"') == 1
    uses = StockMovement.objects.filter(session_ref=session.pk, kind=MovementKind.USE)
    assert sorted(uses.values_list("zone_id", flat=True)) == sorted(ZONES)
    events = AuditEvent.objects.filter(
        object_type="inventory.StockMovement", object_id__in=[str(u.pk) for u in uses]
    )
    assert events.count() == 5
    assert {e.actor_id for e in events} == {day.world.users["practitioner"].pk}
    assert {e.patient_id for e in events} == {day.patient.pk}
    assert StockBalance.objects.get(lot=second, clinic=day.world.clinic).quantity_ul == 48_500


def test_zones_that_each_fit_but_together_exceed_the_lot_are_refused_and_nothing_is_written(day):
    small = receive(day.world, day.product, number="SMALL", ml="2")
    session = charted(
        day,
        [row("zone.cheeks", lot=small, volume="0.6"), row("zone.neck", lot=small, volume="0.6")],
    )
    # Between charting and signing, a vial breaks: 1 mL is left, 1.2 mL charted.
    stock_waste(scope=day.nurse(), lot=small, quantity_ml="1", reason="Broken", at=NOW)
    with pytest.raises(ValidationError) as refused:
        session_sign(scope=day.scope, session=session, now=NOW)
    assert any("Only 1 mL of lot SMALL left" in m for m in refused.value.messages)
    assert not StockMovement.objects.filter(session_ref=session.pk).exists()
    assert not StockMovement.objects.filter(lot=small, kind=MovementKind.USE).exists()
    assert StockBalance.objects.get(lot=small, clinic=day.world.clinic).quantity_ul == 1_000
    assert TreatmentSession.objects.get(pk=session.pk).status == SessionStatus.CHARTING


def test_each_signed_entry_keeps_the_number_of_its_own_lot_written_once_per_lot(day):
    second = receive(day.world, day.product, number="LOT-B")
    rows = [row(z, lot=day.lot if i % 2 else second, volume="0.5") for i, z in enumerate(ZONES)]
    session = charted(day, rows)
    with CaptureQueriesContext(connection) as ctx:
        session_sign(scope=day.scope, session=session, now=NOW)
    updates = [
        q["sql"]
        for q in ctx.captured_queries
        if q["sql"].startswith('UPDATE "charting_chartentry"')
    ]
    assert len(updates) == 2 and not any("CASE WHEN" in sql for sql in updates)
    copies = {e.zone_id: (e.lot_id, e.lot_number, e.lot_expiry) for e in session.entries.all()}
    for lot in (day.lot, second):
        for zone, (lot_id, number, expiry) in copies.items():
            if lot_id == lot.pk:
                assert (number, expiry) == (lot.lot_number, lot.expiry_date), zone
    assert TreatmentSession.objects.get(pk=session.pk).appointment_status == "done"
