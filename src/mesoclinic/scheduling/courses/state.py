"""Where a course stands: signed sessions, future appointments, what is left to book."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from mesoclinic.accounts.scope import Scope
from mesoclinic.core.knowledge import load_knowledge
from mesoclinic.scheduling.models import Appointment, AppointmentStatus

DEFAULT_SESSION_MINUTES = 45


@dataclass(frozen=True)
class CourseState:
    """Where a plan's course stands: signed sessions and the future appointments it holds."""

    sessions_total: int
    sessions_done: int
    last_done: dt.date | None
    future: tuple[Appointment, ...]

    @property
    def remaining(self) -> int:
        return max(0, self.sessions_total - self.sessions_done)

    @property
    def unbooked(self) -> int:
        """Sessions neither signed nor held by a future appointment."""
        return max(0, self.remaining - len(self.future))


def course_state(*, plan) -> CourseState:
    """The course of `plan` as the clinical record has it.

    A session counts as done when its chart is signed, whatever any appointment's
    status says: a status is set at the desk, a signature only by the practitioner.
    """
    from mesoclinic.charting.models import SessionStatus, TreatmentSession

    signed_days = list(
        TreatmentSession.objects.filter(plan_id=plan.pk, status=SessionStatus.SIGNED).values_list(
            "session_date", flat=True
        )
    )
    future = tuple(
        Appointment.objects.filter(
            plan_id=plan.pk,
            status__in=(
                AppointmentStatus.BOOKED,
                AppointmentStatus.CONFIRMED,
                AppointmentStatus.ARRIVED,
            ),
        )
        .select_related("clinic")
        .order_by("starts_at")
    )
    return CourseState(plan.sessions, len(signed_days), max(signed_days, default=None), future)


def _session_minutes(plan) -> int:
    protocol = load_knowledge().protocol.get(plan.protocol_id) if plan.protocol_id else None
    minutes = getattr(protocol, "session_minutes", None) or DEFAULT_SESSION_MINUTES
    return max(15, int(minutes))


def _previous_practitioner(plan) -> str | None:
    """Who gave the course's latest session that took place."""
    last = (
        Appointment.objects.filter(
            plan_id=plan.pk, status__in=(AppointmentStatus.DONE, AppointmentStatus.ARRIVED)
        )
        .order_by("-starts_at")
        .values_list("practitioner_id", flat=True)
        .first()
    )
    return str(last) if last else None


def patient_courses_to_book(*, scope: Scope, patient) -> list[tuple[object, CourseState]]:
    """The patient's active plans with sessions neither signed nor booked, and their state."""
    from mesoclinic.consultations.models import TreatmentPlan

    if not scope.can("schedule.book"):
        return []
    out = []
    for plan in TreatmentPlan.objects.filter(
        organisation_id=scope.organisation_id, patient=patient, status="active"
    ).order_by("pk"):
        state = course_state(plan=plan)
        if state.unbooked:
            out.append((plan, state))
    return out
