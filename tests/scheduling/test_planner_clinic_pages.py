"""The clinic's new terms are set on its pages, submitted as rendered, and kept when wrong."""

from __future__ import annotations

import datetime as dt

from django.test import Client

from mesoclinic.scheduling.models import (
    Absence,
    CourseTerms,
    PatientAvailability,
    PractitionerBreak,
    PractitionerLimit,
    Room,
)
from tests.scheduling.forms_as_rendered import as_post, form_fields


def _client(world, role: str) -> Client:
    client = Client()
    client.force_login(world.users[role])
    return client


def test_owner_sets_rooms_breaks_daily_maximum_and_a_partial_absence(world):
    client = _client(world, "owner")
    page = client.get("/schedule/resources/").content.decode()
    practitioner = str(world.users["practitioner"].pk)

    def submit(action: str, **changes):
        data = as_post(form_fields(page, f"form-{action}"), **changes)
        return client.post("/schedule/resources/", data)

    assert (
        submit(
            "room",
            **{
                "room-name": "Body room",
                "room-features": ["couch", "body"],
                "room-cleaning_buffer_min": "10",
            },
        ).status_code
        == 302
    )
    room = Room.objects.get(name="Body room")
    assert room.features == ["body", "couch"] and room.cleaning_buffer_min == 10
    submit(
        "break",
        **{
            "break-practitioner": practitioner,
            "break-weekday": "2",
            "break-starts": "13:00",
            "break-ends": "14:00",
        },
    )
    assert PractitionerBreak.objects.filter(weekday=2, starts=dt.time(13)).exists()
    submit(
        "limit",
        **{"limit-practitioner": practitioner, "limit-max_sessions_per_day": "6"},
    )
    assert PractitionerLimit.objects.get().max_sessions_per_day == 6
    submit(
        "absence",
        **{
            "absence-practitioner": practitioner,
            "absence-first_day": "2027-01-11",
            "absence-last_day": "2027-01-11",
            "absence-starts": "09:00",
            "absence-ends": "12:00",
            "absence-reason": "Dentist",
        },
    )
    absence = Absence.objects.get()
    assert (absence.starts, absence.ends) == (dt.time(9), dt.time(12))
    shown = client.get("/schedule/resources/").content.decode()
    assert "Suitable for body procedures" in shown and "10 min cleaning" in shown
    assert "13:00–14:00" in shown and "6 sessions" in shown


def test_a_break_ending_before_it_starts_is_explained_and_what_was_typed_stays(world):
    client = _client(world, "owner")
    page = client.get("/schedule/resources/").content.decode()
    data = as_post(
        form_fields(page, "form-break"),
        **{
            "break-practitioner": str(world.users["practitioner"].pk),
            "break-weekday": "4",
            "break-starts": "15:00",
            "break-ends": "14:00",
        },
    )
    response = client.post("/schedule/resources/", data)
    assert response.status_code == 200
    body = response.content.decode()
    assert "The break must end after it starts." in body
    assert 'value="15:00"' in body
    assert not PractitionerBreak.objects.exists()


def test_the_patients_hard_availability_is_set_beside_the_preferences(world, patient_of):
    patient = patient_of(world)
    client = _client(world, "receptionist")
    url = f"/schedule/patients/{patient.pk}/availability/"
    page = client.get(url).content.decode()
    assert "Can only come on" in page and "Preferred weekdays" in page
    data = as_post(
        form_fields(page, "narrow"),
        available_weekdays=["1", "5"],
        available_from="17:00",
        available_until="20:00",
        preferred_weekdays=["1"],
    )
    assert client.post(url, data).status_code == 302
    saved = PatientAvailability.objects.get(patient=patient)
    assert saved.available_weekdays == [1, 5] and saved.preferred_weekdays == [1]
    assert (saved.available_from, saved.available_until) == (dt.time(17), dt.time(20))


def test_course_terms_are_set_on_the_course_page(world, active_plan):
    client = _client(world, "receptionist")
    url = f"/schedule/courses/{active_plan.pk}/"
    page = client.get(url).content.decode()
    data = as_post(
        form_fields(page, "terms-form"),
        **{
            "terms-same_practitioner": "on",
            "terms-latest_finish": "2027-03-01",
            "terms-room_needs": ["couch"],
        },
    )
    assert client.post(url, data).status_code == 302
    terms = CourseTerms.objects.get(plan_id=active_plan.pk)
    assert terms.same_practitioner and terms.latest_finish == dt.date(2027, 3, 1)
    assert terms.room_needs == ["couch"]
    again = client.get(url).content.decode()
    assert 'name="terms-same_practitioner"' in again and "checked" in again
