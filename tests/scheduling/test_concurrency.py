"""Two receptionists book the same practitioner at the same moment: exactly one wins."""

from __future__ import annotations

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from mesoclinic.scheduling.models import Appointment
from mesoclinic.scheduling.services import appointment_book
from tests.scheduling.conftest import MONDAY, at


@pytest.mark.django_db(transaction=True)
def test_concurrent_double_booking_is_refused_by_the_database(world, patient_of, clinic_setup):
    patients = [patient_of(world, family=f"P{i}") for i in range(2)]
    scope = world.scope("receptionist")
    practitioner = world.users["practitioner"]
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def attempt(patient):
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
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt, args=(p,)) for p in patients]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert len(outcomes) == 2
    assert outcomes.count("booked") == 1, outcomes
    refused = [o for o in outcomes if o != "booked"]
    assert len(refused) == 1
    assert "already booked at an overlapping time" in refused[0]
    assert Appointment.objects.filter(practitioner=practitioner).count() == 1
