"""appointment_book: every booking rule, and the database's refusal of double bookings."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from mesoclinic.scheduling.models import Absence, Appointment, Holiday, WorkingHours
from mesoclinic.scheduling.services import appointment_book
from tests.scheduling.conftest import MONDAY, at


def book(world, patient, start, *, minutes=30, technique="technique.nappage", **kw):
    return appointment_book(
        scope=world.scope("receptionist"),
        patient=patient,
        practitioner=kw.pop("practitioner", world.users["practitioner"]),
        starts_at=start,
        duration_min=minutes,
        technique_id=technique,
        **kw,
    )


def errors_of(exc: pytest.ExceptionInfo) -> str:
    return " ".join(exc.value.messages)


def test_booking_in_opening_hours_takes_the_first_free_room(world, patient_of, clinic_setup):
    appt = book(world, patient_of(world), at(MONDAY, "10:00"))
    assert appt.room == clinic_setup["rooms"][0]
    assert appt.ends_at - appt.starts_at == dt.timedelta(minutes=30)
    assert appt.status == "booked"


@pytest.mark.parametrize(
    ("start", "minutes"),
    [(at(MONDAY, "08:30"), 30), (at(MONDAY, "18:45"), 30), (at("2026-12-06", "10:00"), 30)],
    ids=["before-opening", "runs-past-closing", "sunday-closed"],
)
def test_outside_opening_hours_is_refused(world, patient_of, clinic_setup, start, minutes):
    with pytest.raises(ValidationError) as exc:
        book(world, patient_of(world), start, minutes=minutes)
    assert "outside the clinic's opening hours" in errors_of(exc)
    assert not Appointment.objects.exists()


def test_holiday_is_refused(world, patient_of, clinic_setup):
    Holiday.objects.create(organisation=world.organisation, clinic=world.clinic, day=MONDAY)
    with pytest.raises(ValidationError) as exc:
        book(world, patient_of(world), at(MONDAY, "10:00"))
    assert "holiday" in errors_of(exc)


def test_outside_the_practitioners_hours_is_refused(world, patient_of, clinic_setup):
    WorkingHours.objects.create(
        organisation=world.organisation,
        clinic=world.clinic,
        practitioner=world.users["practitioner"],
        weekday=0,
        starts=dt.time(9),
        ends=dt.time(13),
    )
    book(world, patient_of(world), at(MONDAY, "12:00"))
    with pytest.raises(ValidationError) as exc:
        book(world, patient_of(world, family="Other"), at(MONDAY, "14:00"))
    assert "does not work at" in errors_of(exc)


def test_absent_practitioner_is_refused(world, patient_of, clinic_setup):
    Absence.objects.create(
        organisation=world.organisation,
        practitioner=world.users["practitioner"],
        first_day=MONDAY,
        last_day=MONDAY,
        reason="conference",
    )
    with pytest.raises(ValidationError) as exc:
        book(world, patient_of(world), at(MONDAY, "10:00"))
    assert "is absent" in errors_of(exc)


def test_practitioner_without_the_credential_is_refused(world, patient_of, clinic_setup):
    with pytest.raises(ValidationError) as exc:
        book(world, patient_of(world), at(MONDAY, "10:00"), technique="technique.deep")
    assert "not credentialed" in errors_of(exc)


def test_needle_free_technique_gets_its_device_and_a_second_one_is_refused(
    world, patient_of, clinic_setup
):
    first = book(
        world, patient_of(world), at(MONDAY, "10:00"), technique="technique.electroporation"
    )
    assert first.device == clinic_setup["device"]
    from mesoclinic.accounts.models import Role
    from mesoclinic.accounts.services import membership_add, user_create
    from mesoclinic.scheduling.services import credential_grant

    other = user_create(
        organisation=world.organisation,
        username="second-doc",
        email="second@example.test",
        password="x-long-password-1",
        memberships=[(world.clinic, Role.PRACTITIONER)],
    )
    membership_add(user=other, clinic=world.clinic, role=Role.PRACTITIONER)
    credential_grant(
        scope=world.scope("owner"), practitioner=other, technique_id="technique.electroporation"
    )
    with pytest.raises(ValidationError) as exc:
        book(
            world,
            patient_of(world, family="Other"),
            at(MONDAY, "10:15"),
            technique="technique.electroporation",
            practitioner=other,
        )
    assert "needs a device" in errors_of(exc)


@pytest.mark.parametrize("overlap", ["10:00", "10:15", "09:45"])
def test_the_database_refuses_a_double_booked_practitioner(
    world, patient_of, clinic_setup, overlap
):
    book(world, patient_of(world), at(MONDAY, "10:00"))
    with pytest.raises(ValidationError) as exc:
        book(world, patient_of(world, family="Other"), at(MONDAY, overlap))
    assert "already booked at an overlapping time" in errors_of(exc)
    assert Appointment.objects.count() == 1


def test_back_to_back_appointments_are_fine(world, patient_of, clinic_setup):
    book(world, patient_of(world), at(MONDAY, "10:00"))
    book(world, patient_of(world, family="Other"), at(MONDAY, "10:30"))
    assert Appointment.objects.count() == 2


def test_a_patient_cannot_be_in_two_rooms_at_once(world, patient_of, clinic_setup):
    from mesoclinic.accounts.models import Role
    from mesoclinic.accounts.services import user_create
    from mesoclinic.scheduling.services import credential_grant

    patient = patient_of(world)
    other = user_create(
        organisation=world.organisation,
        username="doc2",
        email="doc2@example.test",
        password="x-long-password-2",
        memberships=[(world.clinic, Role.PRACTITIONER)],
    )
    credential_grant(
        scope=world.scope("owner"), practitioner=other, technique_id="technique.nappage"
    )
    book(world, patient, at(MONDAY, "10:00"))
    with pytest.raises(ValidationError) as exc:
        book(world, patient, at(MONDAY, "10:10"), practitioner=other)
    assert "already booked" in errors_of(exc)


def test_cancelled_appointment_frees_the_slot(world, patient_of, clinic_setup):
    from mesoclinic.scheduling.services import appointment_status_set

    first = book(world, patient_of(world), at(MONDAY, "10:00"))
    appointment_status_set(
        scope=world.scope("receptionist"),
        appointment=first,
        status="cancelled",
        expected_version=first.version,
        reason="patient ill",
    )
    book(world, patient_of(world, family="Other"), at(MONDAY, "10:00"))


def test_patient_of_another_organisation_cannot_be_booked(
    make_org, patient_of, world, clinic_setup
):
    stranger = patient_of(make_org())
    with pytest.raises(ValidationError):
        book(world, stranger, at(MONDAY, "10:00"))
