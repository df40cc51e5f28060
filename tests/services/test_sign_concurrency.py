"""Two sessions signed at once, using two products in opposite chart order.

Real threads with their own connections against committed data. Lots are locked in
one global order (and only the lot rows, not their products), so on PostgreSQL the
two signatures never deadlock; a serialisation failure is retried once, and the
person signing never gets a server error.

"""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection

from mesoclinic.charting.models import SessionStatus, TreatmentSession
from mesoclinic.charting.services import session_sign
from mesoclinic.consultations.services import consent_sign, plan_activate, plan_create
from mesoclinic.inventory.models import MovementKind, StockMovement
from tests.charting.factories import (
    NOW,
    TODAY,
    Day,
    book,
    charted,
    make_product,
    receive,
    row,
)
from tests.scheduling.conftest import MOSCOW, signature_data_url


def _active_plan(world, patient):
    now = dt.datetime(2026, 11, 23, 12, 0, tzinfo=MOSCOW)
    scope = world.scope("practitioner")
    plan = plan_create(
        scope=scope,
        patient=patient,
        now=now,
        today=now.date(),
        zones=["zone.cheeks"],
        technique_ids=["technique.nappage"],
        products=[("product.revitalising-cocktail", "2.0")],
        sessions=6,
        interval_min_days=7,
        interval_max_days=10,
        preferred_interval_days=7,
        target_start=TODAY,
        protocol_id="protocol.face-rejuvenation",
    )
    consent_sign(
        scope=scope,
        plan=plan,
        signer_name=patient.full_name,
        signature=signature_data_url(),
        now=now,
        today=now.date(),
    )
    return plan_activate(scope=scope, plan=plan, now=now, today=now.date())


@pytest.mark.django_db(transaction=True)
def test_two_sessions_signed_at_once_with_products_in_opposite_order_both_sign(
    transactional_db, world, patient_of, clinic_setup
):
    first_product = make_product(world)
    second_product = make_product(world, name="Second cocktail")
    lot_a = receive(world, first_product, number="LOT-A")
    lot_b = receive(world, second_product, number="LOT-B")
    sessions = []
    for index, (one, two) in enumerate([(lot_a, lot_b), (lot_b, lot_a)]):
        patient = patient_of(world, family=f"Signer{index}", given="Patient")
        plan = _active_plan(world, patient)
        day = Day(
            world=world,
            plan=plan,
            patient=patient,
            appointment=book(world, plan, hhmm=f"1{index}:00"),
            product=first_product,
            lot=lot_a,
            scope=world.scope("practitioner"),
        )
        rows = [
            row("zone.cheeks", lot=one, volume="1.0"),
            row("zone.cheeks", lot=two, volume="1.0"),
        ]
        sessions.append(charted(day, rows, now=NOW))

    barrier = threading.Barrier(2)
    outcomes: list = [None, None]

    def sign(index: int, session: TreatmentSession) -> None:
        try:
            barrier.wait(timeout=10)
            outcomes[index] = session_sign(
                scope=world.scope("practitioner"), session=session, now=NOW
            ).status
        except Exception as exc:
            outcomes[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=sign, args=(i, s)) for i, s in enumerate(sessions)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert outcomes == [SessionStatus.SIGNED, SessionStatus.SIGNED], outcomes
    signed = TreatmentSession.objects.filter(
        pk__in=[s.pk for s in sessions], status=SessionStatus.SIGNED
    ).count()
    assert signed == 2
    uses = StockMovement.objects.filter(kind=MovementKind.USE)
    assert sorted(uses.values_list("lot__lot_number", flat=True)) == [
        "LOT-A",
        "LOT-A",
        "LOT-B",
        "LOT-B",
    ]
