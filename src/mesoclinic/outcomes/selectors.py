"""Reads of outcomes: a patient's scores and charts, follow-ups due, and the protocol report.

Every read starts from the caller's scope and is narrowed to the user's clinics; the
report counts only the organisation's own data.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Count, Exists, F, Max, OuterRef, Q, QuerySet

from mesoclinic.accounts.scope import Scope, in_my_clinics, scoped
from mesoclinic.charting.models import SessionStatus, TreatmentSession
from mesoclinic.consultations.engine import kb as knowledge
from mesoclinic.consultations.models import PlanStatus, TreatmentPlan
from mesoclinic.core.outcomes import Chart, chart_geometry
from mesoclinic.core.screening import add_months
from mesoclinic.outcomes.models import OutcomeScore, Timepoint
from mesoclinic.patients.models import Patient

# The six-month maintenance visit (web.selectors.reception.MAINTENANCE_MONTHS is the same recall).
MAINTENANCE_MONTHS = 6
# A follow-up still undone this long after it fell due stops being listed.
FOLLOW_UP_WINDOW_MONTHS = 6


def patient_scores(*, scope: Scope, patient: Patient) -> QuerySet[OutcomeScore]:
    """The patient's scores in the user's clinics, oldest first."""
    return in_my_clinics(
        scoped(OutcomeScore, scope, permission="patients.view_clinical").filter(patient=patient),
        scope,
    ).select_related("recorded_by", "session")


def session_scores(*, scope: Scope, session: TreatmentSession) -> QuerySet[OutcomeScore]:
    """Scores given at (or recorded from) one session."""
    return scoped(OutcomeScore, scope, permission="patients.view_clinical").filter(session=session)


@dataclass
class ScoreChart:
    """One scale in one zone over time, with the patient's sessions marked."""

    scale_id: str
    zone_id: str
    title: str
    chart: Chart


def patient_charts(
    *, scope: Scope, patient: Patient, language: str, scores=None
) -> list[ScoreChart]:
    """A chart per (scale, zone) the patient has scores for, sessions marked by number."""
    kb = knowledge()
    scores = list(scores if scores is not None else patient_scores(scope=scope, patient=patient))
    series: dict[tuple[str, str], list[tuple[dt.date, int]]] = defaultdict(list)
    for s in scores:
        series[(s.scale_id, s.zone_id)].append((s.scored_on, s.score))
    if not series:
        return []
    sessions = [
        (day, str(number))
        for day, number in in_my_clinics(
            scoped(TreatmentSession, scope).filter(patient=patient, status=SessionStatus.SIGNED),
            scope,
        )
        .order_by("session_date")
        .values_list("session_date", "session_number")
    ]
    charts = []
    for (scale_id, zone_id), points in sorted(series.items()):
        scale = kb.scale.get(scale_id)
        if scale is None:
            continue
        title = scale.short.get(language)
        if zone_id and zone_id in kb.zone:
            title = f"{title} — {kb.zone[zone_id].name.get(language)}"
        charts.append(
            ScoreChart(
                scale_id,
                zone_id,
                title,
                chart_geometry(scale=scale, points=points, sessions=sessions),
            )
        )
    return charts


# --- Follow-up tasks --------------------------------------------------------------------


@dataclass(frozen=True)
class FollowUp:
    """A course whose end (or six-month maintenance) asks for photos and scores."""

    plan: TreatmentPlan
    timepoint: str  # Timepoint.FOLLOW_UP or Timepoint.MAINTENANCE
    due_on: dt.date

    @property
    def label(self) -> str:
        return str(Timepoint(self.timepoint).label)


def followups_due(
    *, scope: Scope, today: dt.date, practitioner_id: int | None = None, limit: int = 21
) -> list[FollowUp]:
    """Follow-ups due: a finished course with no follow-up score yet (due from its last
    session), and the six-month maintenance visit with no score at it (due six months
    after the last session). Each is listed for FOLLOW_UP_WINDOW_MONTHS after it falls
    due; `practitioner_id` narrows to that practitioner's courses."""
    found: list[FollowUp] = []
    for timepoint, months in (
        (Timepoint.MAINTENANCE, MAINTENANCE_MONTHS),
        (Timepoint.FOLLOW_UP, 0),
    ):
        due_by = add_months(today, -months)
        since = add_months(due_by, -FOLLOW_UP_WINDOW_MONTHS)
        scored = OutcomeScore.objects.filter(plan_id=OuterRef("pk"), timepoint=timepoint)
        plans = _plans_finished(scope)
        if practitioner_id is not None:
            plans = plans.filter(practitioner_id=practitioner_id)
        rows = (
            plans.filter(last_session__lte=due_by, last_session__gt=since)
            .exclude(Exists(scored))
            .select_related("patient", "clinic", "practitioner")
            .order_by("last_session", "pk")[:limit]
        )
        found += [FollowUp(p, timepoint, add_months(p.last_session, months)) for p in rows]
    found.sort(key=lambda f: (f.due_on, f.plan.pk))
    return found[:limit]


def _plans_finished(scope: Scope) -> QuerySet[TreatmentPlan]:
    """Plans that are completed, or active with every session signed."""
    signed = Q(treatment_sessions__status=SessionStatus.SIGNED)
    return (
        in_my_clinics(scoped(TreatmentPlan, scope, permission="patients.view_clinical"), scope)
        .filter(status__in=[PlanStatus.ACTIVE, PlanStatus.COMPLETED])
        .annotate(
            last_session=Max("treatment_sessions__session_date", filter=signed),
            signed_sessions=Count("treatment_sessions", filter=signed),
        )
        .filter(Q(status=PlanStatus.COMPLETED) | Q(signed_sessions__gte=F("sessions")))
    )
