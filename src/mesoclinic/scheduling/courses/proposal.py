"""Proposing a course's dates and times, and a proposal or booked course as placements."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from mesoclinic.accounts.models import Clinic
from mesoclinic.accounts.scope import Scope
from mesoclinic.core import planning as pl
from mesoclinic.scheduling.courses.problem import course_problem
from mesoclinic.scheduling.courses.state import course_state

RELAX_DAYS = 14


def _horizon(plan, start: dt.date, remaining: int) -> dt.date:
    return start + dt.timedelta(days=plan.interval_max_days * max(1, remaining) + RELAX_DAYS + 7)


def course_propose(
    *, scope: Scope, plan, today: dt.date, earliest: dt.date | None = None
) -> pl.Plan:
    """Propose dates and times for the plan's remaining sessions, from `earliest` on."""
    scope.require("schedule.book")
    if plan.organisation_id != scope.organisation_id:
        raise ValidationError(_("Unknown treatment plan."))
    clinic = Clinic.objects.get(pk=plan.clinic_id)
    state = course_state(plan=plan)
    start = max(
        filter(None, [today, earliest, plan.target_start if not state.sessions_done else None])
    )
    problem, course = course_problem(
        clinic=clinic,
        plan=plan,
        start=start,
        end=_horizon(plan, start, state.remaining),
        free=state.future,
    )
    return pl.propose_course(problem, course, max_relax_days=RELAX_DAYS)


@dataclass(frozen=True)
class SessionChoice:
    """One session as accepted (or adjusted) by the receptionist."""

    session_index: int
    starts_at: dt.datetime
    practitioner_id: int
    room_id: int | None = None
    device_id: int | None = None


def choices_from_plan(proposal: pl.Plan, clinic: Clinic) -> list[SessionChoice]:
    return [
        SessionChoice(
            session_index=p.session_index,
            starts_at=dt.datetime.combine(p.day, p.start, tzinfo=clinic.zone),
            practitioner_id=int(p.practitioner_id),
            room_id=int(p.room_id) if p.room_id else None,
            device_id=int(p.device_id) if p.device_id else None,
        )
        for p in proposal.placements
    ]


def course_placements(*, plan) -> list[pl.Placement]:
    """The plan's future appointments as planner placements (the 'before' of a re-plan)."""
    out = []
    for a in course_state(plan=plan).future:
        s, e = a.starts_at.astimezone(a.clinic.zone), a.ends_at.astimezone(a.clinic.zone)
        out.append(
            pl.Placement(
                course_id=str(plan.pk),
                session_index=a.session_number or 0,
                day=s.date(),
                start=s.time(),
                end=e.time(),
                practitioner_id=str(a.practitioner_id),
                room_id=str(a.room_id or ""),
                device_id=str(a.device_id) if a.device_id else None,
            )
        )
    return out
