"""Check-in with a medicine typed by its brand name, in Russian and in English, on a tablet."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from mesoclinic.core.knowledge import load_knowledge
from tests.conftest import PASSWORD
from tests.e2e import test_session_day
from tests.e2e.conftest import login


@pytest.fixture
def appointment_today(world, active_plan):
    """The active plan's first session booked for today (shared with the session-day tests)."""
    return test_session_day.today_appointment.__wrapped__(world, active_plan)


CASES = [
    pytest.param(
        "ru", "Ксарелто 20 мг", {"yes": "Да", "no": "Нет", "type": "Или введите название"}, id="ru"
    ),
    pytest.param(
        "en", "Xarelto 20 mg", {"yes": "Yes", "no": "No", "type": "Or type its name"}, id="en"
    ),
]


@pytest.mark.parametrize(("language", "typed", "words"), CASES)
def test_a_brand_name_anticoagulant_typed_at_check_in_blocks_with_its_source(
    page,
    live_server,
    world,
    appointment_today,
    language,
    typed,
    words,
):
    appointment, _lot = appointment_today
    user = world.users["practitioner"]
    user.language = language
    user.save(update_fields=["language"])
    page.set_viewport_size({"width": 768, "height": 1024})
    login(page, live_server, user.username, PASSWORD)
    page.goto(f"{live_server.url}/sessions/")
    page.locator(f'[data-testid=day-row][data-appointment="{appointment.pk}"]').get_by_test_id(
        "start"
    ).click()
    expect(page.get_by_test_id("checkin-form")).to_be_visible()
    for question in page.locator("[data-question]").all():
        qid = question.get_attribute("data-question")
        answer = words["yes"] if qid == "vq.new-medications" else words["no"]
        question.get_by_label(answer, exact=True).check()
    medicines = page.locator('[data-question="vq.new-medications"]')
    field = medicines.get_by_label(words["type"])
    # The field suggests names from the medicine dictionary while typing.
    assert field.get_attribute("list")
    field.fill(typed)
    field.press("Tab")  # leave the field: the suggestion list closes, as for a person
    page.get_by_test_id("checkin-submit").click()

    screening = page.get_by_test_id("checkin-screening")
    expect(screening).to_have_attribute("data-level", "block")
    verdict = screening.locator('li[data-rule="ci.anticoagulant"]')
    expect(verdict).to_be_visible()
    expect(verdict).to_contain_text(typed)
    from mesoclinic.patients.templatetags.knowledge import source_title

    citation = source_title(load_knowledge().source["src.restylane-vital-light"].citation)
    expect(verdict.locator(".sources")).to_contain_text(citation)
    expect(verdict).not_to_contain_text(re.compile(r"medicine\.|medclass\.|ci\.anticoagulant"))
