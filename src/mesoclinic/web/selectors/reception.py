"""The front desk's home: arrivals, confirmations, no-shows, free slots, courses to book
and maintenance returns due, for one clinic."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Exists, F, Max, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce

from mesoclinic.accounts.models import Clinic
from mesoclinic.accounts.scope import Scope, scoped
from mesoclinic.charting.models import SessionStatus
from mesoclinic.consultations.models import PlanStatus, TreatmentPlan
from mesoclinic.core.agenda import free_gaps
from mesoclinic.core.screening import add_months
from mesoclinic.scheduling.models import ACTIVE_STATUSES, Appointment
from mesoclinic.scheduling.selectors import clinic_practitioners
from mesoclinic.web.selectors.common import Capped, clinic_local, day_bounds
from mesoclinic.web.selectors.hours import practitioner_open, week_hours

# A free slot shorter than this is not worth offering on the phone.
FREE_SLOT_MINUTES = 30
# The maintenance return after a finished course (the clinic's usual recall).
MAINTENANCE_MONTHS = 6


@dataclass(frozen=True)
class FreeSlot:
    clinic: Clinic
    practitioner: object
    starts_at: dt.datetime
    ends_at: dt.datetime


def free_slots(*, scope: Scope, clinic: Clinic, now: dt.datetime) -> Capped:
    """Free stretches of at least FREE_SLOT_MINUTES per practitioner, today (from now) and
    tomorrow, in the clinic's time zone."""
    today = clinic_local(clinic, now).date()
    days = [today, today + dt.timedelta(days=1)]
    practitioners = list(clinic_practitioners(scope=scope, clinic=clinic))
    opening, own, absent, holidays = week_hours(clinic, days[0], days[-1], practitioners)
    start, _e = day_bounds(clinic, days[0])
    _s, end = day_bounds(clinic, days[-1])
    busy: dict[int, list] = {}
    for pid, s, e in (
        scoped(Appointment, scope, permission="schedule.view")
        .filter(
            practitioner__in=practitioners,
            status__in=ACTIVE_STATUSES,
            starts_at__lt=end,
            ends_at__gt=start,
        )
        .values_list("practitioner_id", "starts_at", "ends_at")
    ):
        busy.setdefault(pid, []).append((s, e))
    slots = []
    for day in days:
        for practitioner in practitioners:
            open_ranges = practitioner_open(
                clinic, day, practitioner.pk, opening, own, absent, holidays
            )
            for s, e in free_gaps(
                open_ranges=open_ranges,
                busy=busy.get(practitioner.pk, []),
                min_minutes=FREE_SLOT_MINUTES,
                not_before=now,
            ):
                slots.append(FreeSlot(clinic, practitioner, s, e))
    slots.sort(key=lambda s: (s.starts_at, str(s.practitioner)))
    return Capped.of(slots)


def receptionist_home(*, scope: Scope, clinic: Clinic, now: dt.datetime) -> dict:
    """The front desk of one clinic: who is expected, who must confirm, who did not come,
    where there is room, which courses are not fully booked, who is due back."""
    appointments = (
        scoped(Appointment, scope, permission="schedule.view")
        .filter(clinic=clinic)
        .select_related("patient", "practitioner", "clinic")
    )
    today = clinic_local(clinic, now).date()
    start, end = day_bounds(clinic, today)
    _s, tomorrow_end = day_bounds(clinic, today + dt.timedelta(days=1))
    arrivals = Capped.of(
        appointments.filter(
            starts_at__gte=start,
            starts_at__lt=end,
            status__in=["booked", "confirmed", "arrived"],
        ).order_by("starts_at", "pk")
    )
    unconfirmed = Capped.of(
        appointments.filter(
            starts_at__gte=now, starts_at__lt=tomorrow_end, status="booked"
        ).order_by("starts_at", "pk")
    )
    # Marked as no-shows today, and visits whose time has passed with nobody arriving.
    no_shows = Capped.of(
        appointments.filter(starts_at__gte=start, starts_at__lt=end)
        .filter(Q(status="no_show") | Q(status__in=["booked", "confirmed"], ends_at__lt=now))
        .order_by("starts_at", "pk")
    )
    booked = (
        Appointment.objects.filter(plan_id=OuterRef("pk"), status__in=ACTIVE_STATUSES)
        .values("plan_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    courses = Capped.of(
        scoped(TreatmentPlan, scope)
        .filter(clinic=clinic, status=PlanStatus.ACTIVE)
        .annotate(booked=Coalesce(Subquery(booked), 0))
        .filter(booked__lt=F("sessions"))
        .select_related("patient")
        .order_by("activated_at", "pk")
    )
    return {
        "arrivals": arrivals,
        "unconfirmed": unconfirmed,
        "no_shows": no_shows,
        "free_slots": free_slots(scope=scope, clinic=clinic, now=now),
        "courses": courses,
        "maintenance": maintenance_due(scope=scope, clinic=clinic, today=today),
    }


def maintenance_due(*, scope: Scope, clinic: Clinic, today: dt.date) -> Capped:
    """Finished courses whose last session was MAINTENANCE_MONTHS or more ago, for patients
    with no later plan and nothing booked ahead: the maintenance return is due."""
    due_by = add_months(today, -MAINTENANCE_MONTHS)
    later_plan = TreatmentPlan.objects.filter(
        patient_id=OuterRef("patient_id"), created_at__gt=OuterRef("created_at")
    ).exclude(status=PlanStatus.CANCELLED)
    ahead = Appointment.objects.filter(
        patient_id=OuterRef("patient_id"),
        status__in=["booked", "confirmed"],
        starts_at__gte=dt.datetime.combine(today, dt.time.min, tzinfo=clinic.zone),
    )
    return Capped.of(
        scoped(TreatmentPlan, scope)
        .filter(clinic=clinic, status=PlanStatus.COMPLETED)
        .annotate(
            last_session=Max(
                "treatment_sessions__session_date",
                filter=Q(treatment_sessions__status=SessionStatus.SIGNED),
            )
        )
        .filter(last_session__lte=due_by)
        .exclude(Exists(later_plan))
        .exclude(Exists(ahead))
        .select_related("patient")
        .order_by("last_session", "pk")
    )


# --- Owner --------------------------------------------------------------------------
