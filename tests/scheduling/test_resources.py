"""Owners manage rooms, devices, staff hours, absences and holidays; bad input is explained."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from mesoclinic.scheduling.models import Device, PatientAvailability, Room, WorkingHours
from mesoclinic.scheduling.services import (
    absence_create,
    appointment_book,
    device_create,
    holiday_create,
    patient_availability_set,
    room_create,
    working_hours_set,
)
from tests.scheduling.conftest import MONDAY, at


def owner_client(world) -> Client:
    client = Client()
    client.force_login(world.users["owner"])
    return client


def test_owner_adds_a_room_through_the_page(world):
    response = owner_client(world).post(
        "/schedule/resources/", {"action": "room", "room-name": "Blue room"}
    )
    assert response.status_code == 302
    assert Room.objects.filter(clinic=world.clinic, name="Blue room").exists()


def test_duplicate_room_name_is_explained_on_the_field(world):
    room_create(scope=world.scope("owner"), clinic=world.clinic, name="Blue room")
    response = owner_client(world).post(
        "/schedule/resources/", {"action": "room", "room-name": "Blue room"}
    )
    assert response.status_code == 200
    assert "already has a room called Blue room" in response.content.decode()
    assert Room.objects.filter(name="Blue room").count() == 1


def test_non_owners_cannot_manage_resources(world):
    for role in ("practitioner", "nurse", "receptionist"):
        client = Client()
        client.force_login(world.users[role])
        assert client.get("/schedule/resources/").status_code == 403


def test_a_device_must_deliver_needle_free_techniques(world):
    with pytest.raises(ValidationError) as exc:
        device_create(
            scope=world.scope("owner"),
            clinic=world.clinic,
            name="Needle gun",
            technique_ids=["technique.nappage"],
        )
    assert "not a needle-free technique" in " ".join(exc.value.messages)
    assert not Device.objects.exists()


def test_working_hours_replace_the_old_ones(world):
    scope, doc = world.scope("owner"), world.users["practitioner"]
    working_hours_set(
        scope=scope,
        clinic=world.clinic,
        practitioner=doc,
        hours={0: (dt.time(9), dt.time(13)), 1: (dt.time(14), dt.time(19))},
    )
    working_hours_set(
        scope=scope, clinic=world.clinic, practitioner=doc, hours={2: (dt.time(10), dt.time(16))}
    )
    assert list(
        WorkingHours.objects.filter(practitioner=doc).values_list("weekday", flat=True)
    ) == [2]


def test_absence_over_booked_appointments_is_refused(world, patient_of, clinic_setup):
    appointment_book(
        scope=world.scope("receptionist"),
        patient=patient_of(world),
        practitioner=world.users["practitioner"],
        starts_at=at(MONDAY, "10:00"),
        duration_min=30,
        technique_id="technique.nappage",
    )
    with pytest.raises(ValidationError) as exc:
        absence_create(
            scope=world.scope("owner"),
            practitioner=world.users["practitioner"],
            first_day=dt.date.fromisoformat(MONDAY),
            last_day=dt.date.fromisoformat(MONDAY),
        )
    assert "move them first" in " ".join(exc.value.messages)


def test_holiday_over_booked_appointments_is_refused(world, patient_of, clinic_setup):
    appointment_book(
        scope=world.scope("receptionist"),
        patient=patient_of(world),
        practitioner=world.users["practitioner"],
        starts_at=at(MONDAY, "10:00"),
        duration_min=30,
        technique_id="technique.nappage",
    )
    with pytest.raises(ValidationError):
        holiday_create(
            scope=world.scope("owner"), clinic=world.clinic, day=dt.date.fromisoformat(MONDAY)
        )


def test_patient_availability_form_rejects_a_bad_date_and_saves_a_good_one(world, patient_of):
    patient = patient_of(world)
    client = Client()
    client.force_login(world.users["receptionist"])
    bad = client.post(
        f"/schedule/patients/{patient.pk}/availability/",
        {"unavailable_dates": "2026-13-45", "preferred_weekdays": ["0"]},
    )
    assert "is not a date like" in bad.content.decode()
    assert not PatientAvailability.objects.exists()
    good = client.post(
        f"/schedule/patients/{patient.pk}/availability/",
        {
            "unavailable_dates": "2026-12-31, 2027-01-02",
            "preferred_weekdays": ["0", "2"],
            "preferred_from": "10:00",
            "preferred_until": "14:00",
        },
    )
    assert good.status_code == 302
    saved = PatientAvailability.objects.get(patient=patient)
    assert saved.unavailable_dates == ["2026-12-31", "2027-01-02"]
    assert saved.preferred_weekdays == [0, 2]


def test_course_booking_avoids_dates_the_patient_cannot_come(world, active_plan):
    from mesoclinic.scheduling.courses import course_propose

    scope = world.scope("receptionist")
    first = course_propose(scope=scope, plan=active_plan, today=dt.date(2026, 11, 23))
    blocked = first.placements[1].day
    patient_availability_set(
        scope=scope,
        patient=active_plan.patient,
        preferred_weekdays=[],
        preferred_from=None,
        preferred_until=None,
        unavailable_dates=[blocked],
    )
    second = course_propose(scope=scope, plan=active_plan, today=dt.date(2026, 11, 23))
    assert blocked not in [p.day for p in second.placements]
    assert len(second.placements) == 6


def test_granting_a_credential_is_audited_once(world):
    from mesoclinic.audit.models import AuditEvent
    from mesoclinic.scheduling.services import credential_grant

    for _ in range(2):
        credential_grant(
            scope=world.scope("owner"),
            practitioner=world.users["practitioner"],
            technique_id="technique.papule",
        )
    events = AuditEvent.objects.filter(object_type="scheduling.Credential")
    assert events.count() == 1
    assert events.get().actor == world.users["owner"]
