"""A session day in a real browser: check-in, charting on the face map, signing, aftercare."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from mesoclinic.scheduling.models import Appointment
from tests.charting.factories import make_product, receive
from tests.conftest import PASSWORD
from tests.e2e.conftest import chart_ready, login


@pytest.fixture
def today_appointment(world, active_plan):
    """The active plan's first session booked for today (the real clock: the live server's)."""
    zone = world.clinic.zone
    today = timezone.now().astimezone(zone).date()
    start = dt.datetime.combine(today, dt.time(0, 30), tzinfo=zone)
    product = make_product(world)
    lot = receive(world, product, number="E2E-LOT", ml="60")
    appointment = Appointment.objects.create(
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
    return appointment, lot


def _check_in(page, live_server, appointment, *, yes=()):
    page.goto(f"{live_server.url}/sessions/")
    row = page.locator(f'[data-testid=day-row][data-appointment="{appointment.pk}"]')
    expect(row).to_contain_text("session 1 of 6")
    row.get_by_test_id("start").click()
    expect(page.get_by_test_id("checkin-form")).to_be_visible()
    for question in page.locator("[data-question]").all():
        qid = question.get_attribute("data-question")
        question.get_by_label("Yes" if qid in yes else "No", exact=True).check()
    page.get_by_test_id("checkin-submit").click()


def test_a_temporary_contraindication_at_check_in_postpones_the_session(
    page, live_server, world, today_appointment
):
    appointment, _lot = today_appointment
    login(page, live_server, world.users["practitioner"].username, PASSWORD)
    _check_in(page, live_server, appointment, yes={"vq.menstruation"})
    screening = page.get_by_test_id("checkin-screening")
    expect(screening).to_have_attribute("data-level", "postpone")
    expect(screening.locator('li[data-rule="ci.menstruation"]')).to_be_visible()
    expect(page.get_by_test_id("open-chart")).to_have_count(0)
    page.get_by_test_id("postpone").click()
    expect(page.get_by_test_id("postponed")).to_be_visible()
    expect(page.get_by_test_id("replan")).to_have_attribute(
        "href", re.compile(rf"/schedule/courses/{appointment.plan_id}/replan/")
    )
    appointment.refresh_from_db()
    assert appointment.status == "postponed"
    assert appointment.status_reason


def _pdf_text(page, url: str) -> str:
    from pypdf import PdfReader

    response = page.request.get(url)
    assert response.headers["content-type"] == "application/pdf"
    return "".join(p.extract_text() for p in PdfReader(io.BytesIO(response.body())).pages)


def test_a_full_session_from_check_in_to_addendum(page, live_server, world, today_appointment):
    appointment, _lot = today_appointment
    login(page, live_server, world.users["practitioner"].username, PASSWORD)
    _check_in(page, live_server, appointment)
    expect(page.get_by_test_id("checkin-screening")).not_to_have_attribute("data-level", "block")
    page.get_by_test_id("open-chart").click()

    chart_ready(page)
    face = page.locator('[data-map="face"]')
    for zone in ("zone.cheeks", "zone.forehead", "zone.perioral"):
        face.locator(f'[data-zone="{zone}"] ellipse').first.click()
    rows = page.get_by_test_id("chart-row")
    expect(rows).to_have_count(3)
    for i in range(3):
        rows.nth(i).get_by_label("Depth (mm)").fill("1")
        rows.nth(i).get_by_label("Volume (mL)").fill("8")
    totals = page.get_by_test_id("totals")
    expect(page.get_by_test_id("session-total")).to_contain_text("24 mL")
    expect(page.get_by_test_id("chart-blocked")).to_contain_text("20")
    page.get_by_test_id("chart-save").click()
    expect(page.get_by_test_id("chart-errors")).to_contain_text("20")

    rows = page.get_by_test_id("chart-row")
    expect(rows).to_have_count(3)
    for i in range(3):
        rows.nth(i).get_by_label("Volume (mL)").fill("2")
    expect(page.get_by_test_id("session-total")).to_contain_text("6 mL")
    expect(totals).to_have_attribute("data-ok", "1")
    page.get_by_test_id("chart-save").click()
    expect(page.get_by_test_id("entry")).to_have_count(3)
    page.get_by_test_id("sign").click()
    expect(page.get_by_test_id("signed")).to_be_visible()
    expect(page.get_by_test_id("next-session")).to_contain_text("Between")

    session_url = page.url
    session_id = re.search(r"/sessions/(\d+)/", session_url).group(1)
    english = _pdf_text(page, f"{live_server.url}/sessions/{session_id}/aftercare.pdf?lang=en")
    assert "No decorative cosmetics on the treated area" in english
    assert "Hair washing" not in english  # no scalp charted
    russian = _pdf_text(page, f"{live_server.url}/sessions/{session_id}/aftercare.pdf?lang=ru")
    assert "Без декоративной косметики" in russian

    # The signed chart cannot be edited: the chart page sends back to the record, a
    # forced POST is refused, and the database keeps the entries.
    page.goto(f"{live_server.url}/sessions/{session_id}/chart/")
    expect(page).to_have_url(re.compile(rf"/sessions/{session_id}/$"))
    expect(page.get_by_test_id("open-chart")).to_have_count(0)
    page.get_by_label("Addendum").fill("Perioral depth was 0.8 mm, not 1 mm.")
    page.get_by_test_id("addendum-submit").click()
    expect(page.get_by_test_id("addendum")).to_contain_text("Perioral depth was 0.8 mm")
    expect(page.get_by_test_id("entry")).to_have_count(3)
