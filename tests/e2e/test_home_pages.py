"""Each role's home page and the patient alert banner, in a real browser, in English and Russian."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from mesoclinic.core.knowledge import load_knowledge
from mesoclinic.inventory.services import lot_quarantine
from mesoclinic.patients.services import history_fact_record
from mesoclinic.scheduling.models import Appointment
from tests.charting.factories import make_product, receive
from tests.conftest import PASSWORD
from tests.e2e.conftest import login

WORDS = {
    "en": {"allergies": "Allergies", "pregnancy": "Pregnancy", "anticoagulants": "Anticoagulants"},
    "ru": {
        "allergies": "Аллергии",
        "pregnancy": "Беременность",
        "anticoagulants": "Антикоагулянты",
    },
}
HEADINGS = {
    ("practitioner", "en"): "My sessions today",
    ("practitioner", "ru"): "Мои сеансы сегодня",
    ("receptionist", "en"): "Arrivals today",
    ("receptionist", "ru"): "Приходы сегодня",
    ("owner", "en"): "Today across the clinics",
    ("owner", "ru"): "Сегодня во всех клиниках",
}
CODES = re.compile(r"\b(allergen|medclass|condition|ci|patient)\.[a-z]")


@pytest.fixture
def clinic_day(world, patient_of, clinic_setup):
    """Today (the live server's clock) at the Moscow clinic: an allergic, pregnant patient on
    anticoagulants booked early, another booked late and unconfirmed, a quarantined lot."""
    zone = world.clinic.zone
    today = timezone.now().astimezone(zone).date()
    scope = world.scope("practitioner")
    now = timezone.now()
    alert = patient_of(world, family="Alertova", given="Anna", born="1990-01-01")
    for kind, extra in (
        ("allergy", {"code": "allergen.soy"}),
        ("pregnancy", {}),
        ("medication", {"code": "medclass.anticoagulant", "label": "Warfarin"}),
    ):
        history_fact_record(
            scope=scope, patient=alert, kind=kind, present=True, now=now, today=today, **extra
        )
    plain = patient_of(world, family="Plainova", given="Petra", born="1991-01-01")

    def book(patient, hhmm, status="booked"):
        start = dt.datetime.combine(today, dt.time.fromisoformat(hhmm), tzinfo=zone)
        return Appointment.objects.create(
            organisation=world.organisation,
            clinic=world.clinic,
            patient=patient,
            practitioner=world.users["practitioner"],
            starts_at=start,
            ends_at=start + dt.timedelta(minutes=30),
            status=status,
            created_by=world.users["receptionist"],
        )

    early = book(alert, "00:05", status="confirmed")
    late = book(plain, "23:15")
    lot = receive(world, make_product(world), number="Q-77", ml="10")
    lot_quarantine(scope=world.scope("nurse"), lot=lot, reason="Damaged box", now=now)
    return {"alert": alert, "plain": plain, "early": early, "late": late, "lot": lot}


def _as(page, live_server, user, language):
    login(page, live_server, user.username, PASSWORD)
    if language == "ru":
        page.get_by_test_id("lang-switch").click()
        expect(page.locator("html")).to_have_attribute("lang", "ru")
    page.goto(f"{live_server.url}/")
    role = user.username.rstrip("0123456789")
    if (role, language) in HEADINGS:
        expect(page.locator("main h2").first).to_have_text(HEADINGS[role, language])


def _no_codes(page):
    text = page.locator("main").inner_text()
    assert not CODES.search(text), CODES.search(text)


@pytest.mark.parametrize("language", ["en", "ru"])
def test_the_practitioners_home_lists_todays_sessions_with_alerts(
    page, live_server, world, clinic_day, language
):
    _as(page, live_server, world.users["practitioner"], language)
    visits = page.get_by_test_id("home-visit")
    expect(visits).to_have_count(2)
    expect(visits.nth(0)).to_contain_text("Alertova Anna")
    expect(visits.nth(0)).to_contain_text("00:05")
    expect(visits.nth(1)).to_contain_text("Plainova Petra")
    alerts = visits.nth(0).get_by_test_id("home-alerts")
    soy = load_knowledge().get("allergen.soy").name.get(language)
    for word in WORDS[language].values():
        expect(alerts).to_contain_text(word)
    expect(alerts).to_contain_text(soy)
    expect(alerts).to_contain_text("Warfarin")
    expect(visits.nth(1).get_by_test_id("home-alerts")).to_have_count(0)
    expect(page.get_by_test_id("home-to-sign")).to_be_visible()
    expect(page.get_by_test_id("home-addenda")).to_be_visible()
    _no_codes(page)


@pytest.mark.parametrize("language", ["en", "ru"])
def test_the_receptionists_home_shows_the_front_desk(
    page, live_server, world, clinic_day, language
):
    _as(page, live_server, world.users["receptionist"], language)
    arrivals = page.get_by_test_id("home-arrivals")
    expect(arrivals.locator("li")).to_have_count(2)
    unconfirmed = page.get_by_test_id("home-unconfirmed")
    expect(unconfirmed).to_contain_text("Plainova Petra")
    expect(unconfirmed).not_to_contain_text("Alertova")
    for section in ("home-no-shows", "home-free-slots", "home-courses", "home-maintenance"):
        expect(page.get_by_test_id(section)).to_be_visible()
    # Clinical alerts are not the front desk's business.
    expect(page.get_by_test_id("home-alerts")).to_have_count(0)
    expect(page.get_by_test_id("home-visit")).to_have_count(0)
    _no_codes(page)


@pytest.mark.parametrize("language", ["en", "ru"])
def test_the_owners_home_shows_clinics_stock_and_utilisation(
    page, live_server, world, clinic_day, language
):
    _as(page, live_server, world.users["owner"], language)
    clinics = page.get_by_test_id("home-clinics")
    expect(clinics.locator(f'tr[data-clinic="{world.clinic.pk}"]')).to_contain_text("Main")
    expect(clinics.locator(f'tr[data-clinic="{world.other_clinic.pk}"]')).to_contain_text("Second")
    expect(page.get_by_test_id("home-quarantined")).to_contain_text("Q-77")
    expect(page.get_by_test_id("home-low-stock")).to_be_visible()
    expect(page.get_by_test_id("use-room")).to_have_count(2)
    expect(page.get_by_test_id("use-practitioner").first).to_contain_text("%")
    _no_codes(page)


@pytest.mark.parametrize("language", ["en", "ru"])
def test_the_alert_banner_on_the_patient_page_and_at_check_in(
    page, live_server, world, clinic_day, language
):
    _as(page, live_server, world.users["practitioner"], language)
    words = WORDS[language]
    soy = load_knowledge().get("allergen.soy").name.get(language)
    page.goto(f"{live_server.url}/patients/{clinic_day['alert'].pk}/")
    banner = page.get_by_test_id("alert-banner")
    expect(banner.locator('[data-alert="allergy"]')).to_have_text(f"{words['allergies']}: {soy}")
    expect(banner.locator('[data-alert="pregnancy"]')).to_have_text(words["pregnancy"])
    expect(banner.locator('[data-alert="anticoagulant"]')).to_have_text(
        f"{words['anticoagulants']}: Warfarin"
    )
    _no_codes(page)
    # The same banner at check-in, reached from the home page.
    page.goto(f"{live_server.url}/")
    page.get_by_test_id("home-visit").nth(0).get_by_role(
        "link", name=re.compile("Start|Начать")
    ).click()
    expect(page.get_by_test_id("checkin-form")).to_be_visible()
    banner = page.get_by_test_id("alert-banner")
    expect(banner.locator('[data-alert="allergy"]')).to_have_text(f"{words['allergies']}: {soy}")
    expect(banner.locator('[data-alert="pregnancy"]')).to_have_text(words["pregnancy"])
    # A patient without alerts shows no banner.
    page.goto(f"{live_server.url}/patients/{clinic_day['plain'].pk}/")
    expect(page.get_by_test_id("history")).to_be_visible()
    expect(page.get_by_test_id("alert-banner")).to_have_count(0)
