"""Planning every unbooked course of a clinic at once (CP-SAT, with first-fit beside it).

Nothing here books: the result is a proposal, and each course is booked through
`course_book` when the receptionist accepts it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from mesoclinic.accounts.models import Clinic
from mesoclinic.accounts.scope import Scope
from mesoclinic.core import planning as pl
from mesoclinic.scheduling.courses import clinic_problem, course_state


@dataclass(frozen=True)
class ClinicPlanResult:
    """The CP-SAT proposal for a clinic's unbooked courses, with first-fit beside it."""

    plans: dict[int, object]
    cpsat: pl.Plan
    first_fit: pl.Plan
    bound: int
    total_sessions: int


def unbooked_plans(*, scope: Scope, clinic: Clinic):
    """Active plans of the clinic with sessions left and no future appointment booked."""
    from mesoclinic.consultations.models import TreatmentPlan

    plans = []
    for plan in TreatmentPlan.objects.filter(
        organisation_id=scope.organisation_id, clinic=clinic, status="active"
    ).select_related("patient"):
        state = course_state(plan=plan)
        if state.remaining and not state.future:
            plans.append(plan)
    return plans


def clinic_plan(
    *, scope: Scope, clinic: Clinic, today: dt.date, weeks: int = 16, time_limit_s: float = 30.0
) -> ClinicPlanResult:
    """Plan every unbooked course of the clinic over `weeks` with CP-SAT (and first-fit).

    Nothing is booked: the result is a proposal; each course is booked through
    `course_book` when the receptionist accepts it.
    """
    scope.require("schedule.book")
    if clinic.organisation_id != scope.organisation_id:
        raise ValidationError(_("Unknown clinic."))
    plans = unbooked_plans(scope=scope, clinic=clinic)
    problem = clinic_problem(
        clinic=clinic,
        plans=plans,
        start=today,
        end=today + dt.timedelta(weeks=weeks) - dt.timedelta(days=1),
    )
    return ClinicPlanResult(
        plans={p.pk: p for p in plans},
        cpsat=pl.plan_cpsat(problem, time_limit_s=time_limit_s, seed=0),
        first_fit=pl.plan_first_fit(problem),
        bound=pl.upper_bound(problem),
        total_sessions=sum(c.sessions_remaining for c in problem.courses),
    )
