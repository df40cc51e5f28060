"""booking_rules_check: the clinic's hard rules hold for every booking, not only the planner's.

Each test books by hand (or moves, or books through a course or the planner's *Book
all*) something the planner would never propose, and expects a refusal naming the
rule; the same booking without the rule goes through, so each test fails if the rule
is dropped.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from mesoclinic.accounts.models import Role
from mesoclinic.scheduling.courses import SessionChoice, course_book
from mesoclinic.scheduling.models import Appointment, Room
from mesoclinic.scheduling.services import (
    appointment_book,
    appointment_reschedule,
    appointment_warnings,
    course_terms_set,
    credential_grant,
    patient_availability_set,
    practitioner_limit_set,
    room_create,
)
from tests.scheduling.conftest import MONDAY, at

TUESDAY = "2026-12-01"
NOW = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)


def _second_practitioner(world):
    from mesoclinic.accounts.services import user_create

    user = user_create(
        organisation=world.organisation,
        username=f"second-{world.organisation.pk}",
        email=f"second-{world.organisation.pk}@example.test",
        password="x-long-enough-password-1",
        display_name="Second Practitioner",
        memberships=[(world.clinic, Role.PRACTITIONER)],
    )
    credential_grant(
        scope=world.scope("owner"), practitioner=user, technique_id="technique.nappage"
    )
    return user


def _book(world, patient, start, *, minutes=30, plan=None, number=None, **kw):
    return appointment_book(
        scope=world.scope("receptionist"),
        patient=patient,
        practitioner=kw.pop("practitioner", world.users["practitioner"]),
        starts_at=start,
        duration_min=minutes,
        technique_id="technique.nappage",
        plan_id=plan.pk if plan is not None else None,
        session_number=number,
        **kw,
    )


def _errors(exc: pytest.ExceptionInfo) -> str:
    return " ".join(exc.value.messages)


def _terms(world, plan, **kw):
    values = {"same_practitioner": False, "latest_finish": None, "room_needs": []}
    values.update(kw)
    return course_terms_set(scope=world.scope("receptionist"), plan=plan, **values)


# -- the course: one practitioner, last date, room equipment --------------------------
def test_a_one_practitioner_course_is_not_booked_with_another(world, active_plan):
    other = _second_practitioner(world)
    _terms(world, active_plan, same_practitioner=True)
    _book(world, active_plan.patient, at(MONDAY, "10:00"), plan=active_plan, number=1)
    with pytest.raises(ValidationError) as exc:
        _book(
            world,
            active_plan.patient,
            at("2026-12-07", "10:00"),
            plan=active_plan,
            number=2,
            practitioner=other,
        )
    assert "This course stays with one practitioner" in _errors(exc)
    assert "Second Practitioner" in _errors(exc)
    _terms(world, active_plan, same_practitioner=False)
    _book(
        world,
        active_plan.patient,
        at("2026-12-07", "10:00"),
        plan=active_plan,
        number=2,
        practitioner=other,
    )


def test_course_book_refuses_a_switch_of_practitioner_and_keeps_nothing(world, active_plan):
    other = _second_practitioner(world)
    _terms(world, active_plan, same_practitioner=True)
    sessions = [
        SessionChoice(1, at(MONDAY, "10:00"), world.users["practitioner"].pk),
        SessionChoice(2, at("2026-12-07", "10:00"), other.pk),
    ]
    with pytest.raises(ValidationError) as exc:
        course_book(scope=world.scope("receptionist"), plan=active_plan, sessions=sessions)
    assert "session-2" in exc.value.message_dict
    assert "one practitioner" in " ".join(exc.value.message_dict["session-2"])
    assert not Appointment.objects.filter(plan_id=active_plan.pk).exists()


def test_a_session_after_the_courses_last_date_is_refused(world, active_plan):
    _terms(world, active_plan, latest_finish=dt.date(2026, 12, 5))
    with pytest.raises(ValidationError) as exc:
        _book(world, active_plan.patient, at("2026-12-07", "10:00"), plan=active_plan, number=1)
    assert "The course must finish by" in _errors(exc)
    _book(world, active_plan.patient, at(MONDAY, "10:00"), plan=active_plan, number=1)


def test_a_course_gets_a_room_with_its_equipment(world, active_plan, clinic_setup):
    body = room_create(
        scope=world.scope("owner"), clinic=world.clinic, name="Z body", features=["couch", "body"]
    )
    _terms(world, active_plan, room_needs=["body"])
    first = _book(world, active_plan.patient, at(MONDAY, "10:00"), plan=active_plan, number=1)
    assert first.room == body  # rooms A and B come first by name but lack the equipment
    with pytest.raises(ValidationError) as exc:
        _book(
            world,
            active_plan.patient,
            at("2026-12-07", "10:00"),
            plan=active_plan,
            number=2,
            room=clinic_setup["rooms"][0],
        )
    assert "does not have what this course needs" in _errors(exc)


# -- the patient's availability --------------------------------------------------------
def _availability(world, patient, **kw):
    values = {
        "preferred_weekdays": [],
        "preferred_from": None,
        "preferred_until": None,
        "unavailable_dates": [],
    }
    values.update(kw)
    return patient_availability_set(scope=world.scope("receptionist"), patient=patient, **values)


def test_the_patient_is_booked_only_on_her_weekdays_and_hours(world, patient_of, clinic_setup):
    patient = patient_of(world)
    _availability(
        world,
        patient,
        available_weekdays=[1, 5],
        available_from=dt.time(17),
        available_until=dt.time(19),
    )
    with pytest.raises(ValidationError) as exc:
        _book(world, patient, at(MONDAY, "17:00"))
    assert "The patient can only come on Tuesday, Saturday" in _errors(exc)
    with pytest.raises(ValidationError) as exc:
        _book(world, patient, at(TUESDAY, "10:00"))
    assert "The patient can only come between 17:00 and 19:00" in _errors(exc)
    assert _book(world, patient, at(TUESDAY, "17:00"))


def test_a_date_the_patient_cannot_come_is_refused(world, patient_of, clinic_setup):
    patient = patient_of(world)
    _availability(world, patient, unavailable_dates=[dt.date.fromisoformat(MONDAY)])
    with pytest.raises(ValidationError) as exc:
        _book(world, patient, at(MONDAY, "10:00"))
    assert "The patient cannot come on" in _errors(exc)


def test_preferences_only_warn(world, patient_of, clinic_setup):
    patient = patient_of(world)
    _availability(
        world,
        patient,
        preferred_weekdays=[4],
        preferred_from=dt.time(9),
        preferred_until=dt.time(12),
    )
    appointment = _book(world, patient, at(MONDAY, "15:00"))
    warnings = appointment_warnings(appointment=appointment)
    assert "The patient prefers to come on Friday." in warnings
    assert "The patient prefers to come between 09:00 and 12:00." in warnings


def test_moving_an_appointment_keeps_the_patients_weekdays(world, patient_of, clinic_setup):
    patient = patient_of(world)
    appointment = _book(world, patient, at(TUESDAY, "10:00"))
    _availability(world, patient, available_weekdays=[1])
    with pytest.raises(ValidationError) as exc:
        appointment_reschedule(
            scope=world.scope("receptionist"),
            appointment=appointment,
            starts_at=at(MONDAY, "10:00"),
            expected_version=appointment.version,
        )
    assert "can only come on Tuesday" in _errors(exc)


# -- the room's cleaning ---------------------------------------------------------------
def test_a_rooms_cleaning_time_is_kept_between_sessions(world, patient_of):
    room = room_create(
        scope=world.scope("owner"), clinic=world.clinic, name="Clean", cleaning_buffer_min=30
    )
    credential_grant(
        scope=world.scope("owner"),
        practitioner=world.users["practitioner"],
        technique_id="technique.nappage",
    )
    _book(world, patient_of(world, family="First"), at(MONDAY, "10:00"), room=room)
    second = patient_of(world, family="Second")
    with pytest.raises(ValidationError) as exc:
        _book(
            world, second, at(MONDAY, "10:45"), room=room, practitioner=_second_practitioner(world)
        )
    assert "is cleaned for 30 minutes after the session before; it is ready at 11:00" in _errors(
        exc
    )
    with pytest.raises(ValidationError) as exc:
        _book(world, second, at(MONDAY, "09:15"), room=room)
    assert "the next session there starts earlier" in _errors(exc)
    assert _book(world, second, at(MONDAY, "11:00"), room=room)


def test_no_room_given_takes_a_room_that_is_clean(world, patient_of):
    dirty = room_create(
        scope=world.scope("owner"), clinic=world.clinic, name="A clean", cleaning_buffer_min=30
    )
    other = room_create(scope=world.scope("owner"), clinic=world.clinic, name="B room")
    credential_grant(
        scope=world.scope("owner"),
        practitioner=world.users["practitioner"],
        technique_id="technique.nappage",
    )
    _book(world, patient_of(world, family="First"), at(MONDAY, "10:00"), room=dirty)
    second = _book(
        world,
        patient_of(world, family="Second"),
        at(MONDAY, "10:30"),
        practitioner=_second_practitioner(world),
    )
    assert second.room == other


def test_cleaning_must_end_by_closing_time(world, patient_of):
    room = room_create(
        scope=world.scope("owner"), clinic=world.clinic, name="Late", cleaning_buffer_min=30
    )
    credential_grant(
        scope=world.scope("owner"),
        practitioner=world.users["practitioner"],
        technique_id="technique.nappage",
    )
    patient = patient_of(world)
    with pytest.raises(ValidationError) as exc:
        _book(world, patient, at(MONDAY, "18:15"), room=room)  # ends 18:45, clean 19:15
    assert "would run past closing time (19:00)" in _errors(exc)
    assert _book(world, patient, at(MONDAY, "18:00"), room=room)


# -- the practitioner's daily maximum --------------------------------------------------
@pytest.mark.parametrize(
    ("limits", "expected"),
    [
        ({"max_sessions_per_day": 2, "max_minutes_per_day": None}, "already has 2 sessions"),
        ({"max_sessions_per_day": None, "max_minutes_per_day": 60}, "would have 90 minutes"),
    ],
    ids=["sessions", "minutes"],
)
def test_the_daily_maximum_counts_what_is_booked_already(
    world, patient_of, clinic_setup, limits, expected
):
    practitioner_limit_set(
        scope=world.scope("owner"),
        clinic=world.clinic,
        practitioner=world.users["practitioner"],
        **limits,
    )
    _book(world, patient_of(world, family="One"), at(MONDAY, "10:00"))
    _book(world, patient_of(world, family="Two"), at(MONDAY, "11:00"))
    late = patient_of(world, family="Three")
    with pytest.raises(ValidationError) as exc:
        _book(world, late, at(MONDAY, "15:00"))
    assert expected in _errors(exc)
    assert _book(world, late, at(TUESDAY, "15:00"))


def test_moving_within_the_same_day_does_not_count_itself(world, patient_of, clinic_setup):
    practitioner_limit_set(
        scope=world.scope("owner"),
        clinic=world.clinic,
        practitioner=world.users["practitioner"],
        max_sessions_per_day=1,
        max_minutes_per_day=None,
    )
    appointment = _book(world, patient_of(world), at(MONDAY, "10:00"))
    moved = appointment_reschedule(
        scope=world.scope("receptionist"),
        appointment=appointment,
        starts_at=at(MONDAY, "12:00"),
        expected_version=appointment.version,
    )
    assert moved.starts_at == at(MONDAY, "12:00")


# -- the planner's Book all ------------------------------------------------------------
def test_book_all_checks_the_rules_again(world, active_plan, settings):
    from mesoclinic.scheduling.planner_runs import planner_run_book, planner_run_start

    settings.PLANNER_TIME_LIMIT_S = 3
    now = dt.datetime(2026, 11, 29, 23, 30, tzinfo=dt.UTC)
    scope = world.scope("receptionist")
    run = planner_run_start(scope=scope, clinic=world.clinic, now=now)
    # After the plan was made the patient says she can only come on Sundays (closed).
    _availability(world, active_plan.patient, available_weekdays=[6])
    booking = planner_run_book(scope=scope, run=run, now=now)
    assert booking.appointment_ids == []
    (row,) = booking.report
    assert row["booked"] == 0
    assert any("The patient can only come on Sunday" in p for p in row["problems"])
    assert not Appointment.objects.filter(plan_id=active_plan.pk).exists()


def test_rooms_are_unchanged_when_no_rule_applies(world, patient_of, clinic_setup):
    appointment = _book(world, patient_of(world), at(MONDAY, "10:00"))
    assert appointment.room == Room.objects.filter(clinic=world.clinic).order_by("name").first()
    assert appointment_warnings(appointment=appointment) == []
