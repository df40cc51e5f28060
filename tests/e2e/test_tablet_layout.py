"""Clinical pages on a 768x1024 tablet and the plan form on wide screens, measured in a browser.

On the tablet: no sideways scroll, and every radio button, checkbox and button a
finger can hit is at least 44 px in both directions. On 1366 and 1920 px screens the
plan form's cocktail box and the zone map do not overlap. A 100,000-character note
without a space wraps instead of widening the record.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from mesoclinic.charting.services import session_checkin
from mesoclinic.consultations.services import consultation_create
from mesoclinic.patients.services import history_fact_record
from tests.charting.factories import no_answers
from tests.conftest import PASSWORD
from tests.e2e.conftest import chart_ready, login
from tests.e2e.test_session_day import today_appointment  # noqa: F401  (fixture)

TABLET = {"width": 768, "height": 1024}
SMALL_TARGETS = """() => {
  const out = [];
  for (const el of document.querySelectorAll(
      'main input[type=radio], main input[type=checkbox], main button, main a.button')) {
    const box = el.getBoundingClientRect();
    const style = getComputedStyle(el);
    if (style.visibility === 'hidden' || style.display === 'none' || box.width === 0) continue;
    if (el.classList.contains('zonemap-input')) continue;  // the zone's picture is the target
    if (box.width < 44 || box.height < 44) {
      out.push(`${el.outerHTML.slice(0, 80)} ${box.width}x${box.height}`);
    }
  }
  return out;
}"""


def _no_sideways_scroll(page) -> None:
    width = page.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert width[0] <= width[1], f"the page scrolls sideways: {width[0]} > {width[1]}"


def _targets_big_enough(page) -> None:
    small = page.evaluate(SMALL_TARGETS)
    assert small == [], small


def _tablet(page, live_server, user, language):
    page.set_viewport_size(TABLET)
    login(page, live_server, user.username, PASSWORD)
    if language == "ru":
        page.get_by_test_id("lang-switch").click()
        expect(page.locator("html")).to_have_attribute("lang", "ru")


@pytest.mark.parametrize("language", ["en", "ru"])
def test_check_in_on_a_tablet(page, live_server, world, today_appointment, language):  # noqa: F811
    appointment, _lot = today_appointment
    _tablet(page, live_server, world.users["practitioner"], language)
    page.goto(f"{live_server.url}/sessions/check-in/{appointment.pk}/")
    expect(page.get_by_test_id("checkin-form")).to_be_visible()
    _no_sideways_scroll(page)
    _targets_big_enough(page)
    # The answers are given by touch on the rendered radios.
    no = "Нет" if language == "ru" else "No"
    for question in page.locator("[data-question]").all():
        question.get_by_label(no, exact=True).check()
    page.get_by_test_id("checkin-submit").click()
    expect(page.get_by_test_id("checkin-screening")).to_be_visible()
    _no_sideways_scroll(page)
    _targets_big_enough(page)


@pytest.mark.parametrize("language", ["en", "ru"])
def test_charting_on_a_tablet(page, live_server, world, today_appointment, language):  # noqa: F811
    appointment, _lot = today_appointment
    session = session_checkin(
        scope=world.scope("practitioner"),
        appointment=appointment,
        answers=no_answers(),
        now=timezone.now(),
    )
    _tablet(page, live_server, world.users["practitioner"], language)
    page.goto(f"{live_server.url}/sessions/{session.pk}/chart/")
    chart_ready(page)
    page.locator('[data-map="face"] [data-zone="zone.cheeks"] ellipse').first.click()
    page.locator('[data-map="face"] [data-zone="zone.forehead"] ellipse').first.click()
    expect(page.get_by_test_id("chart-row")).to_have_count(2)
    _no_sideways_scroll(page)
    _targets_big_enough(page)


@pytest.mark.parametrize("language", ["en", "ru"])
def test_consent_signing_on_a_tablet(page, live_server, world, patient_of, clinic_setup, language):
    from mesoclinic.consultations.services import plan_create

    patient = patient_of(world, family="Tablet", given="Tanya", born="1990-03-03")
    now = timezone.now()
    plan = plan_create(
        scope=world.scope("practitioner"),
        patient=patient,
        now=now,
        today=timezone.localdate(),
        zones=["zone.cheeks"],
        technique_ids=["technique.nappage"],
        products=[("product.revitalising-cocktail", "2.0")],
        sessions=1,
        interval_min_days=7,
        interval_max_days=14,
        target_start=timezone.localdate() + dt.timedelta(days=1),
    )
    _tablet(page, live_server, world.users["practitioner"], language)
    page.goto(f"{live_server.url}/consultations/plans/{plan.pk}/consent/")
    expect(page.get_by_test_id("signature-pad")).to_be_visible()
    _no_sideways_scroll(page)
    _targets_big_enough(page)
    pad = page.get_by_test_id("signature-pad").bounding_box()
    assert pad["x"] + pad["width"] <= TABLET["width"]


@pytest.mark.parametrize("width", [1366, 1920])
def test_the_plan_forms_cocktail_box_does_not_overlap_the_zone_map(
    page, live_server, world, patient_of, width
):
    patient = patient_of(world, family="Wide", given="Screen", born="1980-01-01")
    consultation = consultation_create(
        scope=world.scope("practitioner"),
        patient=patient,
        now=timezone.now(),
        today=timezone.localdate(),
        examination="Dull skin",
        indications=["indication.dehydration"],
        zones=["zone.cheeks"],
    )
    page.set_viewport_size({"width": width, "height": 1000})
    login(page, live_server, world.users["practitioner"].username, PASSWORD)
    page.goto(f"{live_server.url}/consultations/{consultation.pk}/plan/new/")
    cocktail = page.locator("fieldset", has=page.locator("select[name=product_1]"))
    # The longest product name shows in the first row, as a person would pick it.
    longest = max(page.locator("select[name=product_1] option").all_inner_texts(), key=len)
    page.locator("select[name=product_1]").select_option(label=longest)
    box = cocktail.bounding_box()
    zonemap = page.locator(".zonemaps").first.bounding_box()
    overlap_x = min(box["x"] + box["width"], zonemap["x"] + zonemap["width"]) - max(
        box["x"], zonemap["x"]
    )
    overlap_y = min(box["y"] + box["height"], zonemap["y"] + zonemap["height"]) - max(
        box["y"], zonemap["y"]
    )
    assert overlap_x <= 0 or overlap_y <= 0, (box, zonemap)
    for select in page.locator("select[name^=product_]").all():
        sbox = select.bounding_box()
        assert (
            sbox["x"] + sbox["width"] <= zonemap["x"]
            or sbox["y"] >= zonemap["y"] + zonemap["height"]
        )
    _no_sideways_scroll(page)


def test_a_long_unbroken_note_wraps_on_the_record(page, live_server, world, patient_of):
    patient = patient_of(world, family="Long", given="Note", born="1980-01-01")
    history_fact_record(
        scope=world.scope("practitioner"),
        patient=patient,
        kind="condition",
        label="Something",
        note="x" * 100_000,
        now=timezone.now(),
        today=timezone.localdate(),
    )
    login(page, live_server, world.users["practitioner"].username, PASSWORD)
    page.goto(f"{live_server.url}/patients/{patient.pk}/")
    expect(page.get_by_test_id("history")).to_contain_text(re.compile("x{50}"))
    _no_sideways_scroll(page)
    # About a thousand wrapped lines, not one line 900,000 px long.
    assert page.evaluate("() => document.documentElement.scrollHeight") < 100_000
