"""In Chromium: the receptionist runs the clinic planner, watches it work, books all, undoes.

The planner runs on the background worker, never in the web request. Here the task
backend only queues (as a worker backend does) and the test plays the worker: the page
shows the queued run's progress, polls, and turns into the result by itself.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from mesoclinic.scheduling.models import Appointment, PlannerRun
from mesoclinic.scheduling.planner_runs import planner_run_execute
from tests.conftest import PASSWORD
from tests.e2e.conftest import login

WORDS = {
    "en": {
        "waiting": "Waiting to start",
        "fit": "6 of 6 sessions fit.",
        "booked": "6 sessions booked by",
        "undone": "Undone by",
    },
    "ru": {
        "waiting": "Ожидает запуска",
        "fit": "Помещается 6 из 6 процедур.",
        "booked": "6 процедур записано",
        "undone": "Отменено:",
    },
}


@pytest.fixture
def worker_backend(settings):
    """Tasks are queued, not run in the request: the test runs them, as a worker would."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    settings.PLANNER_TIME_LIMIT_S = 3


@pytest.mark.parametrize("language", ["en", "ru"])
def test_run_the_planner_watch_it_finish_book_all_and_undo(
    page, live_server, world, active_plan, worker_backend, language
):
    words = WORDS[language]
    login(page, live_server, world.users["receptionist"].username, PASSWORD)
    if language == "ru":
        page.get_by_test_id("lang-switch").click()
        expect(page.locator("html")).to_have_attribute("lang", "ru")
    page.goto(f"{live_server.url}/schedule/planner/")
    page.get_by_test_id("run-planner").click()

    # Queued: the page shows the run's progress and keeps asking for it.
    expect(page.get_by_test_id("planner-status")).to_have_text(words["waiting"])
    expect(page.locator("progress#planner-bar")).to_have_attribute("value", "0")
    run = PlannerRun.objects.get()
    assert re.search(rf"/schedule/planner/runs/{run.pk}/$", page.url)

    planner_run_execute(run.pk)  # the worker
    # The page notices by itself and shows the result.
    expect(page.get_by_test_id("planner-summary")).to_contain_text(words["fit"])
    expect(page.get_by_test_id("planned-course")).to_contain_text("Course Patient")

    page.get_by_test_id("book-all").click()
    expect(page.get_by_test_id("booking-summary")).to_contain_text(words["booked"])
    booked = Appointment.objects.filter(plan_id=active_plan.pk, status="booked")
    assert booked.count() == 6

    page.get_by_test_id("undo-booking").click()
    expect(page.get_by_test_id("undone")).to_contain_text(words["undone"])
    assert not Appointment.objects.filter(plan_id=active_plan.pk, status="booked").exists()
    assert Appointment.objects.filter(plan_id=active_plan.pk, status="cancelled").count() == 6
