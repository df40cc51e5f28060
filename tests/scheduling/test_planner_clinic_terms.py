"""The clinic as it is reaches the planner: every field set on a page is in its problem.

Each test sets one thing through the service the page uses and finds it in
`clinic_problem` (the clinic planner) or in the course's problem (`course_propose`).
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from mesoclinic.core import planning as pl
from mesoclinic.scheduling.courses import clinic_problem, course_problem
from mesoclinic.scheduling.models import Appointment
from mesoclinic.scheduling.services import (
    absence_create,
    course_terms_set,
    patient_availability_set,
    practitioner_break_add,
    practitioner_limit_set,
    room_create,
)
from tests.scheduling.conftest import MOSCOW

START = dt.date(2026, 11, 30)  # a Monday
END = dt.date(2026, 12, 13)


def _problem(world, plan) -> pl.Problem:
    return clinic_problem(clinic=world.clinic, plans=[plan], start=START, end=END)


def _practitioner(problem: pl.Problem, world) -> pl.Practitioner:
    pk = str(world.users["practitioner"].pk)
    return next(p for p in problem.practitioners if p.id == pk)


def test_a_rooms_equipment_and_cleaning_time(world, active_plan):
    room_create(
        scope=world.scope("owner"),
        clinic=world.clinic,
        name="Body room",
        features=["couch", "body"],
        cleaning_buffer_min=10,
    )
    room = next(r for r in _problem(world, active_plan).rooms if r.name == "Body room")
    assert room.features == frozenset({"couch", "body"})
    assert room.cleaning_buffer_min == 10
    with pytest.raises(ValidationError):
        room_create(scope=world.scope("owner"), clinic=world.clinic, name="X", features=["sauna"])


def test_a_practitioners_daily_maximum(world, active_plan):
    practitioner_limit_set(
        scope=world.scope("owner"),
        clinic=world.clinic,
        practitioner=world.users["practitioner"],
        max_sessions_per_day=6,
        max_minutes_per_day=300,
    )
    p = _practitioner(_problem(world, active_plan), world)
    assert (p.max_sessions_per_day, p.max_minutes_per_day) == (6, 300)


def test_a_recurring_break_is_busy_on_each_of_its_weekdays(world, active_plan):
    practitioner_break_add(
        scope=world.scope("owner"),
        clinic=world.clinic,
        practitioner=world.users["practitioner"],
        weekday=2,  # Wednesday
        starts=dt.time(13),
        ends=dt.time(14),
    )
    pk = str(world.users["practitioner"].pk)
    busy = [
        b
        for b in _problem(world, active_plan).busy
        if b.resource == "practitioner" and b.resource_id == pk
    ]
    assert sorted(b.day for b in busy) == [dt.date(2026, 12, 2), dt.date(2026, 12, 9)]
    assert {(b.start, b.end) for b in busy} == {(dt.time(13), dt.time(14))}


def test_a_partial_day_absence_is_busy_those_hours_not_the_whole_day(world, active_plan):
    absence_create(
        scope=world.scope("owner"),
        practitioner=world.users["practitioner"],
        first_day=dt.date(2026, 12, 1),
        last_day=dt.date(2026, 12, 1),
        starts=dt.time(9),
        ends=dt.time(12),
        reason="Dentist",
    )
    problem = _problem(world, active_plan)
    p = _practitioner(problem, world)
    assert dt.date(2026, 12, 1) not in p.absences
    assert (
        pl.Busy("practitioner", p.id, dt.date(2026, 12, 1), dt.time(9), dt.time(12)) in problem.busy
    )


def test_a_partial_day_absence_is_refused_over_a_booked_appointment_in_those_hours(
    world, active_plan
):
    start = dt.datetime(2026, 12, 1, 10, 0, tzinfo=MOSCOW)
    Appointment.objects.create(
        organisation=world.organisation,
        clinic=world.clinic,
        patient=active_plan.patient,
        practitioner=world.users["practitioner"],
        starts_at=start,
        ends_at=start + dt.timedelta(minutes=45),
        created_by=world.users["receptionist"],
    )
    kwargs = {
        "scope": world.scope("owner"),
        "practitioner": world.users["practitioner"],
        "first_day": dt.date(2026, 12, 1),
        "last_day": dt.date(2026, 12, 1),
    }
    absence_create(**kwargs, starts=dt.time(14), ends=dt.time(16))  # afternoon: free
    with pytest.raises(ValidationError, match="appointment"):
        absence_create(**kwargs, starts=dt.time(9), ends=dt.time(11))


def test_a_device_serves_every_technique_it_lists(world, active_plan):
    from mesoclinic.consultations.models import TreatmentPlan
    from mesoclinic.scheduling.services import device_create

    device_create(
        scope=world.scope("owner"),
        clinic=world.clinic,
        name="Combi",
        technique_ids=["technique.electroporation", "technique.sonophoresis"],
    )
    TreatmentPlan.objects.filter(pk=active_plan.pk).update(technique_ids=["technique.sonophoresis"])
    active_plan.refresh_from_db()
    (combi,) = [d for d in _problem(world, active_plan).devices if d.name == "Combi"]
    assert combi.kinds == frozenset({"technique.electroporation", "technique.sonophoresis"})


def test_the_patients_hard_availability_beside_the_soft_preferences(world, active_plan):
    patient_availability_set(
        scope=world.scope("receptionist"),
        patient=active_plan.patient,
        preferred_weekdays=[1],
        preferred_from=None,
        preferred_until=None,
        unavailable_dates=[],
        available_weekdays=[1, 5],
        available_from=dt.time(17),
        available_until=dt.time(19),
    )
    (course,) = _problem(world, active_plan).courses
    assert course.available_weekdays == frozenset({1, 5})
    assert course.available_times == (pl.TimeRange(dt.time(17), dt.time(19)),)
    assert course.preferred_weekdays == frozenset({1})


def test_course_terms_reach_the_clinic_planner_and_the_course_proposal(world, active_plan):
    course_terms_set(
        scope=world.scope("receptionist"),
        plan=active_plan,
        same_practitioner=True,
        latest_finish=dt.date(2027, 2, 1),
        room_needs=["couch"],
    )
    (course,) = _problem(world, active_plan).courses
    assert course.same_practitioner is True
    assert course.latest_finish == dt.date(2027, 2, 1)
    assert course.room_needs == frozenset({"couch"})
    assert course.previous_practitioner is None  # no session done yet
    own = course_problem(clinic=world.clinic, plan=active_plan, start=START, end=END)[1]
    assert own.same_practitioner and own.latest_finish == dt.date(2027, 2, 1)


def test_same_practitioner_after_a_session_names_who_gave_it(world, active_plan):
    from tests.scheduling.conftest import record_signed_session

    course_terms_set(
        scope=world.scope("receptionist"),
        plan=active_plan,
        same_practitioner=True,
        latest_finish=None,
        room_needs=[],
    )
    start = dt.datetime(2026, 11, 24, 10, 0, tzinfo=MOSCOW)
    first = Appointment.objects.create(
        organisation=world.organisation,
        clinic=world.clinic,
        patient=active_plan.patient,
        practitioner=world.users["practitioner"],
        starts_at=start,
        ends_at=start + dt.timedelta(minutes=45),
        created_by=world.users["receptionist"],
        plan_id=active_plan.pk,
        session_number=1,
    )
    record_signed_session(world, active_plan, first)
    (course,) = _problem(world, active_plan).courses
    assert course.sessions_done == 1
    assert course.previous_practitioner == str(world.users["practitioner"].pk)


def test_booking_refuses_a_practitioners_break(world, active_plan):
    from mesoclinic.scheduling.services import appointment_book

    practitioner_break_add(
        scope=world.scope("owner"),
        clinic=world.clinic,
        practitioner=world.users["practitioner"],
        weekday=0,
        starts=dt.time(13),
        ends=dt.time(14),
    )
    with pytest.raises(ValidationError, match="break"):
        appointment_book(
            scope=world.scope("receptionist"),
            patient=active_plan.patient,
            practitioner=world.users["practitioner"],
            starts_at=dt.datetime(2026, 11, 30, 13, 30, tzinfo=MOSCOW),
            duration_min=30,
        )


def test_existing_appointments_count_toward_the_daily_maximum(world, active_plan, patient_of):
    from mesoclinic.scheduling.services import appointment_book

    appointment_book(
        scope=world.scope("receptionist"),
        patient=patient_of(world, family="Booked"),
        practitioner=world.users["practitioner"],
        starts_at=dt.datetime(2026, 12, 1, 10, tzinfo=MOSCOW),
        duration_min=30,
    )
    pk = str(world.users["practitioner"].pk)
    (busy,) = [
        b
        for b in _problem(world, active_plan).busy
        if b.resource == "practitioner" and b.resource_id == pk
    ]
    assert busy.session and busy.day == dt.date(2026, 12, 1)
