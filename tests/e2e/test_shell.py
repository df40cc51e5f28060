"""The web shell in a real browser: sign-in per role, navigation, Russian, bad sign-in."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.conftest import PASSWORD
from tests.e2e.conftest import login

EXPECTED_NAV = {
    "owner": ["home", "patients", "schedule", "inventory", "outcomes", "audit", "clinic", "jobs"],
    "practitioner": ["home", "patients", "schedule", "sessions", "inventory"],
    "nurse": ["home", "patients", "schedule", "sessions", "inventory"],
    "receptionist": ["home", "patients", "schedule"],
}


def nav_keys(page) -> list[str]:
    return page.locator("nav.mainnav a").evaluate_all("els => els.map(e => e.dataset.nav)")


@pytest.mark.parametrize("role", list(EXPECTED_NAV))
def test_each_role_signs_in_and_sees_its_navigation(page, live_server, make_org, role):
    world = make_org()
    login(page, live_server, world.users[role].username, PASSWORD)
    expect(page.get_by_test_id("who")).to_contain_text(world.users[role].display_name)
    assert nav_keys(page) == EXPECTED_NAV[role]


def test_receptionist_is_refused_the_audit_trail_by_url(page, live_server, make_org):
    world = make_org()
    login(page, live_server, world.users["receptionist"].username, PASSWORD)
    expect(page.get_by_test_id("who")).to_be_visible()
    response = page.goto(f"{live_server.url}/audit/")
    assert response.status == 403


def test_switching_to_russian_translates_navigation_and_persists(page, live_server, make_org):
    world = make_org()
    login(page, live_server, world.users["owner"].username, PASSWORD)
    page.get_by_test_id("lang-switch").click()
    nav = page.locator("nav.mainnav")
    expect(nav).to_contain_text("Пациенты")
    expect(nav).to_contain_text("Журнал аудита")
    assert page.locator("html").get_attribute("lang") == "ru"
    # Persisted on the user: a fresh browser session signs in straight into Russian.
    page.context.clear_cookies()
    login(page, live_server, world.users["owner"].username, PASSWORD)
    expect(page.locator("nav.mainnav")).to_contain_text("Пациенты")
    world.users["owner"].refresh_from_db()
    assert world.users["owner"].language == "ru"


def test_wrong_password_gets_a_clear_message_and_no_session(page, live_server, make_org):
    world = make_org()
    login(page, live_server, world.users["nurse"].username, "not-the-password")
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("username or password is not right")
    assert page.url.rstrip("/").endswith("/login")
    expect(page.locator("nav.mainnav")).to_have_count(0)


def test_patient_search_answers_as_the_user_types(page, live_server, make_org, patient_of):
    world = make_org()
    patient_of(world, family="Иванова", given="Елена")
    patient_of(world, family="Clarke", given="Emily")
    login(page, live_server, world.users["receptionist"].username, PASSWORD)
    page.get_by_role("link", name="Patients").first.click()
    page.get_by_label("Find a patient").press_sequentially("Clar", delay=30)
    results = page.locator("#patient-results")
    expect(results).to_contain_text("Clarke Emily")
    expect(results).not_to_contain_text("Иванова")
    assert re.search(r"q=Clar", page.url)
