"""Hostile input typed into the forms as a person would: a clear error in their language."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from mesoclinic.accounts.services import user_language_set
from mesoclinic.patients.models import Patient
from tests.conftest import PASSWORD
from tests.e2e.conftest import login

LABELS = {
    "en": ("Family name", "Given name", "Date of birth", "Register", "invisible"),
    "ru": ("Фамилия", "Имя", "Дата рождения", "Зарегистрировать", "невидимые"),
}


@pytest.mark.parametrize("language", ["en", "ru"])
@pytest.mark.parametrize("viewport", [(1280, 900), (768, 1024)])
def test_a_pasted_zero_width_space_in_a_name_is_refused_on_the_field(
    page, live_server, make_org, language, viewport
):
    world = make_org()
    user = world.users["receptionist"]
    user_language_set(user=user, language=language)
    page.set_viewport_size({"width": viewport[0], "height": viewport[1]})
    login(page, live_server, user.username, PASSWORD)
    family, given, born, register, word = LABELS[language]
    page.goto(f"{live_server.url}/patients/new/")
    page.get_by_label(family).fill("Ива\u200bнова")
    page.get_by_label(given).fill("Анна")
    page.get_by_label(born).fill("1985-04-01")
    consent = "consents to the processing of personal data" if language == "en" else "согласие"
    page.get_by_label(re.compile(consent)).check()
    page.get_by_role("button", name=register).click()
    error = page.locator("#id_family_name_errors")
    expect(error).to_contain_text("U+200B")
    expect(error).to_contain_text(word)
    assert not Patient.objects.exists()


@pytest.mark.parametrize("language", ["en", "ru"])
def test_a_date_far_in_the_future_in_the_address_explains_itself(
    page, live_server, make_org, language
):
    world = make_org()
    user = world.users["receptionist"]
    user_language_set(user=user, language=language)
    login(page, live_server, user.username, PASSWORD)
    page.goto(f"{live_server.url}/schedule/?date=9999-12-31")
    expect(page.locator("main")).to_contain_text("2999-12-31")
    expect(page.locator("h1")).to_have_text(
        "The request could not be used" if language == "en" else "Запрос не удалось выполнить"
    )
