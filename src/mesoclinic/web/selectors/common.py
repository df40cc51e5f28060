"""What every home page read shares: bounded lists and each clinic's own day."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Q

from mesoclinic.accounts.models import Clinic
from mesoclinic.accounts.scope import Scope

LIST_CAP = 20


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


def scope_clinics(scope: Scope) -> list[Clinic]:
    """The clinics of the scope, by name."""
    return list(Clinic.objects.filter(pk__in=scope.clinic_ids).order_by("name"))


def clinic_local(clinic: Clinic, moment: dt.datetime) -> dt.datetime:
    """`moment` in the clinic's time zone (its date is the clinic's own day)."""
    return moment.astimezone(clinic.zone)


def day_bounds(clinic: Clinic, day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The clinic's `day` as [midnight, next midnight) in its time zone."""
    start = dt.datetime.combine(day, dt.time.min, tzinfo=clinic.zone)
    return start, dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min, tzinfo=clinic.zone)


def today_q(clinics: list[Clinic], now: dt.datetime, *, days: int = 1) -> Q:
    """Appointments starting on each clinic's own today (and the `days` - 1 following)."""
    q = Q(pk__in=[])
    for clinic in clinics:
        today = clinic_local(clinic, now).date()
        start, _end = day_bounds(clinic, today)
        _s, end = day_bounds(clinic, today + dt.timedelta(days=days - 1))
        q |= Q(clinic=clinic, starts_at__gte=start, starts_at__lt=end)
    return q
