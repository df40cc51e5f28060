"""Calendar pages, calendar feeds and reminders through the real stack."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.test import Client
from icalendar import Calendar

from mesoclinic.audit.models import AuditEvent
from mesoclinic.scheduling.models import Appointment, CalendarFeed
from mesoclinic.scheduling.services import appointment_book
from mesoclinic.scheduling.tasks import reminders_enqueue
from tests.scheduling.conftest import MONDAY, MOSCOW, at
from tests.scheduling.test_desk_pages import future_monday


@pytest.fixture
def appt(world, patient_of, clinic_setup):
    patient = patient_of(world, family="Иванова", given="Елена")
    patient.email = "elena@example.org"
    patient.preferred_language = "ru"
    patient.save()
    return appointment_book(
        scope=world.scope("receptionist"),
        patient=patient,
        practitioner=world.users["practitioner"],
        starts_at=at(MONDAY, "10:00"),
        duration_min=30,
        technique_id="technique.nappage",
    )


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_day_view_shows_the_appointment_in_the_clinic_time_zone(world, appt):
    page = client_for(world.users["receptionist"]).get(f"/schedule/?date={MONDAY}").content.decode()
    assert "Иванова Елена" in page
    assert "10:00–10:30" in page


def test_week_view_and_room_view_render(world, appt):
    client = client_for(world.users["practitioner"])
    assert "Иванова" in client.get(f"/schedule/?date={MONDAY}&view=week").content.decode()
    assert "Иванова" in client.get(f"/schedule/?date={MONDAY}&by=room").content.decode()


def test_booking_form_reports_outside_hours_on_the_field(world, patient_of, clinic_setup):
    patient = patient_of(world)
    response = client_for(world.users["receptionist"]).post(
        "/schedule/book/",
        {
            "patient": patient.pk,
            "practitioner": world.users["practitioner"].pk,
            "day": future_monday().isoformat(),
            "time": "21:00",
            "duration": 30,
            "technique_id": "technique.nappage",
        },
    )
    assert response.status_code == 200
    assert "outside the clinic&#x27;s opening hours" in response.content.decode()
    assert not Appointment.objects.exists()


def test_booking_form_books(world, patient_of, clinic_setup):
    patient = patient_of(world)
    response = client_for(world.users["receptionist"]).post(
        "/schedule/book/",
        {
            "patient": patient.pk,
            "practitioner": world.users["practitioner"].pk,
            "day": future_monday().isoformat(),
            "time": "11:00",
            "duration": 45,
            "technique_id": "technique.nappage",
        },
    )
    assert response.status_code == 302
    appt = Appointment.objects.get()
    assert appt.starts_at == dt.datetime.combine(future_monday(), dt.time(11), tzinfo=MOSCOW)


def test_another_organisation_cannot_open_the_appointment(make_org, appt):
    stranger = make_org()
    response = client_for(stranger.users["owner"]).get(f"/schedule/appointments/{appt.pk}/")
    assert response.status_code == 404


def test_practitioner_feed_lists_appointments_with_initials_only(world, appt):
    feed = CalendarFeed.objects.create(
        organisation=world.organisation, practitioner=world.users["practitioner"]
    )
    response = Client().get(f"/schedule/feeds/{feed.token}.ics")
    assert response["Content-Type"].startswith("text/calendar")
    cal = Calendar.from_ical(response.content)
    events = [c for c in cal.walk("VEVENT")]
    assert len(events) == 1
    assert str(events[0]["summary"]) == "Mesoclinic: Е. И."
    assert events[0].decoded("dtstart") == at(MONDAY, "10:00")
    assert "Иванова" not in response.content.decode()
    assert AuditEvent.objects.filter(action="export", detail__feed=feed.pk).exists()


def test_revoked_or_unknown_feed_is_404(world, appt):
    feed = CalendarFeed.objects.create(
        organisation=world.organisation,
        practitioner=world.users["practitioner"],
        revoked_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
    )
    assert Client().get(f"/schedule/feeds/{feed.token}.ics").status_code == 404
    assert Client().get("/schedule/feeds/not-a-token.ics").status_code == 404


def test_reminder_is_emailed_in_the_patients_language(
    world, appt, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        assert len(reminders_enqueue(day=dt.date.fromisoformat(MONDAY))) == 1
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["elena@example.org"]
    assert "Напоминаем о вашей записи" in message.body
    assert "10:00" in message.body


def test_no_reminder_for_a_cancelled_appointment(world, appt):
    from mesoclinic.scheduling.services import appointment_status_set

    appointment_status_set(
        scope=world.scope("receptionist"),
        appointment=appt,
        status="cancelled",
        expected_version=appt.version,
        reason="ill",
    )
    assert reminders_enqueue(day=dt.date.fromisoformat(MONDAY)) == []
