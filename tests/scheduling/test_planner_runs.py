"""The clinic planner as the desk uses it: a background run, its result, book all, undo."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from mesoclinic.audit.models import AuditEvent
from mesoclinic.core import planning as pl
from mesoclinic.scheduling.courses import clinic_problem
from mesoclinic.scheduling.models import (
    Appointment,
    PlannerBooking,
    PlannerRun,
    PlannerRunStatus,
)
from mesoclinic.scheduling.planner_runs import (
    planner_booking_undo,
    planner_run_book,
    planner_run_cancel,
    planner_run_execute,
    planner_run_start,
)
from tests.scheduling.conftest import MOSCOW
from tests.scheduling.planner_helpers import waiting_course

# 23:30 in Moscow on Sunday 29 November: the clinic's tomorrow is Monday 30 November,
# although it is still the 29th in UTC (20:30).
NOW = dt.datetime(2026, 11, 29, 23, 30, tzinfo=MOSCOW)


@pytest.fixture(autouse=True)
def _short_search(settings):
    """A few seconds of search are plenty for a handful of courses."""
    settings.PLANNER_TIME_LIMIT_S = 3


def _client(world, role="receptionist") -> Client:
    client = Client()
    client.force_login(world.users[role])
    return client


def test_the_page_starts_a_run_in_the_background_and_the_result_speaks_the_clinics_language(
    world, active_plan
):
    client = _client(world)
    assert "1 course is waiting to be booked" in client.get("/schedule/planner/").content.decode()
    response = client.post("/schedule/planner/")
    run = PlannerRun.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/schedule/planner/runs/{run.pk}/"
    # The immediate task backend used in tests has already planned it.
    assert run.status == PlannerRunStatus.DONE and run.percent == 100
    assert run.created_by == world.users["receptionist"] and run.clinic == world.clinic
    page = client.get(response["Location"]).content.decode()
    assert "6 of 6 sessions fit." in page
    assert "1 course can be booked in full." in page
    assert "Course Patient" in page
    for jargon in ("CP-SAT", "Upper bound", "upper bound", "Time (s)", "solver"):
        assert jargon not in page
    assert AuditEvent.objects.filter(
        action="read", patient_id=active_plan.patient_id, actor=world.users["receptionist"]
    ).exists()


def test_the_plan_starts_on_the_clinics_own_tomorrow_and_stays_valid(world, active_plan):
    run = planner_run_start(scope=world.scope("receptionist"), clinic=world.clinic, now=NOW)
    run.refresh_from_db()
    assert run.first_day == dt.date(2026, 11, 30)
    days = sorted(p["day"] for p in run.result["placements"])
    assert days and days[0] >= "2026-11-30"
    problem = clinic_problem(
        clinic=world.clinic, plans=[active_plan], start=run.first_day, end=run.last_day
    )
    placements = tuple(
        pl.Placement(
            course_id=str(p["course"]),
            session_index=p["index"],
            day=dt.date.fromisoformat(p["day"]),
            start=dt.time.fromisoformat(p["start"]),
            end=dt.time.fromisoformat(p["end"]),
            practitioner_id=str(p["practitioner"]),
            room_id=str(p["room"]) if p["room"] else "",
            device_id=str(p["device"]) if p["device"] else None,
        )
        for p in run.result["placements"]
    )
    assert pl.plan_violations(problem, pl.Plan(placements, (), "stored")) == []


def test_the_progress_fragment_polls_until_done_then_reloads(world, active_plan):
    client = _client(world)
    run = PlannerRun.objects.create(
        organisation=world.organisation,
        clinic=world.clinic,
        created_by=world.users["receptionist"],
        first_day=dt.date(2026, 11, 30),
        last_day=dt.date(2027, 3, 21),
        status=PlannerRunStatus.RUNNING,
        percent=40,
        placed=3,
    )
    # A second click while it plans follows the same run.
    again = client.post("/schedule/planner/")
    assert again["Location"] == f"/schedule/planner/runs/{run.pk}/"
    assert PlannerRun.objects.count() == 1
    fragment = client.get(f"/schedule/planner/runs/{run.pk}/", HTTP_HX_REQUEST="true")
    assert 'hx-trigger="every 1s"' in fragment.content.decode()
    assert 'value="40"' in fragment.content.decode()
    assert "3 sessions fit so far" in fragment.content.decode()
    assert "HX-Refresh" not in fragment
    PlannerRun.objects.filter(pk=run.pk).update(status=PlannerRunStatus.DONE, percent=100)
    fragment = client.get(f"/schedule/planner/runs/{run.pk}/", HTTP_HX_REQUEST="true")
    assert fragment["HX-Refresh"] == "true"
    assert "hx-trigger" not in fragment.content.decode()


def test_a_cancelled_queued_run_never_starts_and_a_running_one_is_asked_to_stop(world):
    scope = world.scope("receptionist")
    run = PlannerRun.objects.create(
        organisation=world.organisation,
        clinic=world.clinic,
        created_by=world.users["receptionist"],
        first_day=dt.date(2026, 11, 30),
        last_day=dt.date(2027, 3, 21),
    )
    _client(world).post(f"/schedule/planner/runs/{run.pk}/", {"action": "cancel"})
    run.refresh_from_db()
    assert run.status == PlannerRunStatus.CANCELLED and run.cancel_requested
    planner_run_execute(run.pk)
    run.refresh_from_db()
    assert run.status == PlannerRunStatus.CANCELLED and run.result == {}
    page = _client(world).get(f"/schedule/planner/runs/{run.pk}/").content.decode()
    assert "before it started: nothing was planned" in page

    running = PlannerRun.objects.create(
        organisation=world.organisation,
        clinic=world.clinic,
        created_by=world.users["receptionist"],
        first_day=dt.date(2026, 11, 30),
        last_day=dt.date(2027, 3, 21),
        status=PlannerRunStatus.RUNNING,
    )
    planner_run_cancel(scope=scope, run=running)
    running.refresh_from_db()
    assert running.cancel_requested and running.status == PlannerRunStatus.RUNNING


def test_a_run_whose_user_may_no_longer_book_fails_and_says_so(world, active_plan):
    nurse = world.users["nurse"]
    nurse.is_active = False
    nurse.save(update_fields=["is_active"])
    run = PlannerRun.objects.create(
        organisation=world.organisation,
        clinic=world.clinic,
        created_by=world.users["nurse"],
        first_day=dt.date(2026, 11, 30),
        last_day=dt.date(2027, 3, 21),
    )
    planner_run_execute(run.pk)
    run.refresh_from_db()
    assert run.status == PlannerRunStatus.FAILED and run.error
    page = _client(world).get(f"/schedule/planner/runs/{run.pk}/").content.decode()
    assert "could not finish" in page and run.error not in page


def test_book_all_books_every_course_and_undo_cancels_exactly_those(world, active_plan, patient_of):
    other = waiting_course(world, patient_of, family="Second")
    client = _client(world)
    client.post("/schedule/planner/")
    run = PlannerRun.objects.get()
    # Booked before the planner's proposal is booked: untouched by the undo.
    earlier = Appointment.objects.create(
        organisation=world.organisation,
        clinic=world.clinic,
        patient=other.patient,
        practitioner=world.users["practitioner"],
        starts_at=dt.datetime(2027, 5, 3, 10, 0, tzinfo=MOSCOW),
        ends_at=dt.datetime(2027, 5, 3, 10, 45, tzinfo=MOSCOW),
        created_by=world.users["receptionist"],
    )
    response = client.post(f"/schedule/planner/runs/{run.pk}/book/", {"action": "all"})
    booking = PlannerBooking.objects.get()
    assert response["Location"] == f"/schedule/planner/bookings/{booking.pk}/"
    booked = Appointment.objects.filter(pk__in=booking.appointment_ids, status="booked")
    assert booked.count() == 9 == len(booking.appointment_ids)
    assert {a.plan_id for a in booked} == {active_plan.pk, other.pk}
    page = client.get(response["Location"]).content.decode()
    assert "9 sessions booked by" in page and "Course Patient" in page

    client.post(response["Location"], {"action": "undo"})
    assert not Appointment.objects.filter(pk__in=booking.appointment_ids, status="booked").exists()
    earlier.refresh_from_db()
    assert earlier.status == "booked"
    booking.refresh_from_db()
    assert booking.undone_by == world.users["receptionist"] and booking.undone_at
    assert (
        AuditEvent.objects.filter(
            action="update",
            actor=world.users["receptionist"],
            object_id__in=[str(pk) for pk in booking.appointment_ids],
        ).count()
        == 9
    )
    assert "Undone by" in client.get(response["Location"]).content.decode()


def test_book_the_ticked_courses_books_only_those(world, active_plan, patient_of):
    other = waiting_course(world, patient_of, family="Second")
    client = _client(world)
    client.post("/schedule/planner/")
    run = PlannerRun.objects.get()
    client.post(
        f"/schedule/planner/runs/{run.pk}/book/", {"action": "selected", "course": [other.pk]}
    )
    assert set(Appointment.objects.values_list("plan_id", flat=True)) == {other.pk}


def test_each_course_is_checked_again_and_one_that_no_longer_fits_is_reported(
    world, active_plan, patient_of
):
    other = waiting_course(world, patient_of, family="Second")
    scope = world.scope("receptionist")
    run = planner_run_start(scope=scope, clinic=world.clinic, now=NOW)
    run.refresh_from_db()
    first = next(
        p for p in run.result["placements"] if p["course"] == active_plan.pk and p["index"] == 1
    )
    # Meanwhile the practitioner is booked at the proposed time of that session.
    start = dt.datetime.combine(
        dt.date.fromisoformat(first["day"]), dt.time.fromisoformat(first["start"]), tzinfo=MOSCOW
    )
    walk_in = patient_of(world, family="Walkin", given="Late", born="1990-01-01")
    Appointment.objects.create(
        organisation=world.organisation,
        clinic=world.clinic,
        patient=walk_in,
        practitioner=world.users["practitioner"],
        starts_at=start,
        ends_at=start + dt.timedelta(minutes=30),
        created_by=world.users["receptionist"],
    )
    booking = planner_run_book(scope=scope, run=run, now=NOW)
    report = {r["plan"]: r for r in booking.report}
    assert report[active_plan.pk]["booked"] == 0 and report[active_plan.pk]["problems"]
    assert report[other.pk]["booked"] == 3
    assert not Appointment.objects.filter(plan_id=active_plan.pk).exists()
    page = _client(world).get(f"/schedule/planner/bookings/{booking.pk}/").content.decode()
    assert "Not booked" in page and "Course Patient" in page


def test_undo_is_refused_once_a_patient_has_arrived(world, active_plan):
    from mesoclinic.scheduling.services import appointment_status_set

    scope = world.scope("receptionist")
    run = planner_run_start(scope=scope, clinic=world.clinic, now=NOW)
    booking = planner_run_book(scope=scope, run=run, now=NOW)
    first = Appointment.objects.filter(pk__in=booking.appointment_ids).order_by("starts_at")[0]
    appointment_status_set(
        scope=scope, appointment=first, status="arrived", expected_version=first.version
    )
    with pytest.raises(ValidationError, match="nothing was undone"):
        planner_booking_undo(scope=scope, booking=booking)
    assert Appointment.objects.filter(pk__in=booking.appointment_ids, status="booked").count() == 5


def test_booking_a_run_twice_books_nothing_twice(world, active_plan):
    scope = world.scope("receptionist")
    run = planner_run_start(scope=scope, clinic=world.clinic, now=NOW)
    planner_run_book(scope=scope, run=run, now=NOW)
    second = planner_run_book(scope=scope, run=run, now=NOW)
    assert second.appointment_ids == [] and second.report[0]["problems"]
    assert Appointment.objects.filter(plan_id=active_plan.pk).count() == 6


def test_staff_of_another_clinic_cannot_see_or_book_a_run(world, active_plan):
    run = planner_run_start(scope=world.scope("receptionist"), clinic=world.clinic, now=NOW)
    elsewhere = _client(world, "london_practitioner")
    assert elsewhere.get(f"/schedule/planner/runs/{run.pk}/").status_code == 404
    response = elsewhere.post(f"/schedule/planner/runs/{run.pk}/book/", {"action": "all"})
    assert response.status_code == 404
    assert not Appointment.objects.exists()


def test_the_result_in_russian_shows_no_internal_words(world, active_plan, patient_of):
    from mesoclinic.accounts.services import user_language_set
    from tests.pdf_text import internal_words
    from tests.test_no_internal_words import visible_text

    # A course that cannot start inside the period: its sessions are explained.
    late = waiting_course(world, patient_of, family="Later", sessions=4)
    late.target_start = dt.date(2027, 3, 15)
    late.save(update_fields=["target_start"])
    user_language_set(user=world.users["receptionist"], language="ru")
    run = planner_run_start(scope=world.scope("receptionist"), clinic=world.clinic, now=NOW)
    text = visible_text(_client(world).get(f"/schedule/planner/runs/{run.pk}/").content.decode())
    assert "Помещается" in text and "не успева" in text
    assert internal_words(text) == []
    for jargon in ("CP-SAT", "cpsat", "bound", "граница"):
        assert jargon not in text
    # Dates as the clinic writes them (01.12.2026), never as stored (2026-12-01).
    assert re.search(r"\b\d{2}[./]\d{2}[./]\d{4} \d{2}:\d{2}\b", text), text[-600:]
    assert not re.search(r"\b\d{4}-\d{2}-\d{2}\b", text)


def test_the_result_page_writes_one_audit_event_listing_its_patients(
    world, active_plan, patient_of
):
    other = waiting_course(world, patient_of, family="Second")
    client = _client(world)
    response = client.post("/schedule/planner/")
    before = AuditEvent.objects.filter(action="read", detail__view="planner").count()
    client.get(response["Location"])
    events = AuditEvent.objects.filter(action="read", detail__view="planner")
    assert events.count() == before + 1
    event = events.order_by("-pk").first()
    assert event.detail["patients"] == sorted({active_plan.patient_id, other.patient_id})
