"""From history to a signed consent and a started plan, in a real browser."""

from __future__ import annotations

import io
import re

from playwright.sync_api import expect

from tests.conftest import PASSWORD
from tests.e2e.conftest import login


def _consult_and_plan(page, live_server, patient):
    page.goto(f"{live_server.url}/patients/{patient.pk}/")
    page.get_by_test_id("consultation-new").click()
    page.get_by_label("Examination").fill("Dry, dull skin on the cheeks")
    page.get_by_label(re.compile("Dehydrated, dull skin")).check()
    page.locator('label[data-zone="zone.cheeks"] ellipse').first.click()
    expect(page.locator('input[name=zones][value="zone.cheeks"]')).to_be_checked()
    page.get_by_role("button", name="Record and propose protocols").click()
    proposal = page.locator('[data-testid=proposal][data-protocol="protocol.skinbooster-ha"]')
    expect(proposal).to_be_visible()
    proposal.get_by_test_id("adapt").click()
    page.get_by_role("button", name="Create and screen the plan").click()
    expect(page.get_by_test_id("plan-status")).to_have_text("Draft")


def test_pregnancy_in_the_history_blocks_the_plan_with_its_reason(
    page, live_server, make_org, patient_of
):
    world = make_org()
    patient = patient_of(world, family="Smith", given="Anna", born="1990-01-01")
    login(page, live_server, world.users["practitioner"].username, PASSWORD)
    page.goto(f"{live_server.url}/patients/{patient.pk}/")
    page.get_by_test_id("history-add").locator("summary").click()
    page.get_by_label("Kind").select_option("pregnancy")
    page.get_by_role("button", name="Add", exact=True).click()
    expect(page.get_by_test_id("history")).to_contain_text("Pregnancy")

    _consult_and_plan(page, live_server, patient)
    screening = page.get_by_test_id("screening")
    expect(page.get_by_test_id("plan-blocked")).to_be_visible()
    blocked = screening.locator('li[data-rule="ci.pregnancy"]')
    expect(blocked).to_contain_text("Pregnancy")
    expect(blocked.locator("cite").first).to_be_visible()
    expect(page.get_by_test_id("consent-sign-link")).to_have_count(0)
    page.get_by_test_id("plan-activate").click()
    expect(page.locator(".messages")).to_contain_text("blocks this plan")
    expect(page.get_by_test_id("plan-status")).to_have_text("Draft")


def _sign_on_canvas(page):
    pad = page.get_by_test_id("signature-pad")
    pad.scroll_into_view_if_needed()
    box = pad.bounding_box()
    x, y = box["x"], box["y"]
    page.mouse.move(x + 30, y + 120)
    page.mouse.down()
    for i in range(1, 25):
        page.mouse.move(x + 30 + i * 12, y + 120 - (i % 6) * 14, steps=2)
    page.mouse.up()


def _pdf_text(path) -> str:
    from pypdf import PdfReader

    with open(path, "rb") as fh:
        reader = PdfReader(io.BytesIO(fh.read()))
    return " ".join(" ".join(p.extract_text() for p in reader.pages).split())


def test_clean_patient_consultation_plan_signature_pdf_and_start(
    page, live_server, make_org, patient_of
):
    world = make_org()
    patient = patient_of(world, family="Clarke", given="Emily", born="1988-04-12")
    login(page, live_server, world.users["practitioner"].username, PASSWORD)
    _consult_and_plan(page, live_server, patient)
    expect(page.get_by_test_id("plan-blocked")).to_have_count(0)

    # Starting without a consent is refused.
    page.get_by_test_id("plan-activate").click()
    expect(page.locator(".messages")).to_contain_text("has not signed a consent")

    page.get_by_test_id("consent-sign-link").click()
    expect(page.get_by_test_id("consent-text")).to_contain_text("Possible side effects")
    # Signing with an empty pad is refused with a clear message.
    page.get_by_test_id("consent-submit").click()
    expect(page.locator("#signature_errors")).to_contain_text("signature is empty")
    _sign_on_canvas(page)
    page.get_by_test_id("consent-submit").click()
    expect(page.get_by_test_id("consent-hash")).to_have_text(re.compile(r"^[0-9a-f]{64}$"))

    with page.expect_download() as download:
        page.get_by_test_id("consent-pdf").click()
    text = _pdf_text(download.value.path())
    assert "Clarke Emily" in text
    for section in ("The procedure", "Expected effects", "Possible side effects", "Aftercare"):
        assert section in text, section

    page.get_by_role("link", name="Back to the plan").click()
    expect(page.get_by_test_id("consent-current")).to_be_visible()
    page.get_by_test_id("plan-activate").click()
    expect(page.get_by_test_id("plan-status")).to_have_text("Active")


def test_russian_consent_pdf_has_correct_cyrillic_text(page, live_server, make_org, patient_of):
    import datetime as dt

    from mesoclinic.patients.services import patient_update

    world = make_org()
    patient = patient_of(world, family="Соколова", given="Анна", born="1994-01-30")
    patient_update(
        scope=world.scope("receptionist"),
        patient=patient,
        preferred_language="ru",
        today=dt.date(2026, 11, 23),
    )
    login(page, live_server, world.users["practitioner"].username, PASSWORD)
    _consult_and_plan(page, live_server, patient)
    page.get_by_test_id("consent-sign-link").click()
    expect(page.get_by_test_id("consent-text")).to_contain_text("Возможные побочные эффекты")
    _sign_on_canvas(page)
    page.get_by_test_id("consent-submit").click()
    with page.expect_download() as download:
        page.get_by_test_id("consent-pdf").click()
    text = _pdf_text(download.value.path())
    assert "Соколова Анна" in text
    for section in ("Процедура", "Ожидаемый эффект", "Возможные побочные эффекты", "Уход"):
        assert section in text, section
    assert "Покраснение" in text
