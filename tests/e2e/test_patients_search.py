"""Registering a patient with a Cyrillic name and finding them by the Latin spelling."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.conftest import PASSWORD
from tests.e2e.conftest import login


def test_cyrillic_patient_is_found_by_latin_spelling_as_you_type(page, live_server, make_org):
    world = make_org()
    login(page, live_server, world.users["receptionist"].username, PASSWORD)
    page.goto(f"{live_server.url}/patients/new/")
    page.get_by_label("Family name").fill("Кузнецова")
    page.get_by_label("Given name").fill("Юлия")
    page.get_by_label("Date of birth").fill("1990-09-17")
    page.get_by_label("Phone").fill("+7 916 555-22-33")
    page.get_by_label("consents to the processing of personal data").check()
    page.get_by_role("button", name="Register").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Кузнецова Юлия")

    page.goto(f"{live_server.url}/patients/")
    page.get_by_label("Find a patient").press_sequentially("kuznetsova yul", delay=40)
    results = page.locator("#patient-results")
    expect(results).to_contain_text("Кузнецова Юлия")
    page.get_by_label("Find a patient").fill("")
    page.get_by_label("Find a patient").press_sequentially("17.09.1990", delay=20)
    expect(results).to_contain_text("Кузнецова Юлия")


def test_duplicate_registration_offers_the_existing_record(page, live_server, make_org, patient_of):
    world = make_org()
    existing = patient_of(world, family="Иванова", given="Елена", born="1985-04-01")
    login(page, live_server, world.users["receptionist"].username, PASSWORD)
    page.goto(f"{live_server.url}/patients/new/")
    page.get_by_label("Family name").fill("Ivanova")
    page.get_by_label("Given name").fill("Elena")
    page.get_by_label("Date of birth").fill("1985-04-01")
    page.get_by_label("consents to the processing of personal data").check()
    page.get_by_role("button", name="Register").click()
    offer = page.get_by_test_id("duplicates")
    expect(offer).to_contain_text("Иванова Елена")
    offer.get_by_role("link").click()
    assert page.url.endswith(f"/patients/{existing.pk}/")
