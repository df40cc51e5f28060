"""In Chromium: book a 6-session course in one step, postpone session 2, re-plan the rest."""

from __future__ import annotations

from itertools import pairwise

from playwright.sync_api import expect

from mesoclinic.scheduling.models import Appointment
from tests.conftest import PASSWORD
from tests.e2e.conftest import login
from tests.scheduling.conftest import record_signed_session


def test_book_a_course_postpone_session_two_and_replan(page, live_server, world, active_plan):
    login(page, live_server, world.users["receptionist"].username, PASSWORD)
    expect(page.get_by_test_id("who")).to_be_visible()

    page.goto(f"{live_server.url}/schedule/courses/{active_plan.pk}/")
    proposal = page.get_by_test_id("proposal")
    expect(proposal.locator("tbody tr")).to_have_count(6)
    page.get_by_test_id("book-course").click()
    expect(page.get_by_role("status").or_(page.locator(".messages"))).to_contain_text(
        "6 sessions booked"
    )
    booked = list(Appointment.objects.filter(plan_id=active_plan.pk).order_by("starts_at"))
    assert [a.session_number for a in booked] == [1, 2, 3, 4, 5, 6]

    # Session 1 takes place (the practitioner signs its chart); at session 2 the patient
    # has a temporary contraindication.
    first, second = booked[0], booked[1]
    page.goto(f"{live_server.url}/schedule/appointments/{first.pk}/")
    page.get_by_role("button", name="Arrived").click()
    expect(page.get_by_test_id("appt-status")).to_contain_text("Arrived")
    # The desk cannot mark a course session done: only a signed session counts.
    expect(page.get_by_role("button", name="Done")).to_have_count(0)
    record_signed_session(world, active_plan, first)
    page.reload()
    expect(page.get_by_test_id("appt-status")).to_contain_text("Done")

    page.goto(f"{live_server.url}/schedule/appointments/{second.pk}/")
    page.get_by_label("Reason").fill("Menstruation: temporary contraindication")
    page.get_by_role("button", name="Postponed").click()
    expect(page.get_by_test_id("appt-status")).to_contain_text("Postponed")

    page.get_by_test_id("replan").click()
    changes = page.get_by_test_id("changes")
    expect(changes).to_be_visible()
    expect(page.get_by_test_id("proposal").locator("tbody tr")).to_have_count(5)
    page.get_by_test_id("book-course").click()
    expect(page.locator(".messages")).to_contain_text("5 sessions booked")

    live = list(
        Appointment.objects.filter(plan_id=active_plan.pk, status="booked").order_by("starts_at")
    )
    assert [a.session_number for a in live] == [2, 3, 4, 5, 6]
    zone = world.clinic.zone
    days = [first.starts_at.astimezone(zone).date()] + [
        a.starts_at.astimezone(zone).date() for a in live
    ]
    gaps = [(b - a).days for a, b in pairwise(days)]
    assert all(7 <= g <= 10 for g in gaps), gaps
    assert live[0].starts_at.astimezone(zone).date() > second.starts_at.astimezone(zone).date()

    # The patient's schedule page shows the history: done, postponed, re-planned, booked.
    page.goto(f"{live_server.url}/schedule/patients/{active_plan.patient_id}/")
    table = page.locator("table.list tbody")
    expect(table.locator("tr")).to_have_count(
        Appointment.objects.filter(plan_id=active_plan.pk).count()
    )
    for status in ("Done", "Postponed", "Cancelled", "Booked"):
        expect(table).to_contain_text(status)
