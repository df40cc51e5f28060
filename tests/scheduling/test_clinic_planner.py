"""The clinic planner over real plans: a valid CP-SAT proposal, bookable from the page."""

from __future__ import annotations

import datetime as dt

from mesoclinic.core import planning as pl
from mesoclinic.scheduling.clinic_plans import clinic_plan, unbooked_plans
from mesoclinic.scheduling.courses import clinic_problem

TODAY = dt.date(2026, 11, 23)


def test_clinic_plan_places_every_session_of_the_waiting_course_validly(world, active_plan):
    scope = world.scope("receptionist")
    result = clinic_plan(scope=scope, clinic=world.clinic, today=TODAY, weeks=12, time_limit_s=5)
    assert list(result.plans) == [active_plan.pk]
    assert len(result.cpsat.placements) == 6 == result.total_sessions
    problem = clinic_problem(
        clinic=world.clinic,
        plans=[active_plan],
        start=TODAY,
        end=TODAY + dt.timedelta(weeks=12, days=-1),
    )
    assert pl.plan_violations(problem, result.cpsat) == []
    assert len(result.cpsat.placements) >= len(result.first_fit.placements)


def test_a_booked_course_is_no_longer_waiting(world, active_plan):
    from mesoclinic.scheduling.courses import choices_from_plan, course_book, course_propose

    scope = world.scope("receptionist")
    proposal = course_propose(scope=scope, plan=active_plan, today=TODAY)
    course_book(scope=scope, plan=active_plan, sessions=choices_from_plan(proposal, world.clinic))
    assert unbooked_plans(scope=scope, clinic=world.clinic) == []
