"""The front desk's booking pages through the real stack, forms submitted as rendered."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from django.test import Client, override_settings
from django.utils import formats, timezone, translation

from mesoclinic.accounts.locales import locale_language
from mesoclinic.accounts.middleware import CLINIC_SESSION_KEY
from mesoclinic.accounts.models import Membership
from mesoclinic.accounts.scope import scope_for
from mesoclinic.scheduling.models import Appointment
from mesoclinic.scheduling.services import appointment_book
from tests.scheduling.conftest import MOSCOW
from tests.scheduling.forms_as_rendered import as_post, form_fields

ROOT = Path(__file__).resolve().parents[2]


def future_monday(weeks: int = 1) -> dt.date:
    """A Monday at least `weeks` weeks ahead in the clinic's zone (open 09:00-19:00)."""
    today = timezone.now().astimezone(MOSCOW).date()
    return today + dt.timedelta(days=7 - today.weekday() + 7 * (weeks - 1))


def client_for(user, *, language: str = "en", clinic=None) -> Client:
    user.language = language
    user.save(update_fields=["language"])
    client = Client()
    client.force_login(user)
    if clinic is not None:
        session = client.session
        session[CLINIC_SESSION_KEY] = clinic.pk
        session.save()
    return client


def text(response) -> str:
    return response.content.decode()


def date_input_values(html: str) -> list[str]:
    return re.findall(r'<input[^>]*type="date"[^>]*value="([^"]*)"', html) + re.findall(
        r'<input[^>]*value="([^"]*)"[^>]*type="date"', html
    )


@pytest.fixture
def patient(world, patient_of, clinic_setup):
    return patient_of(world)


def booked(world, patient, day: dt.date, hhmm: str = "10:00", clinic=None) -> Appointment:
    clinic = clinic or world.clinic
    h, m = map(int, hhmm.split(":"))
    return appointment_book(
        scope=scope_for(world.users["receptionist"], clinic_id=clinic.pk),
        patient=patient,
        practitioner=world.users["practitioner"],
        starts_at=dt.datetime.combine(day, dt.time(h, m), tzinfo=clinic.zone),
        duration_min=30,
        technique_id="technique.nappage",
    )


# 1. Booking one appointment from the patient's page


@pytest.mark.parametrize("language", ["en", "ru"])
def test_booking_from_the_patient_page_books_with_the_form_as_rendered(world, patient, language):
    client = client_for(world.users["receptionist"], language=language)
    page = text(client.get(f"/schedule/book/?patient={patient.pk}"))
    fields = form_fields(page, "book-form")
    assert [name for name, _ in fields].count("patient") == 1
    day = future_monday()
    response = client.post(
        "/schedule/book/",
        as_post(
            fields,
            practitioner=str(world.users["practitioner"].pk),
            day=day.isoformat(),
            time="11:00",
        ),
    )
    assert response.status_code == 302, text(response)
    appointment = Appointment.objects.get()
    assert appointment.patient == patient
    assert appointment.starts_at.astimezone(world.clinic.zone).time() == dt.time(11)


def test_booking_without_a_patient_says_so_under_patient_and_books_nothing(world, patient):
    client = client_for(world.users["receptionist"])
    page = text(client.get("/schedule/book/"))
    response = client.post(
        "/schedule/book/",
        as_post(
            form_fields(page, "book-form"),
            practitioner=str(world.users["practitioner"].pk),
            day=future_monday().isoformat(),
        ),
    )
    assert "Choose the patient." in text(response)
    assert not Appointment.objects.exists()


# 2. Date inputs hold ISO values in every language


def test_a_calendar_slot_link_prefills_an_iso_date_in_russian(world, patient):
    client = client_for(world.users["receptionist"], language="ru")
    day = future_monday()
    page = text(client.get(f"/schedule/book/?date={day.isoformat()}&time=12:00"))
    assert date_input_values(page) == [day.isoformat()]
    assert 'value="12:00"' in page


def test_the_move_form_prefills_an_iso_date_in_russian(world, patient):
    appointment = booked(world, patient, future_monday())
    client = client_for(world.users["receptionist"], language="ru")
    page = text(client.get(f"/schedule/appointments/{appointment.pk}/"))
    assert date_input_values(page) == [future_monday().isoformat()]


def test_no_date_input_in_the_project_bypasses_the_shared_iso_widget():
    offenders = []
    for path in (ROOT / "src/mesoclinic").rglob("*.py"):
        if path.name == "forms.py" and path.parent.name == "web":
            continue
        source = path.read_text()
        if re.search(
            r"forms\.DateInput\(|forms\.DateTimeInput\(|['\"]type['\"]:\s*['\"]date", source
        ):
            offenders.append(str(path.relative_to(ROOT)))
    assert not offenders, offenders


