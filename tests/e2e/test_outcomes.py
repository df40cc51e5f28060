"""Outcomes in the browser, on a tablet: score GAIS and WSRS at a session, see the chart,
and the owner's report over the demo organisation's courses, in English and Russian."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from mesoclinic.charting.services import session_sign
from mesoclinic.core.knowledge import load_knowledge
from tests.charting.factories import NOW, charted, make_day
from tests.conftest import PASSWORD
from tests.e2e.conftest import login
from tests.scheduling.conftest import active_plan, clinic_setup  # noqa: F401

KB = load_knowledge()
TABLET = {"width": 768, "height": 1024}
WORDS = {
    "en": {"record": "Record a score", "save": "Record score", "by": "The practitioner",
           "over_time": "Scores over time"},
    "ru": {"record": "Записать оценку", "save": "Сохранить оценку", "by": "Врач",
           "over_time": "Оценки во времени"},
}  # fmt: skip


def _level(scale_id: str, value: str, language: str) -> str:
    scale = KB.scale[scale_id]
    return f"{scale.short.get(language)} {value} — {scale.level(value).label.get(language)}"


def _score(page, language, scale_id, value):
    words = WORDS[language]
    form = page.get_by_test_id("session-outcomes")
    form.locator("summary", has_text=words["record"]).click()
    form.get_by_label(re.compile("Scale and score|Шкала и оценка")).select_option(
        label=_level(scale_id, value, language)
    )
    form.get_by_label(words["by"], exact=True).check()
    form.get_by_label(re.compile("^Zone|^Зона")).select_option(
        label=KB.zone["zone.cheeks"].name.get(language)
    )
    form.get_by_role("button", name=words["save"]).click()


@pytest.mark.parametrize("language", ["en", "ru"])
def test_practitioner_scores_gais_and_wsrs_on_a_session_and_sees_the_chart(
    page,
    live_server,
    world,
    active_plan,  # noqa: F811
    language,
):
    day = make_day(world, active_plan)
    session = session_sign(scope=day.scope, session=charted(day), now=NOW)
    page.set_viewport_size(TABLET)
    login(page, live_server, world.users["practitioner"].username, PASSWORD)
    if language == "ru":
        page.get_by_test_id("lang-switch").click()
        expect(page.locator("html")).to_have_attribute("lang", "ru")
    page.goto(f"{live_server.url}/sessions/{session.pk}/")

    _score(page, language, "scale.wsrs", "3")
    rows = page.get_by_test_id("session-outcomes").get_by_test_id("score-row")
    expect(rows).to_have_count(1)
    _score(page, language, "scale.gais", "2")
    expect(rows).to_have_count(2)
    expect(rows.nth(1)).to_contain_text(KB.scale["scale.gais"].name.get(language))

    page.get_by_test_id("outcomes-link").click()
    expect(page.get_by_role("heading", name=WORDS[language]["over_time"])).to_be_visible()
    charts = page.get_by_test_id("outcome-chart")
    expect(charts).to_have_count(2)
    gais = page.locator('[data-testid="outcome-chart"][data-scale="scale.gais"]')
    expect(gais.get_by_test_id("chart-point")).to_have_count(1)
    expect(gais.get_by_test_id("chart-session")).to_have_count(1)
    assert page.evaluate("document.documentElement.scrollWidth") <= TABLET["width"]


def test_owner_sees_which_demo_protocols_work_and_downloads_the_csv(page, live_server):
    from mesoclinic.demo import DEMO_PASSWORD, demo_load

    assert demo_load()
    page.set_viewport_size(TABLET)
    login(page, live_server, "owner", DEMO_PASSWORD)  # the demo owner works in Russian
    expect(page.locator("html")).to_have_attribute("lang", "ru")
    expect(page.get_by_test_id("home-followup").first).to_be_visible()  # six-month visits
    page.get_by_role("link", name="Результаты").first.click()
    expect(page.get_by_test_id("observational")).to_contain_text("Наблюдательные")
    wsrs = page.locator(
        '[data-testid="report-row"][data-key="protocol.skinbooster-ha"][data-scale="scale.wsrs"]'
    )
    expect(wsrs.get_by_test_id("paired")).to_have_text("4")
    expect(wsrs.get_by_test_id("change")).to_contain_text("(")  # mean with its interval
    for protocol in ("protocol.hair-loss", "protocol.cellulite"):
        row = page.locator(f'[data-testid="report-row"][data-key="{protocol}"]').first
        expect(row).to_contain_text(KB.protocol[protocol].name.ru)
    filters = page.get_by_test_id("report-filters")
    filters.get_by_label("Клиника").select_option(label="Patriarshiye Clinic")
    filters.get_by_role("button", name="Показать").click()
    expect(page).to_have_url(re.compile(r"clinic=\d+"))
    expect(wsrs.get_by_test_id("paired")).to_have_text("4")

    page.get_by_test_id("lang-switch").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_test_id("observational")).to_contain_text("Observational")
    expect(page.get_by_test_id("report-section").first).to_contain_text(
        KB.protocol["protocol.cellulite"].name.en
    )
    with page.expect_download() as download:
        page.get_by_test_id("report-csv").click()
    rows = list(csv.reader(io.StringIO(Path(download.value.path()).read_text(encoding="utf-8"))))
    assert rows[0][0] == "Grouped by"
    wsrs_row = next(
        r for r in rows if r[1] == KB.protocol["protocol.skinbooster-ha"].name.en and r[2] == "WSRS"
    )
    assert wsrs_row[4] == "4"
