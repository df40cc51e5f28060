"""The role home pages' reads: the right items, bounded, in each clinic's own day."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from mesoclinic.charting.models import SessionStatus, TreatmentSession
from mesoclinic.charting.services import addendum_create, session_sign, side_effect_record
from mesoclinic.consultations.models import PlanStatus
from mesoclinic.core.knowledge import load_knowledge
from mesoclinic.inventory.services import lot_quarantine
from mesoclinic.patients.services import history_fact_record
from mesoclinic.scheduling.models import Appointment
from mesoclinic.web.selectors import (
    LIST_CAP,
    owner_home,
    practitioner_home,
    receptionist_home,
)
from tests.charting.factories import NOW, TODAY, charted, make_day, make_product, receive
from tests.scheduling.conftest import MONDAY, at

LONDON = zoneinfo.ZoneInfo("Europe/London")


def _book(world, patient, start, *, minutes=45, clinic=None, status="booked", **kw):
    return Appointment.objects.create(
        organisation=world.organisation,
        clinic=clinic or world.clinic,
        patient=patient,
        practitioner=kw.pop("practitioner", world.users["practitioner"]),
        starts_at=start,
        ends_at=start + dt.timedelta(minutes=minutes),
        status=status,
        created_by=world.users["receptionist"],
        **kw,
    )


def test_the_practitioner_sees_their_day_in_order_with_alerts(world, patient_of, clinic_setup):
    allergic = patient_of(world, family="Allergic", given="Anna")
    history_fact_record(
        scope=world.scope("practitioner"),
        patient=allergic,
        kind="allergy",
        code="allergen.soy",
        now=NOW,
        today=TODAY,
    )
    other = patient_of(world, family="Other", given="Olga")
    late = _book(world, other, at(MONDAY, "15:00"))
    early = _book(world, allergic, at(MONDAY, "09:00"))
    _book(world, other, at("2026-12-01", "09:00"))  # tomorrow
    _book(world, other, at(MONDAY, "11:00"), practitioner=world.users["owner"])  # not mine
    home = practitioner_home(scope=world.scope("practitioner"), now=NOW, language="ru")
    rows = home["visits"].rows
    assert [r.appointment.pk for r in rows] == [early.pk, late.pk]
    soy = load_knowledge().get("allergen.soy").name.ru
    assert rows[0].alerts == [f"Аллергии: {soy}"]
    assert rows[1].alerts == []


def test_the_practitioner_list_is_capped(world, patient_of, clinic_setup):
    patient = patient_of(world)
    start = at(MONDAY, "09:00")
    for i in range(LIST_CAP + 3):
        _book(world, patient, start + dt.timedelta(minutes=20 * i), minutes=20)
    visits = practitioner_home(scope=world.scope("practitioner"), now=NOW, language="en")["visits"]
    assert len(visits.rows) == LIST_CAP and visits.more


def test_charted_sessions_wait_for_signature_and_open_side_effects_need_addenda(world, active_plan):
    day = make_day(world, active_plan)
    session = charted(day)
    scope = world.scope("practitioner")
    home = practitioner_home(scope=scope, now=NOW, language="en")
    assert [s.pk for s in home["to_sign"].rows] == [session.pk]
    assert home["visits"].rows[0].session.pk == session.pk

    session = session_sign(scope=scope, session=session, now=NOW)
    side_effect_record(
        scope=scope,
        session=session,
        kind="se.redness",
        phase="follow_up",
        severity="mild",
        outcome="ongoing",
        onset_on=TODAY,
        now=NOW,
    )
    home = practitioner_home(scope=scope, now=NOW, language="en")
    assert not home["to_sign"]
    assert [e.session_id for e in home["addenda_due"].rows] == [session.pk]
    addendum_create(scope=scope, session=session, text="Redness settling.", now=NOW)
    assert not practitioner_home(scope=scope, now=NOW, language="en")["addenda_due"]


def test_the_front_desk_sees_arrivals_confirmations_no_shows_and_free_time(
    world, patient_of, clinic_setup
):
    patient = patient_of(world)
    now = at(MONDAY, "12:00")
    came = _book(world, patient, at(MONDAY, "10:00"), status="arrived")
    missed = _book(world, patient, at(MONDAY, "11:00"), status="confirmed")
    later = _book(world, patient, at(MONDAY, "14:00"))
    tomorrow = _book(world, patient, at("2026-12-01", "09:00"))
    home = receptionist_home(scope=world.scope("receptionist"), clinic=world.clinic, now=now)
    assert [a.pk for a in home["arrivals"].rows] == [came.pk, missed.pk, later.pk]
    assert [a.pk for a in home["unconfirmed"].rows] == [later.pk, tomorrow.pk]
    assert [a.pk for a in home["no_shows"].rows] == [missed.pk]
    gaps = [(s.starts_at, s.ends_at) for s in home["free_slots"].rows]
    # Today from now, around the 14:00 visit; tomorrow after the 09:00 one (clinic 9-19).
    assert gaps == [
        (at(MONDAY, "12:00"), at(MONDAY, "14:00")),
        (at(MONDAY, "14:45"), at(MONDAY, "19:00")),
        (at("2026-12-01", "09:45"), at("2026-12-01", "19:00")),
    ]


def test_a_course_with_sessions_left_to_book_is_listed(world, active_plan):
    patient = active_plan.patient
    _book(world, patient, at(MONDAY, "10:00"), plan_id=active_plan.pk, session_number=1)
    home = receptionist_home(scope=world.scope("receptionist"), clinic=world.clinic, now=NOW)
    [plan] = home["courses"].rows
    assert (plan.pk, plan.booked, plan.sessions) == (active_plan.pk, 1, 6)


def test_a_course_finished_six_months_ago_is_due_for_maintenance(world, active_plan):
    user = world.users["practitioner"]

    def finish(last_session: dt.date):
        TreatmentSession.objects.create(
            organisation=world.organisation,
            clinic=world.clinic,
            patient=active_plan.patient,
            practitioner=user,
            plan=active_plan,
            session_date=last_session,
            status=SessionStatus.SIGNED,
            screened_at=NOW,
            screened_by=user,
            knowledge_version="kb",
            signed_at=NOW,
            signed_by=user,
            signed_knowledge_version="kb",
            created_at=NOW,
        )

    finish(dt.date(2026, 5, 20))
    type(active_plan).objects.filter(pk=active_plan.pk).update(status=PlanStatus.COMPLETED)
    scope = world.scope("receptionist")
    due = receptionist_home(scope=scope, clinic=world.clinic, now=NOW)["maintenance"]
    assert [p.pk for p in due.rows] == [active_plan.pk]
    # Booked back already: no longer due.
    _book(world, active_plan.patient, at("2026-12-02", "10:00"))
    assert not receptionist_home(scope=scope, clinic=world.clinic, now=NOW)["maintenance"]


def test_the_owner_sees_each_clinic_in_its_own_day(world, patient_of, clinic_setup):
    patient = patient_of(world)
    # 22:30 in London is already 01:30 tomorrow in Moscow.
    now = dt.datetime(2026, 11, 30, 22, 30, tzinfo=LONDON)
    owner = world.users["owner"]
    _book(world, patient, at(MONDAY, "18:00"))  # Moscow yesterday: not counted
    _book(world, patient, at("2026-12-01", "10:00"))  # Moscow today
    london = dt.datetime(2026, 11, 30, 18, 0, tzinfo=LONDON)
    _book(world, patient, london, clinic=world.other_clinic, practitioner=owner)
    home = owner_home(scope=world.scope("owner"), clinic=world.clinic, now=now, language="en")
    days = {d.clinic.name: (d.today, d.counts) for d in home["clinic_days"]}
    assert days["Main"] == (dt.date(2026, 12, 1), {"booked": 1})
    assert days["Second"] == (dt.date(2026, 11, 30), {"booked": 1})


def test_the_owner_sees_stock_alerts_and_utilisation(world, patient_of, clinic_setup):
    product = make_product(world)
    soon = receive(world, product, number="SOON", ml="1", expiry=TODAY + dt.timedelta(days=20))
    later = receive(world, product, number="LATER", ml="1", expiry=TODAY + dt.timedelta(days=80))
    bad = receive(world, product, number="BAD", ml="1")
    lot_quarantine(scope=world.scope("nurse"), lot=bad, reason="Cloudy", now=NOW)
    patient = patient_of(world)
    room = clinic_setup["rooms"][0]
    # Six open days of ten hours: six hours booked is 10 %.
    for day in range(6):
        start = at(MONDAY, "09:00") + dt.timedelta(days=day)
        _book(world, patient, start, minutes=60, room=room)
    home = owner_home(scope=world.scope("owner"), clinic=world.clinic, now=NOW, language="en")
    assert [(e.balance.lot_id, e.window) for e in home["expiring"].rows] == [
        (soon.pk, 30),
        (later.pk, 90),
    ]
    assert [lot.pk for lot in home["quarantined"].rows] == [bad.pk]
    # 3 mL received, one lot quarantined: under the threshold here, and nothing at all
    # in the second clinic.
    assert [(c.name, item.product.pk) for c, item in home["low_stock"].rows] == [
        ("Main", product.pk),
        ("Second", product.pk),
    ]
    main = next(u for u in home["utilisation"] if u["clinic"] == world.clinic)
    shares = {r.name: r.percent for r in main["practitioners"].rows}
    assert shares[str(world.users["practitioner"])] == 10
    assert {r.name: r.percent for r in main["rooms"].rows} == {"A": 10, "B": 0}
