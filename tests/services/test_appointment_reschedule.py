"""appointment_reschedule and appointment_status_set: rules, transitions, optimistic locking."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from mesoclinic.scheduling.services import (
    appointment_book,
    appointment_reschedule,
    appointment_status_set,
)
from tests.scheduling.conftest import MONDAY, at


@pytest.fixture
def appt(world, patient_of, clinic_setup):
    return appointment_book(
        scope=world.scope("receptionist"),
        patient=patient_of(world),
        practitioner=world.users["practitioner"],
        starts_at=at(MONDAY, "10:00"),
        duration_min=30,
        technique_id="technique.nappage",
    )


def test_reschedule_moves_and_bumps_the_version(world, appt):
    moved = appointment_reschedule(
        scope=world.scope("receptionist"),
        appointment=appt,
        starts_at=at(MONDAY, "15:00"),
        expected_version=appt.version,
    )
    assert moved.starts_at == at(MONDAY, "15:00")
    assert moved.version == 2


def test_two_receptionists_editing_the_same_appointment_one_is_told_to_reload(world, appt):
    stale_version = appt.version
    appointment_reschedule(
        scope=world.scope("receptionist"),
        appointment=appt,
        starts_at=at(MONDAY, "15:00"),
        expected_version=stale_version,
    )
    with pytest.raises(ValidationError) as exc:
        appointment_reschedule(
            scope=world.scope("owner"),
            appointment=appt,
            starts_at=at(MONDAY, "16:00"),
            expected_version=stale_version,
        )
    assert "Someone else changed this appointment" in " ".join(exc.value.messages)
    appt.refresh_from_db()
    assert appt.starts_at == at(MONDAY, "15:00")


def test_reschedule_outside_hours_is_refused_and_nothing_changes(world, appt):
    with pytest.raises(ValidationError):
        appointment_reschedule(
            scope=world.scope("receptionist"),
            appointment=appt,
            starts_at=at(MONDAY, "20:00"),
            expected_version=appt.version,
        )
    appt.refresh_from_db()
    assert appt.starts_at == at(MONDAY, "10:00")
    assert appt.version == 1


@pytest.mark.parametrize(
    ("path", "allowed"),
    [
        (["confirmed", "arrived", "postponed"], True),
        # A treatment appointment is done only by signing its session.
        (["confirmed", "arrived", "done"], False),
        (["done"], False),
        (["cancelled", "confirmed"], False),
        (["no_show", "arrived"], False),
    ],
)
def test_status_transitions(world, appt, path, allowed):
    scope = world.scope("receptionist")

    def walk():
        for status in path:
            appointment_status_set(
                scope=scope,
                appointment=appt,
                status=status,
                expected_version=appt.version,
                reason="because",
            )

    if allowed:
        walk()
        assert appt.status == path[-1]
    else:
        with pytest.raises(ValidationError):
            walk()


def test_cancelling_needs_a_reason(world, appt):
    with pytest.raises(ValidationError) as exc:
        appointment_status_set(
            scope=world.scope("receptionist"),
            appointment=appt,
            status="cancelled",
            expected_version=appt.version,
        )
    assert "Say why" in " ".join(exc.value.messages)
