"""In Chromium: session 2 is postponed at check-in (menstruation) and the rest of the
course is re-planned inside its windows from the link on the postponed session."""

from __future__ import annotations

import datetime as dt
from itertools import pairwise

from django.utils import timezone
from playwright.sync_api import expect

from mesoclinic.scheduling.models import Appointment
from tests.conftest import PASSWORD
from tests.e2e.conftest import login
from tests.scheduling.conftest import record_signed_session


def _appointment(world, plan, day: dt.date, number: int, status: str = "booked"):
    start = dt.datetime.combine(day, dt.time(11, 0), tzinfo=world.clinic.zone)
    return Appointment.objects.create(
        organisation=world.organisation,
        clinic=world.clinic,
        patient=plan.patient,
        practitioner=world.users["practitioner"],
        room=world.clinic.rooms.first(),
        starts_at=start,
        ends_at=start + dt.timedelta(minutes=30),
        status=status,
        technique_id="technique.nappage",
        plan_id=plan.pk,
        session_number=number,
        created_by=world.users["receptionist"],
    )


def test_postponed_at_check_in_then_the_rest_of_the_course_is_replanned(
    page, live_server, world, active_plan
):
    zone = world.clinic.zone
    today = timezone.now().astimezone(zone).date()
    first = _appointment(world, active_plan, today - dt.timedelta(days=7), 1)
    record_signed_session(world, active_plan, first)
    second = _appointment(world, active_plan, today, 2)
    for n in range(3, 7):
        _appointment(world, active_plan, today + dt.timedelta(days=7 * (n - 2)), n)

    login(page, live_server, world.users["practitioner"].username, PASSWORD)
    page.goto(f"{live_server.url}/sessions/")
    row = page.locator(f'[data-testid=day-row][data-appointment="{second.pk}"]')
    row.get_by_test_id("start").click()
    # locator.all() does not wait: be on the check-in page before listing its questions.
    expect(page.get_by_test_id("checkin-form")).to_be_visible()
    for question in page.locator("[data-question]").all():
        answer = "Yes" if question.get_attribute("data-question") == "vq.menstruation" else "No"
        question.get_by_label(answer, exact=True).check()
    page.get_by_test_id("checkin-submit").click()
    expect(page.get_by_test_id("checkin-screening")).to_have_attribute("data-level", "postpone")
    page.get_by_test_id("postpone").click()
    expect(page.get_by_test_id("postponed")).to_be_visible()

    page.get_by_test_id("replan").click()
    expect(page.get_by_test_id("changes")).to_be_visible()
    expect(page.get_by_test_id("proposal").locator("tbody tr")).to_have_count(5)
    page.get_by_test_id("book-course").click()
    expect(page.locator(".messages")).to_contain_text("5 sessions booked")

    second.refresh_from_db()
    assert second.status == "postponed"
    live = list(
        Appointment.objects.filter(plan_id=active_plan.pk, status="booked").order_by("starts_at")
    )
    assert [a.session_number for a in live] == [2, 3, 4, 5, 6]
    days = [first.starts_at.astimezone(zone).date()] + [
        a.starts_at.astimezone(zone).date() for a in live
    ]
    assert days[1] > today, "the postponed session is not re-booked the same day"
    assert all(7 <= (b - a).days <= 10 for a, b in pairwise(days)), days
