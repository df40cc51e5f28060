"""At check-in the clinician sees what the patient reported in the portal, corrects an
answer (a new version, by the clinician) and confirms the rest (attributed)."""

from __future__ import annotations

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from mesoclinic.patients.models import HistoryFact
from mesoclinic.portal.models import Questionnaire
from mesoclinic.portal.services import questionnaire_submit
from tests.conftest import PASSWORD
from tests.e2e import test_session_day
from tests.e2e.conftest import login

WORDS = {
    "en": {
        "description": "Description",
        "save": "Save",
        "confirm": "Confirm the patient's answers",
    },
    "ru": {
        "description": "Описание",
        "save": "Сохранить",
        "confirm": "Подтвердить ответы пациента",
    },
}


@pytest.fixture
def appointment_today(world, active_plan):
    return test_session_day.today_appointment.__wrapped__(world, active_plan)


@pytest.mark.parametrize("language", ["en", "ru"])
def test_clinician_corrects_and_confirms_reported_answers_at_check_in(
    page, live_server, world, appointment_today, language
):
    appointment, _lot = appointment_today
    patient = appointment.patient
    questionnaire = questionnaire_submit(
        patient=patient,
        clinic=world.clinic,
        answers={"pregnant": "no", "breastfeeding": "no", "allergies": "latex"},
        now=timezone.now(),
    )
    allergy = HistoryFact.objects.get(pk__in=questionnaire.fact_ids, kind="allergy")
    user = world.users["practitioner"]
    user.language = language
    user.save(update_fields=["language"])
    w = WORDS[language]
    page.set_viewport_size({"width": 768, "height": 1024})
    login(page, live_server, user.username, PASSWORD)
    page.goto(f"{live_server.url}/sessions/")
    page.locator(f'[data-testid=day-row][data-appointment="{appointment.pk}"]').get_by_test_id(
        "start"
    ).click()
    panel = page.get_by_test_id("reported-answers")
    expect(panel).to_contain_text("latex")
    expect(panel).not_to_contain_text("allergen.")

    # Correct the allergy: the form comes back to check-in with the new version.
    panel.locator(f'[data-fact="{allergy.pk}"]').get_by_test_id("correct-fact").click()
    page.get_by_label(w["description"], exact=True).fill("latex gloves (rash)")
    page.get_by_role("button", name=w["save"], exact=True).click()
    expect(page.get_by_test_id("checkin-form")).to_be_visible()
    # The reported version is marked corrected and can no longer be corrected again.
    expect(
        panel.locator(f'[data-fact="{allergy.pk}"]').get_by_test_id("correct-fact")
    ).to_have_count(0)
    newer = HistoryFact.objects.get(supersedes=allergy)
    assert newer.label == "latex gloves (rash)" and newer.recorded_by == user

    # Confirm: attributed, and the panel is gone from the check-in page.
    panel.get_by_role("button", name=w["confirm"]).click()
    expect(page.get_by_test_id("checkin-form")).to_be_visible()
    expect(page.get_by_test_id("reported-answers")).to_have_count(0)
    questionnaire.refresh_from_db()
    assert questionnaire.confirmed_by == user and questionnaire.confirmed_at is not None
    assert Questionnaire.objects.filter(patient=patient, confirmed_at__isnull=True).count() == 0
