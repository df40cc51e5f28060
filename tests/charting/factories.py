"""A session day to test on: an active plan, today's appointment, a product with lots.

Plain builders plus a `day` fixture that test modules import explicitly.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from mesoclinic.charting.screening import Answer
from mesoclinic.charting.services import EntryForm, chart_save, session_checkin
from mesoclinic.consultations.engine import kb as knowledge
from mesoclinic.inventory.services import lot_receive, product_create
from mesoclinic.scheduling.models import Appointment
from tests.scheduling.conftest import MONDAY, at

TODAY = dt.date.fromisoformat(MONDAY)
NOW = at(MONDAY, "10:05")


@dataclass
class Day:
    world: object
    plan: object
    patient: object
    appointment: object
    product: object
    lot: object
    scope: object  # the practitioner's

    def nurse(self):
        return self.world.scope("nurse")


def make_product(world, *, name="Revitalising cocktail", kb="product.revitalising-cocktail"):
    return product_create(
        scope=world.scope("nurse"),
        name=name,
        presentation="ampoule",
        volume_ml=Decimal("5"),
        regulatory_status="medical_device",
        kb_product_id=kb,
    )


def receive(world, product, *, number="LOT-A", ml="50", expiry=None, scope=None):
    return lot_receive(
        scope=scope or world.scope("nurse"),
        product=product,
        lot_number=number,
        expiry_date=expiry or TODAY + dt.timedelta(days=300),
        received_on=TODAY - dt.timedelta(days=10),
        quantity_ml=ml,
        now=NOW - dt.timedelta(days=10),
    )


def book(world, plan, *, hhmm="10:00", session_number=1, practitioner=None):
    start = at(MONDAY, hhmm)
    return Appointment.objects.create(
        organisation=world.organisation,
        clinic=world.clinic,
        patient=plan.patient,
        practitioner=practitioner or world.users["practitioner"],
        starts_at=start,
        ends_at=start + dt.timedelta(minutes=45),
        technique_id="technique.nappage",
        plan_id=plan.pk,
        session_number=session_number,
        created_by=world.users["receptionist"],
    )


def no_answers(product_ids=("product.revitalising-cocktail",)) -> dict[str, Answer]:
    from mesoclinic.charting.screening import visit_questions

    return {
        q.id: Answer(yes=False) for q in visit_questions(kb=knowledge(), product_ids=product_ids)
    }


def row(
    zone="zone.cheeks",
    *,
    lot=None,
    volume="1.0",
    depth="1.0",
    technique="technique.nappage",
    **extra,
):
    return EntryForm(
        zone_id=zone,
        technique_id=technique,
        depth_mm=depth,
        lot_id=str(lot.pk) if lot is not None else "",
        volume_ml=volume if lot is not None else "",
        needle_gauge=extra.pop("gauge", "32"),
        **extra,
    )


def checked_in(day: Day, *, answers=None, now=NOW):
    return session_checkin(
        scope=day.nurse(), appointment=day.appointment, answers=answers or no_answers(), now=now
    )


def charted(day: Day, rows=None, *, now=NOW):
    session = checked_in(day, now=now)
    return chart_save(
        scope=day.scope,
        session=session,
        rows=rows or [row("zone.cheeks", lot=day.lot, volume="2.0")],
        expected_version=session.version,
        save_token="",
        now=now,
    )


def make_day(world, plan) -> Day:
    product = make_product(world)
    lot = receive(world, product)
    appointment = book(world, plan)
    return Day(
        world=world,
        plan=plan,
        patient=plan.patient,
        appointment=appointment,
        product=product,
        lot=lot,
        scope=world.scope("practitioner"),
    )
