"""Reads of the home pages, one per role: what each person needs first today.

Every list is bounded (LIST_CAP rows, and whether there are more), every query goes
through the caller's scope, and "today" is each clinic's own day in its time zone.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Count, Exists, F, Max, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce

from mesoclinic.accounts.models import Clinic, OpeningHours
from mesoclinic.accounts.scope import Scope, scoped
from mesoclinic.charting.models import Addendum, SessionStatus, SideEffect, TreatmentSession
from mesoclinic.consultations.models import PlanStatus, TreatmentPlan
from mesoclinic.core.agenda import free_gaps, ranges_intersect, utilisation
from mesoclinic.core.screening import add_months
from mesoclinic.interop.models import ErasureRequest
from mesoclinic.inventory.models import Lot, LotStatus, StockBalance
from mesoclinic.inventory.selectors import adverse_event_signals, stock_low
from mesoclinic.outcomes.selectors import followups_due
from mesoclinic.patients.selectors import patient_alerts
from mesoclinic.scheduling.models import (
    ACTIVE_STATUSES,
    Absence,
    Appointment,
    AppointmentStatus,
    Holiday,
    Room,
    WorkingHours,
)
from mesoclinic.scheduling.selectors import clinic_practitioners

LIST_CAP = 20
# A free slot shorter than this is not worth offering on the phone.
FREE_SLOT_MINUTES = 30
# The maintenance return after a finished course (the clinic's usual recall).
MAINTENANCE_MONTHS = 6
EXPIRY_WINDOWS = (30, 60, 90)


@dataclass
class Capped:
    """At most LIST_CAP rows of a longer list, and whether it goes on."""

    rows: list
    more: bool = False

    @classmethod
    def of(cls, items) -> Capped:
        items = list(items[: LIST_CAP + 1])
        return cls(rows=items[:LIST_CAP], more=len(items) > LIST_CAP)

    def __bool__(self) -> bool:
        return bool(self.rows)


def _clinics(scope: Scope) -> list[Clinic]:
    return list(Clinic.objects.filter(pk__in=scope.clinic_ids).order_by("name"))


def _local(clinic: Clinic, moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(clinic.zone)


def _day_bounds(clinic: Clinic, day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    start = dt.datetime.combine(day, dt.time.min, tzinfo=clinic.zone)
    return start, dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min, tzinfo=clinic.zone)


def _today_q(clinics: list[Clinic], now: dt.datetime, *, days: int = 1) -> Q:
    """Appointments starting on each clinic's own today (and the `days` - 1 following)."""
    q = Q(pk__in=[])
    for clinic in clinics:
        today = _local(clinic, now).date()
        start, _end = _day_bounds(clinic, today)
        _s, end = _day_bounds(clinic, today + dt.timedelta(days=days - 1))
        q |= Q(clinic=clinic, starts_at__gte=start, starts_at__lt=end)
    return q


