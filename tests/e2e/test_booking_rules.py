"""In Chromium, in English and Russian: a receptionist booking by hand is held to the
clinic's hard rules (the course's one practitioner, the patient's weekdays) and reads
why, filling the forms as rendered."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

from mesoclinic.accounts.models import Role
from mesoclinic.scheduling.models import Appointment
from mesoclinic.scheduling.services import (
    course_terms_set,
    credential_grant,
    patient_availability_set,
)
from tests.e2e.test_front_desk import future_monday, required, sign_in

LANGUAGES = ["en", "ru"]
UI = {
    "en": {
        "book_link": "Book an appointment",
        "practitioner": "Practitioner",
        "date": "Date",
        "time": "Start time",
        "book": "Book",
        "book_course": "Book the course",
        "row_practitioner": "Practitioner of session {n}",
        "weekdays": "The patient can only come on Tuesday, not on",
        "one_practitioner": "This course stays with one practitioner",
    },
    "ru": {
        "book_link": "Записать на приём",
        "practitioner": "Врач",
        "date": "Дата",
        "time": "Время начала",
        "book": "Записать",
        "book_course": "Записать на курс",
        "row_practitioner": "Врач процедуры {n}",
        "weekdays": "Пациент может приходить только в эти дни: Вторник, а не",
        "one_practitioner": "Этот курс ведёт один специалист",
    },
}


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_visit_on_a_day_the_patient_cannot_come_is_refused(
    page, live_server, world, patient_of, clinic_setup, language
):
    ui = UI[language]
    patient = patient_of(world)
    patient_availability_set(
        scope=world.scope("receptionist"),
        patient=patient,
        preferred_weekdays=[],
        preferred_from=None,
        preferred_until=None,
        unavailable_dates=[],
        available_weekdays=[1],  # Tuesdays only
    )
    practitioner = world.users["practitioner"]
    monday = future_monday()
    sign_in(page, live_server, world.users["receptionist"], language)
    page.goto(f"{live_server.url}/schedule/patients/{patient.pk}/")
    page.get_by_role("link", name=ui["book_link"]).click()
    page.get_by_label(ui["practitioner"]).select_option(label=str(practitioner))
    page.get_by_label(required(ui["date"])).fill(monday.isoformat())
    page.get_by_label(ui["time"]).fill("11:00")
    page.get_by_role("button", name=ui["book"], exact=True).click()
    expect(page.get_by_test_id("book-form")).to_contain_text(ui["weekdays"])
    assert not Appointment.objects.filter(patient=patient).exists()
    # The same visit on a Tuesday is booked.
    page.get_by_label(required(ui["date"])).fill((monday + dt.timedelta(days=1)).isoformat())
    page.get_by_role("button", name=ui["book"], exact=True).click()
    expect(page.locator(".messages")).to_be_visible()
    assert Appointment.objects.filter(patient=patient).count() == 1


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_course_kept_with_one_practitioner_refuses_another(
    page, live_server, world, active_plan, language
):
    from mesoclinic.accounts.services import user_create

    ui = UI[language]
    other = user_create(
        organisation=world.organisation,
        username=f"other-{world.organisation.pk}",
        email=f"other-{world.organisation.pk}@example.test",
        password="x-long-enough-password-1",
        display_name="Other Practitioner",
        memberships=[(world.clinic, Role.PRACTITIONER)],
    )
    credential_grant(
        scope=world.scope("owner"), practitioner=other, technique_id="technique.nappage"
    )
    course_terms_set(
        scope=world.scope("receptionist"),
        plan=active_plan,
        same_practitioner=True,
        latest_finish=None,
        room_needs=[],
    )
    sign_in(page, live_server, world.users["receptionist"], language)
    page.goto(f"{live_server.url}/schedule/patients/{active_plan.patient_id}/")
    page.get_by_role("link", name=ui["book_course"]).click()
    expect(page.get_by_test_id("session-row")).to_have_count(6)
    page.get_by_label(ui["row_practitioner"].format(n=2)).select_option(label=str(other))
    page.get_by_test_id("book-course").click()
    expect(page.locator("#s2-errors")).to_contain_text(ui["one_practitioner"])
    expect(page.locator("#s2-errors")).to_contain_text("Other Practitioner")
    assert not Appointment.objects.filter(plan_id=active_plan.pk).exists()
