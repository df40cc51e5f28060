"""course_propose / course_book / course_replan_apply: whole courses, all or nothing."""

from __future__ import annotations

import datetime as dt
from itertools import pairwise

import pytest
from django.core.exceptions import ValidationError

from mesoclinic.scheduling.courses import (
    SessionChoice,
    choices_from_plan,
    course_book,
    course_propose,
    course_replan_apply,
)
from mesoclinic.scheduling.models import Appointment
from mesoclinic.scheduling.services import appointment_status_set
from tests.scheduling.conftest import MONDAY, record_signed_session

TODAY = dt.date(2026, 11, 23)


def local_days(appointments):
    return [a.starts_at.astimezone(a.clinic.zone).date() for a in appointments]


def test_a_six_session_course_is_proposed_inside_its_windows(world, active_plan):
    proposal = course_propose(scope=world.scope("receptionist"), plan=active_plan, today=TODAY)
    assert [p.session_index for p in proposal.placements] == [1, 2, 3, 4, 5, 6]
    assert not proposal.unplaced
    days = [p.day for p in proposal.placements]
    assert days[0] >= dt.date.fromisoformat(MONDAY)
    gaps = [(b - a).days for a, b in pairwise(days)]
    assert all(7 <= g <= 10 for g in gaps), gaps
    # Same practitioner as the plan's, every time.
    assert {p.practitioner_id for p in proposal.placements} == {str(active_plan.practitioner_id)}


def test_booking_the_proposal_creates_all_appointments(world, active_plan):
    scope = world.scope("receptionist")
    proposal = course_propose(scope=scope, plan=active_plan, today=TODAY)
    booked = course_book(
        scope=scope, plan=active_plan, sessions=choices_from_plan(proposal, world.clinic)
    )
    assert [a.session_number for a in booked] == [1, 2, 3, 4, 5, 6]
    assert all(a.plan_id == active_plan.pk for a in booked)


def test_an_adjusted_session_below_the_minimum_interval_books_nothing(world, active_plan):
    scope = world.scope("receptionist")
    proposal = course_propose(scope=scope, plan=active_plan, today=TODAY)
    choices = choices_from_plan(proposal, world.clinic)
    too_soon = choices[0].starts_at + dt.timedelta(days=3)
    choices[1] = SessionChoice(2, too_soon, choices[1].practitioner_id)
    with pytest.raises(ValidationError) as exc:
        course_book(scope=scope, plan=active_plan, sessions=choices)
    assert "at least 7" in " ".join(exc.value.messages)
    assert not Appointment.objects.filter(plan_id=active_plan.pk).exists()


def test_a_clash_in_one_session_books_none_of_them(world, active_plan, patient_of):
    from mesoclinic.scheduling.services import appointment_book

    scope = world.scope("receptionist")
    proposal = course_propose(scope=scope, plan=active_plan, today=TODAY)
    choices = choices_from_plan(proposal, world.clinic)
    # Someone takes session 4's slot after the proposal was made.
    appointment_book(
        scope=scope,
        patient=patient_of(world, family="Intruder"),
        practitioner=world.users["practitioner"],
        starts_at=choices[3].starts_at,
        duration_min=30,
        technique_id="technique.nappage",
    )
    with pytest.raises(ValidationError) as exc:
        course_book(scope=scope, plan=active_plan, sessions=choices)
    assert "Session 4" in " ".join(exc.value.messages)
    assert not Appointment.objects.filter(plan_id=active_plan.pk).exists()


def test_a_draft_plan_cannot_be_booked(world, active_plan):
    active_plan.status = "draft"
    active_plan.save(update_fields=["status"])
    with pytest.raises(ValidationError):
        course_book(scope=world.scope("receptionist"), plan=active_plan, sessions=[])


def test_postponed_session_replans_the_rest_within_windows(world, active_plan):
    scope = world.scope("receptionist")
    proposal = course_propose(scope=scope, plan=active_plan, today=TODAY)
    booked = course_book(
        scope=scope, plan=active_plan, sessions=choices_from_plan(proposal, world.clinic)
    )
    first, second = booked[0], booked[1]
    record_signed_session(world, active_plan, first)
    second.refresh_from_db()
    appointment_status_set(
        scope=scope,
        appointment=second,
        status="postponed",
        expected_version=second.version,
        reason="menstruation (temporary contraindication)",
    )
    postponed_day = local_days([second])[0]
    earliest = postponed_day + dt.timedelta(days=2)
    replan = course_propose(scope=scope, plan=active_plan, today=TODAY, earliest=earliest)
    assert [p.session_index for p in replan.placements] == [2, 3, 4, 5, 6]
    done_day = local_days([first])[0]
    days = [done_day] + [p.day for p in replan.placements]
    assert replan.placements[0].day >= earliest
    gaps = [(b - a).days for a, b in pairwise(days)]
    assert all(7 <= g <= 10 for g in gaps), gaps
    new = course_replan_apply(
        scope=scope, plan=active_plan, sessions=choices_from_plan(replan, world.clinic)
    )
    assert [a.session_number for a in new] == [2, 3, 4, 5, 6]
    live = Appointment.objects.filter(plan_id=active_plan.pk, status__in=["booked", "confirmed"])
    assert live.count() == 5
    assert set(live) == set(new)
