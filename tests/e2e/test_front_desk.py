"""In Chromium, in English and Russian: the front desk books single visits and courses,
filling the forms as rendered."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import formats, timezone, translation
from playwright.sync_api import expect

from mesoclinic.accounts.locales import locale_language
from mesoclinic.scheduling.models import Appointment
from mesoclinic.scheduling.services import appointment_book
from tests.conftest import PASSWORD
from tests.e2e.conftest import click_calendar_time, login
from tests.scheduling.conftest import MOSCOW

LANGUAGES = ["en", "ru"]
UI = {
    "en": {
        "book_link": "Book an appointment",
        "practitioner": "Practitioner",
        "date": "Date",
        "time": "Start time",
        "book": "Book",
        "find": "Find a patient",
        "booked": "Appointment booked.",
        "new_date": "New date",
        "new_time": "New start time",
        "move": "Move appointment",
        "moved": "Appointment moved.",
        "book_course": "Book the course",
        "course_booked": "6 sessions booked",
        "row_time": "Start time of session {n}",
        "outside": "outside the clinic's opening hours",
    },
    "ru": {
        "book_link": "Записать на приём",
        "practitioner": "Врач",
        "date": "Дата",
        "time": "Время начала",
        "book": "Записать",
        "find": "Найти пациента",
        "booked": "Запись создана.",
        "new_date": "Новая дата",
        "new_time": "Новое время начала",
        "move": "Перенести запись",
        "moved": "Запись перенесена.",
        "book_course": "Записать на курс",
        "course_booked": "Записано процедур: 6",
        "row_time": "Время начала процедуры {n}",
        "outside": "вне часов работы клиники",
    },
}


def future_monday() -> dt.date:
    today = timezone.now().astimezone(MOSCOW).date()
    return today + dt.timedelta(days=7 - today.weekday())


def required(label: str) -> re.Pattern:
    """A field's label as rendered, with or without the required-field star."""
    return re.compile(rf"^{re.escape(label)}( \*)?$")


def sign_in(page, live_server, user, language: str) -> None:
    user.language = language
    user.save(update_fields=["language"])
    login(page, live_server, user.username, PASSWORD)
    expect(page.get_by_test_id("who")).to_be_visible()


@pytest.fixture
def patient(world, patient_of, clinic_setup):
    return patient_of(world)


@pytest.mark.parametrize("language", LANGUAGES)
def test_book_a_single_visit_from_the_patient_page(page, live_server, world, patient, language):
    ui = UI[language]
    practitioner = world.users["practitioner"]
    day = future_monday()
    sign_in(page, live_server, world.users["receptionist"], language)
    page.goto(f"{live_server.url}/schedule/patients/{patient.pk}/")
    page.get_by_role("link", name=ui["book_link"]).click()
    expect(page.get_by_test_id("book-patient")).to_contain_text(patient.full_name)
    page.get_by_label(ui["practitioner"]).select_option(label=str(practitioner))
    page.get_by_label(required(ui["date"])).fill(day.isoformat())
    page.get_by_label(ui["time"]).fill("11:00")
    page.get_by_role("button", name=ui["book"], exact=True).click()
    expect(page.locator(".messages")).to_contain_text(ui["booked"])
    appointment = Appointment.objects.get()
    assert appointment.patient == patient
    assert appointment.starts_at == dt.datetime.combine(day, dt.time(11), tzinfo=MOSCOW)


@pytest.mark.parametrize("language", LANGUAGES)
def test_book_a_single_visit_from_a_calendar_slot(page, live_server, world, patient, language):
    ui = UI[language]
    practitioner = world.users["practitioner"]
    day = future_monday()
    sign_in(page, live_server, world.users["receptionist"], language)
    page.goto(f"{live_server.url}/schedule/?date={day.isoformat()}")
    click_calendar_time(page, str(practitioner), "14:00")
    # The slot's date and time arrive filled in, in the form the browser accepts.
    expect(page.get_by_label(required(ui["date"]))).to_have_value(day.isoformat())
    expect(page.get_by_label(ui["time"])).to_have_value("14:00")
    page.get_by_label(ui["find"]).fill("Иванова")
    page.get_by_label(re.compile("Иванова Елена")).check()
    page.get_by_role("button", name=ui["book"], exact=True).click()
    expect(page.locator(".messages")).to_contain_text(ui["booked"])
    appointment = Appointment.objects.get()
    assert appointment.patient == patient
    assert appointment.practitioner == practitioner
    assert appointment.starts_at == dt.datetime.combine(day, dt.time(14), tzinfo=MOSCOW)


