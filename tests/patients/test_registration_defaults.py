"""Registration defaults: the clinic's language, and recorded consent to data processing."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.test import Client

from mesoclinic.accounts.models import Clinic
from mesoclinic.accounts.services import user_language_set
from mesoclinic.patients.models import Patient
from mesoclinic.patients.services import patient_create

FORM = {
    "family_name": "Петрова",
    "given_name": "Ольга",
    "birth_date": "1980-05-05",
    "sex": "female",
    "preferred_language": "ru",
}


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_new_patient_in_a_russian_clinic_defaults_to_russian(world):
    Clinic.objects.filter(pk=world.clinic.pk).update(locale="ru")
    page = _client(world.users["receptionist"]).get("/patients/new/").content.decode()
    assert '<option value="ru" selected>' in page
    patient = patient_create(
        scope=world.scope("receptionist"),
        family_name="Smirnova",
        given_name="Anna",
        birth_date=dt.date(1990, 1, 1),
        today=dt.date(2026, 11, 30),
        data_consent=True,
    )
    assert patient.preferred_language == "ru"


def test_a_new_patient_in_a_london_clinic_defaults_to_english(world):
    Clinic.objects.filter(pk=world.clinic.pk).update(locale="en-gb")
    page = _client(world.users["receptionist"]).get("/patients/new/").content.decode()
    assert '<option value="en" selected>' in page


def test_registration_requires_consent_to_data_processing_in_the_users_language(world):
    user = world.users["receptionist"]
    user_language_set(user=user, language="ru")
    response = _client(user).post("/patients/new/", FORM)
    page = response.content.decode()
    assert response.status_code == 200
    assert 'id="id_data_consent_errors"' in page
    assert "согласие на обработку персональных данных" in page
    assert not Patient.objects.exists()


def test_registration_records_when_consent_was_given_and_to_which_notice(world):
    page = _client(world.users["receptionist"]).get("/patients/new/").content.decode()
    assert settings.PRIVACY_NOTICE_VERSION in page
    response = _client(world.users["receptionist"]).post(
        "/patients/new/", {**FORM, "data_consent": "on"}
    )
    assert response.status_code == 302
    patient = Patient.objects.get()
    assert patient.data_consent is True
    assert patient.data_consent_at is not None
    assert patient.data_consent_notice == settings.PRIVACY_NOTICE_VERSION
    detail = _client(world.users["receptionist"]).get(f"/patients/{patient.pk}/").content.decode()
    assert settings.PRIVACY_NOTICE_VERSION in detail
