"""Real-browser fixtures: Playwright driving Debian's Chromium against pytest-django's live server.

Playwright's own browser download does not work here and is never used: the browser
is the `chromium` on the PATH (installed by scripts/test.sh). A failing test leaves a
full-page screenshot in test-artifacts/.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

from tests.scheduling.conftest import active_plan, clinic_setup  # noqa: F401  (shared)

ARTIFACTS = Path(os.environ.get("TEST_ARTIFACTS", "test-artifacts")).resolve()
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def pytest_collection_modifyitems(items):
    for item in items:
        if "/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import expect, sync_playwright

    # The CI machine has two cores shared with the database: give assertions the same
    # 15 s as actions (a real failure still fails, only later).
    expect.set_options(timeout=15_000)
    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    if executable is None:
        pytest.fail("Debian's chromium is not installed: run scripts/test.sh, which installs it.")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.stash.setdefault("reports", {})["call"] = report
    return report


@pytest.fixture
def page(browser, request, live_server):
    context = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    report = request.node.stash.get("reports", {}).get("call")
    if report is not None and report.failed:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.nodeid)[-150:]
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    context.close()


def login(page, live_server, username: str, password: str) -> None:
    page.goto(f"{live_server.url}/login/")
    page.get_by_label(re.compile("Username|Имя пользователя")).fill(username)
    page.get_by_label(re.compile("Password|Пароль")).fill(password)
    page.get_by_role("button", name=re.compile("Sign in|Войти")).click()


def chart_ready(page):
    """Wait until the chart's script has wired the zone pictures (a person waits for the page)."""
    from playwright.sync_api import expect

    expect(page.locator("#chart-form")).to_have_attribute("data-ready", "1")


def click_calendar_time(page, column: str, hhmm: str) -> None:
    """Click the calendar's column headed `column` where the time rail reads `hhmm`, as a
    person does: find the column by its heading, the hour on the rail, and click there
    (a quarter hour is a quarter of the hour's height below the hour's line)."""
    heads = page.locator(".cal-head").all_inner_texts()
    index = next(i for i, text in enumerate(heads) if text.startswith(column))
    target = page.locator(".cal-col").nth(index)
    hour, minute = hhmm.split(":")
    label = page.locator(".cal-rail span", has_text=f"{hour}:00")
    target.scroll_into_view_if_needed()
    box, hour_box = target.bounding_box(), label.bounding_box()
    y = hour_box["y"] - box["y"] + hour_box["height"] * (int(minute) / 15 + 0.5)
    target.click(position={"x": box["width"] / 2, "y": y})