@pytest.mark.parametrize("language", LANGUAGES)
def test_book_from_the_week_by_clicking_a_free_time_on_a_tablet(
    page, live_server, world, patient, patient_of, language
):
    ui = UI[language]
    page.set_viewport_size({"width": 768, "height": 1024})
    practitioner = world.users["practitioner"]
    wednesday = future_monday() + dt.timedelta(days=2)
    # A booked visit in the column: the free time just after it is what she clicks.
    appointment_book(
        scope=world.scope("receptionist"),
        patient=patient_of(world, family="Петрова"),
        practitioner=practitioner,
        starts_at=dt.datetime.combine(wednesday, dt.time(15), tzinfo=MOSCOW),
        duration_min=30,
    )
    sign_in(page, live_server, world.users["receptionist"], language)
    page.goto(f"{live_server.url}/schedule/?date={wednesday.isoformat()}&view=week")
    # Words in her language, formats of the clinic's locale, as the page writes them.
    clinic_locale = world.clinic.locale
    with translation.override(locale_language(language=language, clinic_locale=clinic_locale)):
        heading = formats.date_format(wednesday, "D j.m")
    expect(page.locator(".cal-head").nth(2)).to_contain_text(heading)
    click_calendar_time(page, heading, "15:30")
    expect(page.get_by_label(required(ui["date"]))).to_have_value(wednesday.isoformat())
    expect(page.get_by_label(ui["time"])).to_have_value("15:30")
    page.get_by_label(ui["practitioner"]).select_option(label=str(practitioner))
    page.get_by_label(ui["find"]).fill("Иванова")
    page.get_by_label(re.compile("Иванова Елена")).check()
    page.get_by_role("button", name=ui["book"], exact=True).click()
    expect(page.locator(".messages")).to_contain_text(ui["booked"])
    appointment = Appointment.objects.get(patient=patient)
    assert appointment.practitioner == practitioner
    assert appointment.starts_at == dt.datetime.combine(wednesday, dt.time(15, 30), tzinfo=MOSCOW)


@pytest.mark.parametrize("language", LANGUAGES)
def test_book_from_the_week_with_the_keyboard(page, live_server, world, patient, language):
    ui = UI[language]
    practitioner = world.users["practitioner"]
    thursday = future_monday() + dt.timedelta(days=3)
    sign_in(page, live_server, world.users["receptionist"], language)
    page.goto(f"{live_server.url}/schedule/?date={thursday.isoformat()}&view=week")
    clinic_locale = world.clinic.locale
    with translation.override(locale_language(language=language, clinic_locale=clinic_locale)):
        day = formats.date_format(thursday, "DATE_FORMAT")
    page.get_by_role("link", name=f"{ui['book']} {day}").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_label(required(ui["date"]))).to_have_value(thursday.isoformat())
    page.get_by_label(ui["time"]).fill("12:15")
    page.get_by_label(ui["practitioner"]).select_option(label=str(practitioner))
    page.get_by_label(ui["find"]).fill("Иванова")
    page.get_by_label(re.compile("Иванова Елена")).check()
    page.get_by_role("button", name=ui["book"], exact=True).click()
    expect(page.locator(".messages")).to_contain_text(ui["booked"])
    assert Appointment.objects.get().starts_at == dt.datetime.combine(
        thursday, dt.time(12, 15), tzinfo=MOSCOW
    )


@pytest.mark.parametrize("language", LANGUAGES)
def test_reschedule_keeps_the_prefilled_date(page, live_server, world, patient, language):
    ui = UI[language]
    day = future_monday()
    appointment = appointment_book(
        scope=world.scope("receptionist"),
        patient=patient,
        practitioner=world.users["practitioner"],
        starts_at=dt.datetime.combine(day, dt.time(10), tzinfo=MOSCOW),
        duration_min=30,
    )
    sign_in(page, live_server, world.users["receptionist"], language)
    page.goto(f"{live_server.url}/schedule/appointments/{appointment.pk}/")
    expect(page.get_by_label(ui["new_date"])).to_have_value(day.isoformat())
    page.get_by_label(ui["new_time"]).fill("12:00")
    page.get_by_role("button", name=ui["move"]).click()
    expect(page.locator(".messages")).to_contain_text(ui["moved"])
    appointment.refresh_from_db()
    assert appointment.starts_at == dt.datetime.combine(day, dt.time(12), tzinfo=MOSCOW)


@pytest.mark.parametrize("language", LANGUAGES)
def test_book_the_course_from_the_plans_button(page, live_server, world, active_plan, language):
    ui = UI[language]
    page.set_viewport_size({"width": 768, "height": 1024})
    sign_in(page, live_server, world.users["practitioner"], language)
    page.goto(f"{live_server.url}/consultations/plans/{active_plan.pk}/")
    page.get_by_role("link", name=ui["book_course"]).click()
    expect(page.get_by_test_id("session-row")).to_have_count(6)
    page.get_by_test_id("book-course").click()
    expect(page.locator(".messages")).to_contain_text(ui["course_booked"])
    booked = Appointment.objects.filter(plan_id=active_plan.pk).order_by("starts_at")
    assert [a.session_number for a in booked] == [1, 2, 3, 4, 5, 6]


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_bad_course_row_shows_its_error_and_keeps_every_row(
    page, live_server, world, active_plan, language
):
    ui = UI[language]
    page.set_viewport_size({"width": 768, "height": 1024})
    sign_in(page, live_server, world.users["practitioner"], language)
    page.goto(f"{live_server.url}/consultations/plans/{active_plan.pk}/")
    page.get_by_role("link", name=ui["book_course"]).click()
    expect(page.get_by_test_id("session-row")).to_have_count(6)
    third_day = page.locator("#s3-day").input_value()
    page.get_by_label(ui["row_time"].format(n=2)).fill("23:30")
    page.get_by_label(ui["row_time"].format(n=4)).fill("12:00")
    page.get_by_test_id("book-course").click()
    errors = page.get_by_test_id("row-errors")
    expect(errors).to_have_count(1)
    expect(page.locator("#s2-errors")).to_contain_text(ui["outside"])
    expect(page.get_by_label(ui["row_time"].format(n=2))).to_have_value("23:30")
    expect(page.get_by_label(ui["row_time"].format(n=4))).to_have_value("12:00")
    expect(page.locator("#s3-day")).to_have_value(third_day)
    assert not Appointment.objects.filter(plan_id=active_plan.pk).exists()
