"""In Chromium, in English and Russian: an owner opens Background work from the menu and
sees work running (its progress, then done without reloading), done, and failed with
the reason in plain words; "Run again" runs the failed work, which then succeeds."""

from __future__ import annotations

import re
import uuid

import pytest
from django.test import override_settings
from playwright.sync_api import expect

from mesoclinic.jobs.models import BackgroundJob, JobStatus
from mesoclinic.jobs.worker import claim_next, run_row
from tests.conftest import PASSWORD
from tests.e2e.conftest import login
from tests.jobs import tasks
from tests.jobs.test_worker import _start

TEXT = {
    "en": {
        "menu": "Background work",
        "running": "Running",
        "done": "Done",
        "failed": "Failed",
        "mail": "The mail server could not be reached or refused the message.",
        "again": "Run again",
        "queued_again": "The work was queued again.",
        "reminders": "Appointment reminders",
    },
    "ru": {
        "menu": "Фоновые задачи",
        "running": "Выполняется",
        "done": "Готово",
        "failed": "Не выполнено",
        "mail": "Почтовый сервер недоступен или отклонил письмо.",
        "again": "Запустить снова",
        "queued_again": "Задача снова поставлена в очередь.",
        "reminders": "Напоминания о визитах",
    },
}


@pytest.mark.parametrize("language", ["en", "ru"])
def test_an_owner_sees_running_done_and_failed_work_and_runs_the_failed_again(
    page, live_server, world, language
):
    t = TEXT[language]
    done = _start(world, tasks.count_to, 3)
    failed = _start(world, tasks.mail_flaky, f"e2e-{uuid.uuid4()}", 1)
    with override_settings(TASKS={"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}):
        running = _start(world, tasks.count_to, 5)
    row = claim_next(queues=["default"], backend_alias="default", worker_id="e2e")
    BackgroundJob.objects.filter(pk=running.pk).update(
        status=JobStatus.RUNNING, progress=0.4, message="2 / 5"
    )
    assert (done.status, failed.status) == (JobStatus.DONE, JobStatus.FAILED)

    login(page, live_server, world.users["owner"].username, PASSWORD)
    if language == "ru":
        page.get_by_test_id("lang-switch").click()
        expect(page.locator("html")).to_have_attribute("lang", "ru")
    page.locator("nav.mainnav").get_by_role("link", name=t["menu"]).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(t["menu"])

    running_row = page.get_by_test_id(f"job-{running.pk}")
    expect(running_row).to_contain_text(t["running"])
    expect(running_row).to_contain_text("40%")
    expect(running_row).to_contain_text(t["reminders"])
    expect(page.get_by_test_id(f"job-{done.pk}")).to_contain_text(t["done"])
    failed_row = page.get_by_test_id(f"job-{failed.pk}")
    expect(failed_row).to_contain_text(t["failed"])
    expect(failed_row.get_by_test_id("job-error")).to_have_text(t["mail"])
    assert not re.search(r"SMTP|Traceback|mesoclinic\.", page.locator("main").inner_text())

    # The worker finishes the running work: the open page follows without a reload.
    run_row(row)
    expect(running_row).to_have_attribute("data-status", "done")
    expect(running_row).to_contain_text(t["done"])

    failed_row.get_by_role("button", name=t["again"]).click()
    expect(page.get_by_role("status").or_(page.locator(".message")).first).to_contain_text(
        t["queued_again"]
    )
    expect(page.get_by_test_id(f"job-{failed.pk}")).to_have_attribute("data-status", "done")
    assert BackgroundJob.objects.get(pk=failed.pk).status == JobStatus.DONE
