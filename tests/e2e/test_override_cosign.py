"""Overrides in a real browser: the owner asks for a co-signature, a physician overrides
a typed anticoagulant's block, a nurse co-signs; English and Russian, on a tablet."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from mesoclinic.scheduling.models import Appointment
from tests.charting.factories import make_product, receive
from tests.conftest import PASSWORD
from tests.e2e.conftest import login

WORDS = {
    "en": {
        "settings": "Screening settings",
        "cosign": "An override needs a second clinician's co-signature",
        "save": "Save screening settings",
        "yes": "Yes",
        "no": "No",
        "type": "Or type its name",
        "reason": "Reason for going ahead despite the screening",
        "awaiting": "Awaiting a second clinician's co-signature.",
        "cosigned": "Co-signed by",
    },
    "ru": {
        "settings": "Настройки скрининга",
        "cosign": "Отмена запрета требует подписи второго клинициста",
        "save": "Сохранить настройки скрининга",
        "yes": "Да",
        "no": "Нет",
        "type": "Или введите название",
        "reason": "Почему сеанс проводится вопреки результатам скрининга",
        "awaiting": "Ожидается подпись второго клинициста.",
        "cosigned": "Вторая подпись",
    },
}


@pytest.fixture
def appointment_today(world, active_plan):
    zone = world.clinic.zone
    today = timezone.now().astimezone(zone).date()
    start = dt.datetime.combine(today, dt.time(0, 30), tzinfo=zone)
    receive(world, make_product(world), number="E2E-LOT", ml="60")
    return Appointment.objects.create(
        organisation=world.organisation,
        clinic=world.clinic,
        patient=active_plan.patient,
        practitioner=world.users["practitioner"],
        starts_at=start,
        ends_at=start + dt.timedelta(minutes=45),
        technique_id="technique.nappage",
        plan_id=active_plan.pk,
        session_number=1,
        created_by=world.users["receptionist"],
    )


def _as(page, live_server, world, role: str, language: str) -> None:
    user = world.users[role]
    user.language = language
    user.save(update_fields=["language"])
    page.context.clear_cookies()
    login(page, live_server, user.username, PASSWORD)


@pytest.mark.parametrize("language", ["en", "ru"])
def test_a_co_signed_override_of_a_typed_anticoagulant(
    page, live_server, world, appointment_today, language
):
    words = WORDS[language]
    page.set_viewport_size({"width": 768, "height": 1024})
    # The owner asks for co-signatures, on the clinic's screening settings page.
    _as(page, live_server, world, "owner", language)
    page.goto(f"{live_server.url}/account/clinic/")
    page.get_by_role("link", name=words["settings"]).first.click()
    page.get_by_label(words["cosign"]).check()
    page.get_by_role("button", name=words["save"]).click()
    expect(page.get_by_label(words["cosign"])).to_be_checked()

    # The practitioner checks the patient in: a new medicine typed by its brand name.
    _as(page, live_server, world, "practitioner", language)
    page.goto(f"{live_server.url}/sessions/")
    page.locator(
        f'[data-testid=day-row][data-appointment="{appointment_today.pk}"]'
    ).get_by_test_id("start").click()
    # locator.all() does not wait: wait for the check-in form first.
    expect(page.get_by_test_id("checkin-form")).to_be_visible()
    for question in page.locator("[data-question]").all():
        qid = question.get_attribute("data-question")
        answer = words["yes"] if qid == "vq.new-medications" else words["no"]
        question.get_by_label(answer, exact=True).check()
    typed = page.locator('[data-question="vq.new-medications"]').get_by_label(words["type"])
    typed.fill("Варфарин 5 мг")
    typed.press("Tab")  # leave the field: the suggestion list closes, as for a person
    page.get_by_test_id("checkin-submit").click()
    screening = page.get_by_test_id("checkin-screening")
    expect(screening).to_have_attribute("data-level", "block")
    expect(screening.locator('li[data-rule="ci.anticoagulant"]')).to_be_visible()

    # The physician overrides with a reason; the stop stays until a co-signature.
    page.get_by_label(words["reason"]).fill("INR 2.1 today; cardiologist agreed")
    page.get_by_test_id("override-submit").click()
    expect(page.get_by_test_id("override-awaiting-cosign")).to_have_text(words["awaiting"])
    expect(page.get_by_test_id("stopped")).to_be_visible()
    expect(page.get_by_test_id("open-chart")).to_have_count(0)
    session_url = page.url

    # A nurse co-signs; the session may now be charted.
    _as(page, live_server, world, "nurse", language)
    page.goto(session_url)
    page.get_by_test_id("override-cosign").click()
    expect(page.get_by_test_id("override-cosigned")).to_contain_text(words["cosigned"])
    expect(page.get_by_test_id("stopped")).to_have_count(0)
    expect(page.get_by_test_id("override")).to_contain_text(re.compile("INR 2.1"))
