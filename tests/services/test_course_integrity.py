"""A course is counted by signed sessions, booked once, and stopped with its plan."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from mesoclinic.charting.services import chart_save, session_sign
from mesoclinic.consultations.services import plan_cancel
from mesoclinic.scheduling.courses import (
    choices_from_plan,
    course_book,
    course_propose,
    course_replan_apply,
    course_state,
)
from mesoclinic.scheduling.models import Appointment
from mesoclinic.scheduling.services import (
    appointment_book,
    appointment_reschedule,
    appointment_status_set,
)
from tests.charting.factories import NOW, charted, checked_in, make_day, row
from tests.scheduling.conftest import at, record_signed_session

TODAY = dt.date(2026, 11, 23)


def book_course(world, plan):
    scope = world.scope("receptionist")
    proposal = course_propose(scope=scope, plan=plan, today=TODAY)
    return course_book(scope=scope, plan=plan, sessions=choices_from_plan(proposal, world.clinic))


# 8. Booked once


def test_a_course_cannot_be_booked_twice(world, active_plan):
    scope = world.scope("receptionist")
    stale = choices_from_plan(
        course_propose(scope=scope, plan=active_plan, today=TODAY), world.clinic
    )
    assert len(course_book(scope=scope, plan=active_plan, sessions=stale)) == 6
    later = [
        type(c)(c.session_index, c.starts_at + dt.timedelta(hours=2), c.practitioner_id)
        for c in stale
    ]
    with pytest.raises(ValidationError, match="booked already"):
        course_book(scope=scope, plan=active_plan, sessions=later)
    assert Appointment.objects.filter(plan_id=active_plan.pk).count() == 6


def test_replanning_stops_when_a_session_was_changed_meanwhile(world, active_plan):
    scope = world.scope("receptionist")
    booked = book_course(world, active_plan)
    # The re-plan page is read: it shows the six booked sessions as they are.
    seen = {a.pk: a.version for a in course_state(plan=active_plan).future}
    replan = choices_from_plan(
        course_propose(scope=scope, plan=active_plan, today=TODAY, earliest=TODAY),
        world.clinic,
    )
    # Another receptionist moves session 3 before the re-plan is saved.
    third = booked[2]
    moved_to = third.starts_at + dt.timedelta(hours=1)
    appointment_reschedule(
        scope=scope, appointment=third, starts_at=moved_to, expected_version=third.version
    )
    with pytest.raises(ValidationError, match="Someone else changed session 3"):
        course_replan_apply(scope=scope, plan=active_plan, sessions=replan, expected_versions=seen)
    third.refresh_from_db()
    assert third.status == "booked" and third.starts_at == moved_to
    live = Appointment.objects.filter(plan_id=active_plan.pk, status="booked")
    assert live.count() == 6
    assert set(live) == set(booked)


def test_replanning_as_seen_replaces_the_booked_sessions(world, active_plan):
    scope = world.scope("receptionist")
    booked = book_course(world, active_plan)
    seen = {a.pk: a.version for a in course_state(plan=active_plan).future}
    replan = choices_from_plan(
        course_propose(scope=scope, plan=active_plan, today=TODAY, earliest=TODAY),
        world.clinic,
    )
    new = course_replan_apply(
        scope=scope, plan=active_plan, sessions=replan, expected_versions=seen
    )
    assert len(new) == 6
    assert not set(new) & set(booked)
    assert Appointment.objects.filter(plan_id=active_plan.pk, status="booked").count() == 6


# 9. Progress follows signed sessions


def test_the_desk_cannot_mark_a_course_session_done_without_a_signed_session(world, active_plan):
    first = book_course(world, active_plan)[0]
    scope = world.scope("receptionist")
    appointment_status_set(
        scope=scope, appointment=first, status="arrived", expected_version=first.version
    )
    with pytest.raises(ValidationError, match="signs its session"):
        appointment_status_set(
            scope=scope, appointment=first, status="done", expected_version=first.version
        )
    first.refresh_from_db()
    assert first.status == "arrived"
    assert course_state(plan=active_plan).sessions_done == 0


def test_a_signed_session_counts_and_a_status_alone_does_not(world, active_plan):
    booked = book_course(world, active_plan)
    record_signed_session(world, active_plan, booked[0])
    # An appointment marked done some other way (an import, an older version) is not a
    # session: nothing was charted or signed for it.
    Appointment.objects.filter(pk=booked[1].pk).update(status="done")
    state = course_state(plan=active_plan)
    assert state.sessions_done == 1
    assert state.last_done == booked[0].starts_at.astimezone(world.clinic.zone).date()
    assert len(state.future) == 4


def test_a_checked_in_appointment_cannot_be_cancelled_at_the_desk(world, active_plan):
    day = make_day(world, active_plan)
    checked_in(day)
    appointment = Appointment.objects.get(pk=day.appointment.pk)
    assert appointment.status == "arrived"
    for status in ("cancelled", "postponed"):
        with pytest.raises(ValidationError, match="checked in"):
            appointment_status_set(
                scope=world.scope("receptionist"),
                appointment=appointment,
                status=status,
                reason="changed her mind",
                expected_version=appointment.version,
            )
    appointment.refresh_from_db()
    assert appointment.status == "arrived"


def test_signing_marks_the_appointment_done_and_counts(world, active_plan):
    day = make_day(world, active_plan)
    session_sign(scope=day.scope, session=charted(day), now=NOW)
    assert Appointment.objects.get(pk=day.appointment.pk).status == "done"
    assert course_state(plan=active_plan).sessions_done == 1


# 10. Cancelling the plan stops the treatment


def test_cancelling_the_plan_cancels_its_booked_appointments(world, active_plan):
    booked = book_course(world, active_plan)
    plan = plan_cancel(scope=world.scope("practitioner"), plan=active_plan, now=NOW)
    assert {a.pk for a in plan.cancelled_appointments} == {a.pk for a in booked}
    assert set(
        Appointment.objects.filter(plan_id=active_plan.pk).values_list("status", flat=True)
    ) == {"cancelled"}


def test_a_checked_in_session_cannot_be_charted_after_the_plan_is_cancelled(world, active_plan):
    day = make_day(world, active_plan)
    session = checked_in(day)
    plan_cancel(scope=world.scope("practitioner"), plan=active_plan, now=NOW)
    with pytest.raises(ValidationError, match="plan of this session was cancelled"):
        chart_save(
            scope=day.scope,
            session=session,
            rows=[row("zone.cheeks", lot=day.lot, volume="2.0")],
            expected_version=session.version,
            save_token="",
            now=NOW,
        )


def test_a_charted_session_cannot_be_signed_after_the_plan_is_cancelled(world, active_plan):
    from mesoclinic.inventory.models import StockBalance

    day = make_day(world, active_plan)
    session = charted(day)
    before = StockBalance.objects.get(lot=day.lot, clinic=world.clinic).quantity_ul
    plan_cancel(scope=world.scope("practitioner"), plan=active_plan, now=NOW)
    with pytest.raises(ValidationError, match="plan of this session was cancelled"):
        session_sign(scope=day.scope, session=session, now=NOW)
    session.refresh_from_db()
    assert session.status != "signed"
    assert StockBalance.objects.get(lot=day.lot, clinic=world.clinic).quantity_ul == before


# 4. The booking window, in the service


def test_booking_with_now_refuses_the_past_and_beyond_the_horizon(world, patient_of, clinic_setup):
    patient = patient_of(world)
    kwargs = dict(
        scope=world.scope("receptionist"),
        patient=patient,
        practitioner=world.users["practitioner"],
        duration_min=30,
        technique_id="technique.nappage",
    )
    now = at("2026-11-30", "12:00")
    with pytest.raises(ValidationError, match="in the past"):
        appointment_book(starts_at=at("2026-11-30", "11:00"), now=now, **kwargs)
    with pytest.raises(ValidationError, match="365 days ahead"):
        appointment_book(starts_at=at("2027-12-06", "11:00"), now=now, **kwargs)
    assert appointment_book(starts_at=at("2026-11-30", "13:00"), now=now, **kwargs).pk
