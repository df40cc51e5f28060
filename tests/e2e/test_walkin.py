"""A walk-in treated and signed in a real browser, in English and in Russian.

The receptionist marks the booked visit as arrived; the practitioner plans the one
session from the check-in page, the patient signs the consent on the spot, and the
visit is checked in (screened), charted and signed like any course session.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from mesoclinic.consultations.engine import kb as knowledge
from mesoclinic.consultations.models import TreatmentPlan
from mesoclinic.scheduling.models import Appointment
from tests.charting.factories import make_product, receive
from tests.conftest import PASSWORD
from tests.e2e.conftest import chart_ready, login
from tests.e2e.test_consultation_flow import _sign_on_canvas

WORDS = {
    "en": {
        "arrived": "Arrived",
        "yes": "Yes",
        "no": "No",
        "product": "Product 1",
        "dose": "Dose per session (mL) 1",
        "depth": "Depth (mm)",
        "volume": "Volume (mL)",
    },
    "ru": {
        "arrived": "Пациент пришёл",
        "yes": "Да",
        "no": "Нет",
        "product": "Препарат 1",
        "dose": "Доза за сеанс (мл) 1",
        "depth": "Глубина (мм)",
        "volume": "Объём (мл)",
    },
}


@pytest.fixture
def walk_in(world, patient_of, clinic_setup):
    """Today's booking of a patient who has no plan (the live server's real clock)."""
    zone = world.clinic.zone
    today = timezone.now().astimezone(zone).date()
    start = dt.datetime.combine(today, dt.time(0, 30), tzinfo=zone)
    receive(world, make_product(world), number="WALK-1", ml="30")
    patient = patient_of(world, family="Walker", given="Irina", born="1987-02-02")
    return Appointment.objects.create(
        organisation=world.organisation,
        clinic=world.clinic,
        patient=patient,
        practitioner=world.users["practitioner"],
        starts_at=start,
        ends_at=start + dt.timedelta(minutes=45),
        created_by=world.users["receptionist"],
    )


def _switch_to(page, language: str) -> None:
    if language == "ru":
        page.get_by_test_id("lang-switch").click()
        expect(page.locator("html")).to_have_attribute("lang", "ru")


def _fits(page, tablet: bool) -> None:
    """On the tablet, the page does not scroll sideways."""
    if tablet:
        scroll, client = page.evaluate(
            "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
        )
        assert scroll <= client, f"{page.url} scrolls sideways: {scroll} > {client}"


@pytest.mark.parametrize(
    ("language", "tablet"), [("en", False), ("ru", False), ("ru", True)], ids=["en", "ru", "ru-768"]
)
def test_a_walk_in_is_planned_consented_checked_in_charted_and_signed(
    page, live_server, world, walk_in, language, tablet
):
    words = WORDS[language]
    kb = knowledge()
    if tablet:
        page.set_viewport_size({"width": 768, "height": 1024})
    # The receptionist marks the patient as arrived.
    login(page, live_server, world.users["receptionist"].username, PASSWORD)
    _switch_to(page, language)
    page.goto(f"{live_server.url}/schedule/appointments/{walk_in.pk}/")
    page.get_by_role("button", name=words["arrived"], exact=True).click()
    expect(page.get_by_test_id("appt-status")).to_contain_text(words["arrived"])
    page.get_by_test_id("logout").click()

    # The practitioner starts the visit from the day list: it has no plan yet.
    login(page, live_server, world.users["practitioner"].username, PASSWORD)
    _switch_to(page, language)
    page.goto(f"{live_server.url}/sessions/")
    row = page.locator(f'[data-testid=day-row][data-appointment="{walk_in.pk}"]')
    row.get_by_test_id("start").click()
    expect(page.get_by_test_id("checkin-submit")).to_be_disabled()
    page.get_by_test_id("walkin-plan").click()

    # Submitted with nothing chosen: refused with the reasons, and nothing is written.
    page.get_by_test_id("walkin-plan-submit").click()
    form = page.get_by_test_id("walkin-plan-form")
    expect(form.locator(".field-errors").first).to_be_visible()
    _fits(page, tablet)
    assert not TreatmentPlan.objects.filter(patient=walk_in.patient).exists()
    form.locator('label[data-zone="zone.cheeks"] ellipse').first.click()
    form.get_by_label(kb.technique["technique.nappage"].name.get(language), exact=True).check()
    form.get_by_label(words["product"], exact=True).select_option(
        label=kb.product["product.revitalising-cocktail"].name.get(language)
    )
    form.get_by_label(words["dose"], exact=True).fill("2")
    page.get_by_test_id("walkin-plan-submit").click()

    # The consent is signed on the spot; the plan starts with it.
    expect(page.get_by_test_id("screening")).not_to_have_attribute("data-level", "block")
    expect(page.get_by_test_id("consent-text")).to_be_visible()
    _fits(page, tablet)
    _sign_on_canvas(page)
    page.get_by_test_id("consent-submit").click()

    # Check-in: every question answered, screened for today.
    expect(page.get_by_test_id("checkin-form")).to_be_visible()
    expect(page.get_by_test_id("checkin-submit")).to_be_enabled()
    _fits(page, tablet)
    for question in page.locator("[data-question]").all():
        question.get_by_label(words["no"], exact=True).check()
    page.get_by_test_id("checkin-submit").click()
    expect(page.get_by_test_id("checkin-screening")).not_to_have_attribute("data-level", "block")
    page.get_by_test_id("open-chart").click()

    chart_ready(page)
    page.locator('[data-map="face"] [data-zone="zone.cheeks"] ellipse').first.click()
    rows = page.get_by_test_id("chart-row")
    expect(rows).to_have_count(1)
    _fits(page, tablet)
    rows.first.get_by_label(words["depth"]).fill("1")
    rows.first.get_by_label(words["volume"]).fill("2")
    page.get_by_test_id("chart-save").click()
    expect(page.get_by_test_id("entry")).to_have_count(1)
    page.get_by_test_id("sign").click()
    expect(page.get_by_test_id("signed")).to_be_visible()
    _fits(page, tablet)
    expect(page).to_have_url(re.compile(r"/sessions/\d+/$"))

    walk_in.refresh_from_db()
    session = walk_in.treatment_session
    assert session.is_signed and session.plan.sessions == 1
    assert session.plan.status == "completed"
