"""Postponing at check-in: the appointment gets a neutral reason; verdicts stay clinical."""

from __future__ import annotations

import pytest
from django.test import Client

from mesoclinic.charting.screening import Answer
from mesoclinic.charting.services import session_postpone
from mesoclinic.scheduling.models import Appointment
from tests.charting.factories import NOW, checked_in, make_day, no_answers


@pytest.fixture
def day(world, active_plan):
    return make_day(world, active_plan)


def test_postponing_keeps_the_screening_reason_off_the_appointment_the_desk_sees(day):
    session = checked_in(day, answers={**no_answers(), "vq.menstruation": Answer(yes=True)})
    verdicts = [v for v in session.screening_result["verdicts"] if v["level"] == "postpone"]
    assert verdicts
    session_postpone(scope=day.nurse(), session=session, now=NOW)
    appointment = Appointment.objects.get(pk=day.appointment.pk)
    assert appointment.status == "postponed"
    assert appointment.status_reason
    for verdict in verdicts:
        for text in verdict["message"].values():
            assert text not in appointment.status_reason
    desk = Client()
    desk.force_login(day.world.users["receptionist"])
    page = desk.get(f"/schedule/appointments/{appointment.pk}/").content.decode()
    assert appointment.status_reason in page
    for verdict in verdicts:
        assert verdict["message"]["en"] not in page
    # The clinical record keeps the verdicts.
    session.refresh_from_db()
    assert any(v["level"] == "postpone" for v in session.screening_result["verdicts"])
