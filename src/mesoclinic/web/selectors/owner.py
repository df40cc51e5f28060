"""The owner's home: each clinic's day, stock alerts, signals, erasures and the week's
utilisation."""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass

from django.db.models import Count

from mesoclinic.accounts.models import Clinic
from mesoclinic.accounts.scope import Scope, scoped
from mesoclinic.core.agenda import utilisation
from mesoclinic.interop.models import ErasureRequest
from mesoclinic.inventory.models import Lot, LotStatus, StockBalance
from mesoclinic.inventory.selectors import adverse_event_signals, stock_low
from mesoclinic.outcomes.selectors import followups_due
from mesoclinic.scheduling.models import ACTIVE_STATUSES, Appointment, Room
from mesoclinic.scheduling.selectors import clinic_practitioners
from mesoclinic.web.selectors.common import (
    LIST_CAP,
    Capped,
    clinic_local,
    day_bounds,
    scope_clinics,
    today_q,
)
from mesoclinic.web.selectors.hours import open_ranges, practitioner_open, week_hours

EXPIRY_WINDOWS = (30, 60, 90)


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
    first, last = _week(clinic_local(clinic, now).date())
    days = [first + dt.timedelta(days=i) for i in range(7)]
    practitioners = list(clinic_practitioners(scope=scope, clinic=clinic)[: LIST_CAP + 1])
    rooms = list(Room.objects.filter(clinic=clinic, active=True).order_by("name")[: LIST_CAP + 1])
    opening, own, absent, holidays = week_hours(clinic, first, last, practitioners)
    start, _e = day_bounds(clinic, first)
    _s, end = day_bounds(clinic, last)
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
            for r in practitioner_open(clinic, day, p.pk, opening, own, absent, holidays)
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
        for r in open_ranges(clinic, day, opening.get(day.weekday(), []))
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
    clinics = scope_clinics(scope)[:LIST_CAP]
    counts: dict[int, dict] = {c.pk: {} for c in clinics}
    for clinic_id, status, n in (
        scoped(Appointment, scope, permission="schedule.view")
        .filter(today_q(clinics, now))
        .values_list("clinic_id", "status")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        counts[clinic_id][status] = n
    day = [ClinicDay(c, clinic_local(c, now).date(), counts[c.pk]) for c in clinics]
    low = []
    for c in clinics:
        for item in stock_low(
            scope=dataclasses.replace(scope, clinic_id=c.pk), today=clinic_local(c, now).date()
        ):
            low.append((c, item))
    horizon = max(EXPIRY_WINDOWS)
    today = clinic_local(clinic or clinics[0], now).date() if clinics else now.date()
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
