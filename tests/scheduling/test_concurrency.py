"""Receptionists booking at the same moment: the database referees, nobody deadlocks."""

from __future__ import annotations

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from mesoclinic.accounts.models import Role
from mesoclinic.accounts.services import user_create
from mesoclinic.scheduling.models import Appointment
from mesoclinic.scheduling.services import appointment_book
from tests.conftest import PASSWORD
from tests.scheduling.conftest import MONDAY, at


def _race(scope, bookings) -> list[str]:
    """Run every booking in its own thread and connection, released together."""
    barrier = threading.Barrier(len(bookings))
    outcomes: list[str] = []

    def attempt(patient, practitioner):
        try:
            barrier.wait(timeout=10)
            appointment_book(
                scope=scope,
                patient=patient,
                practitioner=practitioner,
                starts_at=at(MONDAY, "11:00"),
                duration_min=45,
                technique_id="technique.nappage",
            )
            outcomes.append("booked")
        except ValidationError as exc:
            outcomes.append(" ".join(exc.messages))
        except Exception as exc:  # a deadlock or any other database error fails the test
            outcomes.append(f"{type(exc).__name__}: {exc}")
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt, args=b) for b in bookings]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return outcomes


@pytest.mark.django_db(transaction=True)
def test_concurrent_double_booking_is_refused_by_the_database(world, patient_of, clinic_setup):
    patients = [patient_of(world, family=f"P{i}") for i in range(2)]
    practitioner = world.users["practitioner"]
    # Both attempts want the same practitioner and (being first free) the same room:
    # two exclusion constraints at once, which must not deadlock.
    outcomes = _race(world.scope("receptionist"), [(p, practitioner) for p in patients])
    assert len(outcomes) == 2
    assert outcomes.count("booked") == 1, outcomes
    refused = [o for o in outcomes if o != "booked"]
    assert "already booked at an overlapping time" in refused[0], refused
    assert Appointment.objects.filter(practitioner=practitioner).count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_bookings_of_different_practitioners_share_out_the_rooms(
    world, patient_of, clinic_setup
):
    from mesoclinic.scheduling.services import credential_grant

    second = user_create(
        organisation=world.organisation,
        username="second-practitioner",
        email="second@example.test",
        password=PASSWORD,
        display_name="Second practitioner",
        memberships=[(world.clinic, Role.PRACTITIONER)],
    )
    credential_grant(
        scope=world.scope("owner"), practitioner=second, technique_id="technique.nappage"
    )
    patients = [patient_of(world, family=f"P{i}") for i in range(2)]
    outcomes = _race(
        world.scope("receptionist"),
        [(patients[0], world.users["practitioner"]), (patients[1], second)],
    )
    assert outcomes == ["booked", "booked"], outcomes
    rooms = set(Appointment.objects.values_list("room__name", flat=True))
    assert rooms == {"A", "B"}
