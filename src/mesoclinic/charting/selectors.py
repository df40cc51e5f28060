"""Reads of the session day, always through the caller's scope."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import QuerySet

from mesoclinic.accounts.locales import base_language
from mesoclinic.accounts.models import Clinic
from mesoclinic.accounts.scope import Scope, get_in_clinic_or_404, scoped
from mesoclinic.charting.models import AftercarePolicy, PatientFlag, TreatmentSession
from mesoclinic.consultations.engine import kb as knowledge
from mesoclinic.consultations.models import TreatmentPlan
from mesoclinic.core.aftercare import AftercareItem, aftercare_for
from mesoclinic.inventory.models import Lot, LotStatus, StockBalance
from mesoclinic.scheduling.models import Appointment, AppointmentStatus


@dataclass
class DayRow:
    appointment: Appointment
    session: TreatmentSession | None
    plan: TreatmentPlan | None

    @property
    def progress(self) -> tuple[int, int] | None:
        if self.plan is None:
            return None
        return (self.appointment.session_number or 1, self.plan.sessions)


DAY_LIST_DEFERRED = (
    "checkin_answers",
    "screening_request",
    "screening_result",
    "override_rules",
    "chart_screening",
)


def day_sessions(
    *, scope: Scope, clinic: Clinic, day: dt.date, practitioner_id: int | None = None
) -> list[DayRow]:
    """The clinic's appointments on `day` (its own time zone) with their sessions and plans."""
    scope.require("patients.view_clinical")
    start = dt.datetime.combine(day, dt.time.min, tzinfo=clinic.zone)
    appointments = (
        scoped(Appointment, scope, permission="schedule.view")
        .filter(
            clinic=clinic,
            starts_at__gte=start,
            starts_at__lt=start + dt.timedelta(days=1),
        )
        .exclude(status="cancelled")
        .select_related("patient", "practitioner", "room")
        .order_by("starts_at")
    )
    if practitioner_id:
        appointments = appointments.filter(practitioner_id=practitioner_id)
    appointments = list(appointments)
    # The list shows a session's status and screening level only: its check-in
    # answers, screening request and result and chart screening (JSON, several KB
    # each) stay in the database.
    sessions = {
        s.appointment_id: s
        for s in scoped(TreatmentSession, scope)
        .filter(appointment_id__in=[a.pk for a in appointments])
        .defer(*DAY_LIST_DEFERRED)
    }
    plans = {
        p.pk: p
        for p in scoped(TreatmentPlan, scope)
        .filter(pk__in=[a.plan_id for a in appointments if a.plan_id])
        .only("pk", "sessions")
    }
    return [DayRow(a, sessions.get(a.pk), plans.get(a.plan_id)) for a in appointments]


SESSION_PAGE_RELATED = (
    "patient",
    "practitioner",
    "clinic",
    "plan",
    "appointment",
    "signed_by",
    "override_by",
    "screened_by",
)


def session_get(
    *, scope: Scope, session_id: int, related: tuple[str, ...] = SESSION_PAGE_RELATED
) -> TreatmentSession:
    """One session of one of the user's clinics (clinical staff there only), or 404.

    `related` are the rows read with it: all the session page shows by default; a
    write (save, sign) asks for the clinic only, since its service reads the session
    again, locked, with what it needs.
    """
    return get_in_clinic_or_404(
        TreatmentSession.objects.select_related(*related),
        scope,
        permission="patients.view_clinical",
        pk=session_id,
    )


def lots_for_charting(*, scope: Scope, clinic_id: int, on_date: dt.date) -> list[Lot]:
    """Usable lots at the clinic, grouped by product and first expiry first (FEFO)."""
    balances = dict(
        StockBalance.objects.filter(
            organisation_id=scope.organisation_id, clinic_id=clinic_id, quantity_ul__gt=0
        ).values_list("lot_id", "quantity_ul")
    )
    lots = list(
        scoped(Lot, scope, permission="inventory.view")
        .filter(pk__in=list(balances), status=LotStatus.AVAILABLE, expiry_date__gte=on_date)
        .select_related("product")
        .order_by("product__name", "expiry_date", "received_on", "pk")
    )
    for lot in lots:
        lot.available_ul = balances[lot.pk]
    return lots


def patient_flags(*, scope: Scope, patient) -> QuerySet[PatientFlag]:
    """Serious side effects flagged on the patient's record, newest first."""
    return (
        scoped(PatientFlag, scope, permission="patients.view_clinical")
        .filter(patient=patient)
        .select_related("side_effect")
    )


def patient_overrides(*, scope: Scope, patient) -> QuerySet[TreatmentSession]:
    """Sessions of the patient whose screening stop was overridden, newest first."""
    return (
        scoped(TreatmentSession, scope, permission="patients.view_clinical")
        .filter(patient=patient, override_by__isnull=False)
        .select_related("override_by", "override_cosigned_by")
        .order_by("-override_at")
    )


def aftercare_items(*, session: TreatmentSession, language: str) -> list[AftercareItem]:
    """Aftercare for exactly the zones and techniques charted, with the clinic's durations."""
    kb = knowledge()
    entries = list(session.entries.select_related("product"))
    zones = list(dict.fromkeys(e.zone_id for e in entries))
    techniques = list(dict.fromkeys(e.technique_id for e in entries))
    ingredients = {
        i
        for e in entries
        if e.product_id and e.product.kb_product_id in kb.product
        for i in kb.product_ingredients[e.product.kb_product_id]
    }
    policy = AftercarePolicy.objects.filter(clinic_id=session.clinic_id).first()
    return aftercare_for(
        kb=kb,
        zones=zones,
        techniques=techniques,
        language=base_language(language),
        ingredients=ingredients,
        policy={"aftercare_hours": policy.hours} if policy else None,
    )


def next_booked_appointment(*, session: TreatmentSession) -> Appointment | None:
    """The patient's next booked (or confirmed) appointment after the session's day, if any."""
    day_after = dt.datetime.combine(
        session.session_date + dt.timedelta(days=1), dt.time(), tzinfo=session.clinic.zone
    )
    return (
        Appointment.objects.filter(
            organisation_id=session.organisation_id,
            patient_id=session.patient_id,
            starts_at__gte=day_after,
            status__in=(AppointmentStatus.BOOKED, AppointmentStatus.CONFIRMED),
        )
        .select_related("clinic")
        .order_by("starts_at")
        .first()
    )
