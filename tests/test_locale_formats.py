"""Dates, times and numbers follow the clinic's locale; the language stays the user's."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from mesoclinic.accounts.models import Clinic
from mesoclinic.accounts.services import user_language_set
from mesoclinic.scheduling.models import Appointment


def _page(world, patient_of, *, locale: str, language: str = "en") -> str:
    Clinic.objects.filter(pk=world.clinic.pk).update(locale=locale, time_zone="Europe/London")
    patient = patient_of(world, family="Smith", given="Anna", born="1986-03-14")
    start = dt.datetime(2026, 11, 24, 0, 20, tzinfo=dt.UTC)
    Appointment.objects.create(
        organisation=world.organisation,
        clinic=world.clinic,
        patient=patient,
        practitioner=world.users["practitioner"],
        starts_at=start,
        ends_at=start + dt.timedelta(minutes=30),
        created_by=world.users["receptionist"],
    )
    user = world.users["receptionist"]
    user_language_set(user=user, language=language)
    client = Client()
    client.force_login(user)
    listing = client.get("/patients/?q=Smith").content.decode()
    appointments = client.get(f"/schedule/patients/{patient.pk}/").content.decode()
    return listing + appointments


@pytest.mark.parametrize(
    ("locale", "born", "at", "wrong"),
    [
        ("en-gb", "14/03/1986", "24/11/2026 00:20", ["03/14/1986", "a.m."]),
        ("ru", "14.03.1986", "24.11.2026 00:20", ["03/14/1986", "a.m."]),
        ("en-us", "03/14/1986", "11/24/2026", ["14/03/1986"]),
    ],
)
def test_dates_and_times_follow_the_clinics_locale(world, patient_of, locale, born, at, wrong):
    page = _page(world, patient_of, locale=locale)
    assert born in page and at in page
    for text in wrong:
        assert text not in page
    # The words stay in the user's language (English) whatever the clinic's locale.
    assert "Date of birth" in page


def test_a_russian_speaker_in_a_london_clinic_reads_russian_with_british_formats(world, patient_of):
    page = _page(world, patient_of, locale="en-gb", language="ru")
    assert "Дата рождения" in page
    assert "14/03/1986" in page and "24/11/2026 00:20" in page


@pytest.mark.parametrize(
    ("active", "expected"),
    [("en", "en"), ("en-gb", "en"), ("en-us", "en"), ("ru", "ru"), ("ru-gb", "ru"), (None, "en")],
)
def test_current_language_is_the_readers_words_whatever_the_clinics_formats(active, expected):
    from django.utils import translation

    from mesoclinic.accounts.locales import current_language

    if active is None:
        with translation.override(None):
            assert current_language() == expected
    else:
        with translation.override(active):
            assert current_language() == expected