# 4. The booking window


@pytest.mark.parametrize("language", ["en", "ru"])
def test_booking_in_the_past_is_refused_with_a_message(world, patient, language):
    client = client_for(world.users["receptionist"], language=language)
    fields = form_fields(text(client.get(f"/schedule/book/?patient={patient.pk}")), "book-form")
    response = client.post(
        "/schedule/book/",
        as_post(fields, practitioner=str(world.users["practitioner"].pk), day="2020-01-06"),
    )
    expected = "is in the past" if language == "en" else "уже прошло"
    assert expected in text(response)
    assert not Appointment.objects.exists()


@override_settings(BOOKING_HORIZON_DAYS=30)
def test_booking_beyond_the_horizon_is_refused(world, patient):
    client = client_for(world.users["receptionist"])
    fields = form_fields(text(client.get(f"/schedule/book/?patient={patient.pk}")), "book-form")
    response = client.post(
        "/schedule/book/",
        as_post(
            fields,
            practitioner=str(world.users["practitioner"].pk),
            day=future_monday(weeks=6).isoformat(),
        ),
    )
    assert "up to 30 days ahead" in text(response)
    assert not Appointment.objects.exists()


@pytest.mark.parametrize("day", ["2020-01-06", "2099-01-05"])
def test_moving_into_the_past_or_beyond_the_horizon_is_refused(world, patient, day):
    appointment = booked(world, patient, future_monday())
    client = client_for(world.users["receptionist"])
    url = f"/schedule/appointments/{appointment.pk}/"
    fields = form_fields(text(client.get(url)), "move-form")
    response = client.post(url, as_post(fields, day=day))
    assert response.status_code == 200
    assert "in the past" in text(response) or "days ahead" in text(response)
    appointment.refresh_from_db()
    assert appointment.starts_at.astimezone(world.clinic.zone).date() == future_monday()


# 11. The week view


def test_the_week_view_is_headed_by_its_monday_and_cards_carry_the_full_name(world, patient):
    monday = future_monday()
    booked(world, patient, monday + dt.timedelta(days=2))
    client = client_for(world.users["receptionist"])
    page = text(
        client.get(f"/schedule/?date={(monday + dt.timedelta(days=2)).isoformat()}&view=week")
    )
    heading = re.search(r'data-testid="cal-day">([^<]*)<', page).group(1)
    # Words in the user's language, formats of the clinic's locale.
    with translation.override(locale_language(language="en", clinic_locale=world.clinic.locale)):
        assert heading == f"Week of {formats.date_format(monday, 'DATE_FORMAT')}"
    assert f'title="10:00–10:30 {patient.full_name}"' in page
    assert f"<span>{patient.full_name}</span>" in page


def test_the_london_week_in_russian_keeps_london_time_on_london_rows(world, patient):
    london = world.other_clinic
    for role in ("receptionist", "practitioner"):
        Membership.objects.create(
            organisation=world.organisation, user=world.users[role], clinic=london, role=role
        )
    tuesday = future_monday() + dt.timedelta(days=1)
    booked(world, patient, tuesday, "10:00", clinic=london)
    client = client_for(world.users["receptionist"], language="ru", clinic=london)
    page = text(client.get(f"/schedule/?date={tuesday.isoformat()}&view=week"))
    # Russian day names over the columns; the card in London's time, on the row that
    # London's opening hours give 10:00 (a click there books 10:00 London time).
    assert f"Вт {tuesday.day}.{tuesday.month:02d}" in page
    first = int(re.search(r'data-first="(\d+)"', page).group(1))
    row = (10 * 60 - first) // 15 + 1
    assert f'style="grid-row:{row}/{row + 2}"' in page
    assert f'title="10:00–10:30 {patient.full_name}"' in page
    assert f'data-book="/schedule/book/?date={tuesday.isoformat()}"' in page


# Another clinic's appointment: shown and read in its own zone


def test_moving_a_london_appointment_from_moscow_unchanged_keeps_its_time(world, patient):
    london = world.other_clinic
    for role in ("receptionist", "practitioner"):
        Membership.objects.create(
            organisation=world.organisation, user=world.users[role], clinic=london, role=role
        )
    appointment = booked(world, patient, future_monday(), "10:00", clinic=london)
    client = client_for(world.users["receptionist"], clinic=world.clinic)
    url = f"/schedule/appointments/{appointment.pk}/"
    page = text(client.get(url))
    assert "10:00–10:30" in page
    assert "Europe/London" in page
    fields = form_fields(page, "move-form")
    assert ("time", "10:00") in fields
    response = client.post(url, as_post(fields))
    assert response.status_code == 302, text(response)
    appointment.refresh_from_db()
    assert appointment.starts_at.astimezone(london.zone).time() == dt.time(10)