# --- Practitioner -------------------------------------------------------------------


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
    clinics = _clinics(scope)
    visits = Capped.of(
        scoped(Appointment, scope, permission="schedule.view")
        .filter(_today_q(clinics, now), practitioner_id=scope.user_id)
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
                    today=_local(appointment.clinic, now).date(),
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
    today = _local(clinics[0], now).date() if clinics else now.date()
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


# --- Receptionist -------------------------------------------------------------------


def _open_ranges(clinic: Clinic, day: dt.date, hours) -> list[tuple[dt.datetime, dt.datetime]]:
    return [
        (
            dt.datetime.combine(day, opens, tzinfo=clinic.zone),
            dt.datetime.combine(day, closes, tzinfo=clinic.zone),
        )
        for opens, closes in hours
    ]


@dataclass(frozen=True)
class FreeSlot:
    clinic: Clinic
    practitioner: object
    starts_at: dt.datetime
    ends_at: dt.datetime


def _week_hours(clinic: Clinic, first: dt.date, last: dt.date, practitioners):
    """Opening hours, practitioners' own hours, absences and holidays over [first, last]."""
    opening: dict[int, list] = {}
    for weekday, opens, closes in OpeningHours.objects.filter(clinic=clinic).values_list(
        "weekday", "opens", "closes"
    ):
        opening.setdefault(weekday, []).append((opens, closes))
    own: dict[int, dict[int, list]] = {}
    for pid, weekday, starts, ends in WorkingHours.objects.filter(
        clinic=clinic, practitioner__in=practitioners
    ).values_list("practitioner_id", "weekday", "starts", "ends"):
        own.setdefault(pid, {}).setdefault(weekday, []).append((starts, ends))
    absent = set()
    for pid, a, b in Absence.objects.filter(
        practitioner__in=practitioners, first_day__lte=last, last_day__gte=first
    ).values_list("practitioner_id", "first_day", "last_day"):
        day = max(a, first)
        while day <= min(b, last):
            absent.add((pid, day))
            day += dt.timedelta(days=1)
    holidays = set(
        Holiday.objects.filter(clinic=clinic, day__gte=first, day__lte=last).values_list(
            "day", flat=True
        )
    )
    return opening, own, absent, holidays


def _practitioner_open(clinic, day, pid, opening, own, absent, holidays):
    """When a practitioner can see patients at the clinic on `day` (as the booking rules)."""
    if day in holidays or (pid, day) in absent:
        return []
    clinic_open = _open_ranges(clinic, day, opening.get(day.weekday(), []))
    if pid in own:
        return ranges_intersect(
            clinic_open, _open_ranges(clinic, day, own[pid].get(day.weekday(), []))
        )
    return clinic_open


def free_slots(*, scope: Scope, clinic: Clinic, now: dt.datetime) -> Capped:
    """Free stretches of at least FREE_SLOT_MINUTES per practitioner, today (from now) and
    tomorrow, in the clinic's time zone."""
    today = _local(clinic, now).date()
    days = [today, today + dt.timedelta(days=1)]
    practitioners = list(clinic_practitioners(scope=scope, clinic=clinic))
    opening, own, absent, holidays = _week_hours(clinic, days[0], days[-1], practitioners)
    start, _e = _day_bounds(clinic, days[0])
    _s, end = _day_bounds(clinic, days[-1])
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
            open_ranges = _practitioner_open(
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
    today = _local(clinic, now).date()
    start, end = _day_bounds(clinic, today)
    _s, tomorrow_end = _day_bounds(clinic, today + dt.timedelta(days=1))
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


@dataclass
class ClinicDay:
    clinic: Clinic
    today: dt.date
    counts: dict


@dataclass
class UseRow:
    clinic: Clinic
    name: str
    share: float | None

    @property
    def percent(self) -> int | None:
        return None if self.share is None else round(self.share * 100)


def _week(day: dt.date) -> tuple[dt.date, dt.date]:
    monday = day - dt.timedelta(days=day.weekday())
    return monday, monday + dt.timedelta(days=6)


def week_utilisation(*, scope: Scope, clinic: Clinic, now: dt.datetime) -> dict:
    """Booked share of the open time this week (Monday-Sunday, clinic's zone), per
    practitioner (their bookable hours) and per room (the clinic's opening hours)."""
    first, last = _week(_local(clinic, now).date())
    days = [first + dt.timedelta(days=i) for i in range(7)]
    practitioners = list(clinic_practitioners(scope=scope, clinic=clinic)[: LIST_CAP + 1])
    rooms = list(Room.objects.filter(clinic=clinic, active=True).order_by("name")[: LIST_CAP + 1])
    opening, own, absent, holidays = _week_hours(clinic, first, last, practitioners)
    start, _e = _day_bounds(clinic, first)
    _s, end = _day_bounds(clinic, last)
    week = (
        scoped(Appointment, scope, permission="schedule.view")
        .filter(clinic=clinic, status__in=ACTIVE_STATUSES, starts_at__lt=end, ends_at__gt=start)
        .values_list("practitioner_id", "room_id", "starts_at", "ends_at")
    )
    by_practitioner: dict[int, list] = {}
    by_room: dict[int, list] = {}
    for pid, rid, s, e in week:
        by_practitioner.setdefault(pid, []).append((s, e))
        if rid:
            by_room.setdefault(rid, []).append((s, e))
    people = []
    for p in practitioners:
        available = [
            r
            for day in days
            for r in _practitioner_open(clinic, day, p.pk, opening, own, absent, holidays)
        ]
        people.append(
            UseRow(
                clinic,
                str(p),
                utilisation(available=available, booked=by_practitioner.get(p.pk, [])),
            )
        )
    open_week = [
        r
        for day in days
        if day not in holidays
        for r in _open_ranges(clinic, day, opening.get(day.weekday(), []))
    ]
    room_rows = [
        UseRow(clinic, room.name, utilisation(available=open_week, booked=by_room.get(room.pk, [])))
        for room in rooms
    ]
    return {
        "clinic": clinic,
        "first": first,
        "last": last,
        "practitioners": Capped(people[:LIST_CAP], len(people) > LIST_CAP),
        "rooms": Capped(room_rows[:LIST_CAP], len(room_rows) > LIST_CAP),
    }


@dataclass
class ExpiringLot:
    balance: StockBalance
    days_left: int

    @property
    def window(self) -> int:
        return next(w for w in EXPIRY_WINDOWS if self.days_left <= w)


def owner_home(*, scope: Scope, clinic: Clinic | None, now: dt.datetime, language: str) -> dict:
    """The organisation's day per clinic, its stock alerts, and the week's utilisation."""
    scope.require("clinic.manage")
    clinics = _clinics(scope)[:LIST_CAP]
    counts: dict[int, dict] = {c.pk: {} for c in clinics}
    for clinic_id, status, n in (
        scoped(Appointment, scope, permission="schedule.view")
        .filter(_today_q(clinics, now))
        .values_list("clinic_id", "status")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        counts[clinic_id][status] = n
    day = [ClinicDay(c, _local(c, now).date(), counts[c.pk]) for c in clinics]
    low = []
    for c in clinics:
        for item in stock_low(
            scope=dataclasses.replace(scope, clinic_id=c.pk), today=_local(c, now).date()
        ):
            low.append((c, item))
    horizon = max(EXPIRY_WINDOWS)
    today = _local(clinic or clinics[0], now).date() if clinics else now.date()
    expiring = Capped.of(
        [
            ExpiringLot(b, (b.lot.expiry_date - today).days)
            for b in scoped(StockBalance, scope, permission="inventory.view")
            .filter(
                quantity_ul__gt=0,
                lot__status=LotStatus.AVAILABLE,
                lot__expiry_date__gte=today,
                lot__expiry_date__lte=today + dt.timedelta(days=horizon),
            )
            .select_related("lot__product", "clinic")
            .order_by("lot__expiry_date", "pk")[: LIST_CAP + 1]
        ]
    )
    quarantined = Capped.of(
        scoped(Lot, scope, permission="inventory.view")
        .filter(status=LotStatus.QUARANTINED)
        .select_related("product")
        .order_by("expiry_date", "pk")
    )
    signals = Capped.of(
        [s for s in adverse_event_signals(scope=scope, language=language) if s.cluster]
    )
    return {
        "clinic_days": day,
        "low_stock": Capped(low[:LIST_CAP], len(low) > LIST_CAP),
        "expiring": expiring,
        "quarantined": quarantined,
        "signals": signals,
        "followups": Capped.of(followups_due(scope=scope, today=today, limit=LIST_CAP + 1)),
        "utilisation": [week_utilisation(scope=scope, clinic=c, now=now) for c in clinics],
        "erasures": Capped.of(
            scoped(ErasureRequest, scope, permission="clinic.manage")
            .filter(requested_by__isnull=True, requested_at__gte=now - dt.timedelta(days=30))
            .select_related("patient")
            .order_by("-requested_at", "-pk")[: LIST_CAP + 1]
        ),
    }
