"""The practitioner's home: today's visits, what awaits signature, addenda and follow-ups due."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import F, OuterRef, Q, Subquery

from mesoclinic.accounts.scope import Scope, scoped
from mesoclinic.charting.models import Addendum, SessionStatus, SideEffect, TreatmentSession
from mesoclinic.consultations.models import TreatmentPlan
from mesoclinic.outcomes.selectors import followups_due
from mesoclinic.patients.selectors import patient_alerts
from mesoclinic.scheduling.models import Appointment, AppointmentStatus
from mesoclinic.web.selectors.common import LIST_CAP, Capped, clinic_local, scope_clinics, today_q


@dataclass
class VisitRow:
    appointment: Appointment
    session: TreatmentSession | None
    plan: TreatmentPlan | None
    alerts: list = field(default_factory=list)

    @property
    def screening_level(self) -> str:
        """Today's check-in screening if done, else the plan's own screening."""
        if self.session is not None:
            return self.session.screening_level
        return self.plan.screening_level if self.plan is not None else ""


def practitioner_home(*, scope: Scope, now: dt.datetime, language: str) -> dict:
    """Today's visits of the signed-in practitioner, what awaits their signature, and
    signed sessions whose side effects are still open (an addendum is due)."""
    scope.require("patients.view_clinical")
    clinics = scope_clinics(scope)
    visits = Capped.of(
        scoped(Appointment, scope, permission="schedule.view")
        .filter(today_q(clinics, now), practitioner_id=scope.user_id)
        .exclude(status=AppointmentStatus.CANCELLED)
        .select_related("patient", "clinic", "room")
        .order_by("starts_at", "pk")
    )
    ids = [a.pk for a in visits.rows]
    sessions = {
        s.appointment_id: s for s in scoped(TreatmentSession, scope).filter(appointment_id__in=ids)
    }
    plans = scoped(TreatmentPlan, scope).in_bulk([a.plan_id for a in visits.rows if a.plan_id])
    alerts: dict[int, list] = {}
    rows = []
    for appointment in visits.rows:
        if appointment.patient_id not in alerts:
            alerts[appointment.patient_id] = [
                a.text(language)
                for a in patient_alerts(
                    scope=scope,
                    patient=appointment.patient,
                    today=clinic_local(appointment.clinic, now).date(),
                )
            ]
        rows.append(
            VisitRow(
                appointment=appointment,
                session=sessions.get(appointment.pk),
                plan=plans.get(appointment.plan_id),
                alerts=alerts[appointment.patient_id],
            )
        )
    to_sign = Capped.of(
        scoped(TreatmentSession, scope)
        .filter(practitioner_id=scope.user_id, status__in=[SessionStatus.CHARTING])
        .select_related("patient", "clinic")
        .order_by("session_date", "pk")
    )
    latest_addendum = (
        Addendum.objects.filter(session_id=OuterRef("session_id"))
        .order_by("-created_at")
        .values("created_at")[:1]
    )
    addenda_due = Capped.of(
        scoped(SideEffect, scope)
        .filter(
            session__practitioner_id=scope.user_id,
            session__status=SessionStatus.SIGNED,
            outcome__in=["ongoing", "unknown"],
        )
        .annotate(last_note=Subquery(latest_addendum))
        .filter(Q(last_note__isnull=True) | Q(last_note__lt=F("recorded_at")))
        .select_related("session", "patient")
        .order_by("onset_on", "pk")
    )
    today = clinic_local(clinics[0], now).date() if clinics else now.date()
    return {
        "visits": Capped(rows=rows, more=visits.more),
        "to_sign": to_sign,
        "addenda_due": addenda_due,
        "followups": Capped.of(
            followups_due(
                scope=scope, today=today, practitioner_id=scope.user_id, limit=LIST_CAP + 1
            )
        ),
    }
