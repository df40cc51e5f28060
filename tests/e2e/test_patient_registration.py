"""Registering a patient as a receptionist does it: the clinic's language is preselected and
consent to data processing must be ticked, in English and in Russian."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from mesoclinic.accounts.models import Clinic
from mesoclinic.accounts.services import user_language_set
from mesoclinic.patients.models import Patient
from tests.conftest import PASSWORD
from tests.e2e.conftest import login

TEXTS = {
    "en": {
        "family": "Family name",
        "given": "Given name",
        "born": "Date of birth",
        "language": "Preferred language",
        "consent": "consents to the processing of personal data",
        "register": "Register",
        "needed": "Registration needs the patient's consent",
        "given_on": "privacy notice version",
    },
    "ru": {
        "family": "Фамилия",
        "given": "Имя",
        "born": "Дата рождения",
        "language": "Предпочитаемый язык",
        "consent": "согласие на обработку персональных данных",
        "register": "Зарегистрировать",
        "needed": "Для регистрации нужно согласие пациента",
        "given_on": "версия политики конфиденциальности",
    },
}


@pytest.mark.parametrize(("language", "locale"), [("en", "en-gb"), ("ru", "ru")])
def test_registration_preselects_the_clinics_language_and_requires_data_consent(
    page, live_server, world, language, locale
):
    Clinic.objects.filter(pk=world.clinic.pk).update(locale=locale)
    user = world.users["receptionist"]
    user_language_set(user=user, language=language)
    t = TEXTS[language]
    login(page, live_server, user.username, PASSWORD)
    page.goto(f"{live_server.url}/patients/new/")
    expect(page.get_by_label(t["language"])).to_have_value(locale[:2])
    page.get_by_label(t["family"]).fill("Орлова")
    page.get_by_label(t["given"]).fill("Мария")
    page.get_by_label(t["born"]).fill("1986-03-14")
    page.get_by_role("button", name=t["register"]).click()
    expect(page.get_by_role("alert").filter(has_text=t["needed"])).to_be_visible()
    assert not Patient.objects.exists()
    page.get_by_label(re.compile(t["consent"])).check()
    page.get_by_role("button", name=t["register"]).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Орлова Мария")
    expect(page.get_by_test_id("data-consent")).to_contain_text(t["given_on"])
    assert Patient.objects.get().preferred_language == locale[:2]
