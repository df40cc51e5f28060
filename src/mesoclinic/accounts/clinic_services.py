"""Owners' writes to their clinics: details, weekly opening hours, holidays and closures.

Every function takes the acting `scope` (an owner of the clinic's organisation) or
None when the operator runs it from the command line, and audits what it changed.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from mesoclinic.accounts.models import Clinic, Jurisdiction, Organisation
from mesoclinic.accounts.scope import Scope
from mesoclinic.accounts.services import (
    Span,
    clinic_create,
    opening_hours_clean,
    opening_hours_write,
)
from mesoclinic.audit.models import AuditAction
from mesoclinic.audit.services import audit_record

MAX_CLOSURE_DAYS = 366


def owner_require(scope: Scope | None, organisation_id: int) -> None:
    """Refuse anyone but an owner of `organisation_id`; None is the operator (command line)."""
    if scope is None:
        return
    scope.require("clinic.manage")
    if scope.organisation_id != organisation_id:
        raise ValidationError(_("Unknown clinic."))


def admin_audit(
    *, action: AuditAction, scope: Scope | None, organisation_id: int, obj, detail, request=None
) -> None:
    """Audit an administrative change; changes from the command line say so."""
    detail = dict(detail)
    if scope is None and request is None:
        detail["via"] = "command line"
    audit_record(
        action=action,
        request=request,
        scope=scope,
        organisation_id=organisation_id,
        obj=obj,
        detail=detail,
    )


def _hours_detail(hours: dict[int, list[Span]]) -> dict[str, list[str]]:
    return {
        str(day): [f"{a:%H:%M}-{b:%H:%M}" for a, b in spans] for day, spans in sorted(hours.items())
    }


@transaction.atomic
def clinic_add(
    *,
    scope: Scope | None,
    organisation: Organisation,
    name: str,
    time_zone: str,
    address: str = "",
    phone: str = "",
    locale: str = "en-gb",
    jurisdiction: str = "",
    hours: dict[int, Span | list[Span] | None] | None = None,
    request=None,
) -> Clinic:
    """Open a new clinic of the organisation with its details and weekly hours (owners)."""
    owner_require(scope, organisation.pk)
    if not name.strip():
        raise ValidationError({"name": _("Give the clinic a name.")})
    clinic = clinic_create(
        organisation=organisation,
        name=name,
        time_zone=time_zone,
        address=address,
        phone=phone,
        locale=locale,
        jurisdiction=jurisdiction,
        hours=hours,
    )
    admin_audit(
        action=AuditAction.CREATE,
        scope=scope,
        organisation_id=organisation.pk,
        obj=clinic,
        request=request,
        detail={
            "time_zone": clinic.time_zone,
            "locale": clinic.locale,
            "jurisdiction": clinic.jurisdiction,
            "hours": _hours_detail(opening_hours_clean(hours)),
        },
    )
    return clinic


def clinic_appointments_ahead(clinic: Clinic) -> int:
    """How many active appointments of the clinic start from now on."""
    from django.utils import timezone

    from mesoclinic.scheduling.models import ACTIVE_STATUSES, Appointment

    return Appointment.objects.filter(
        clinic=clinic, status__in=ACTIVE_STATUSES, starts_at__gte=timezone.now()
    ).count()


CLINIC_FIELDS = ("name", "address", "phone", "time_zone", "locale", "jurisdiction")


@transaction.atomic
def clinic_update(
    *,
    scope: Scope | None,
    clinic: Clinic,
    name: str,
    time_zone: str,
    address: str = "",
    phone: str = "",
    locale: str = "en-gb",
    jurisdiction: str = "",
    confirm_zone_change: bool = False,
    request=None,
) -> Clinic:
    """Change a clinic's name, address, phone, time zone, locale or jurisdiction (owners;
    without a jurisdiction, the one its locale suggests).

    Appointments are stored as moments in time: a new zone moves their clock times in the
    clinic. With appointments ahead, the change needs `confirm_zone_change`.
    """
    owner_require(scope, clinic.organisation_id)
    if time_zone.strip() != clinic.time_zone and not confirm_zone_change:
        ahead = clinic_appointments_ahead(clinic)
        if ahead:
            raise ValidationError(
                {
                    "time_zone": _(
                        "%(count)s appointments are booked from now on, and their clock times "
                        "would change with the zone. Tick the box below to change it anyway."
                    )
                    % {"count": ahead}
                }
            )
    name = name.strip()
    if not name:
        raise ValidationError({"name": _("Give the clinic a name.")})
    if (
        Clinic.objects.filter(organisation_id=clinic.organisation_id, name__iexact=name)
        .exclude(pk=clinic.pk)
        .exists()
    ):
        raise ValidationError(
            {"name": _("The organisation already has a clinic called %(name)s.") % {"name": name}}
        )
    before = {f: getattr(clinic, f) for f in CLINIC_FIELDS}
    clinic.name = name
    clinic.address = address.strip()
    clinic.phone = phone.strip()
    clinic.time_zone = time_zone.strip()
    clinic.locale = locale
    clinic.jurisdiction = jurisdiction or Jurisdiction.of_locale(locale)
    clinic.full_clean()
    clinic.save()
    changed = {f: [v, getattr(clinic, f)] for f, v in before.items() if getattr(clinic, f) != v}
    if changed:
        admin_audit(
            action=AuditAction.UPDATE,
            scope=scope,
            organisation_id=clinic.organisation_id,
            obj=clinic,
            request=request,
            detail={"changed": changed},
        )
    return clinic


@transaction.atomic
def clinic_hours_set(
    *,
    scope: Scope | None,
    clinic: Clinic,
    hours: dict[int, Span | list[Span] | None],
    request=None,
) -> None:
    """Replace a clinic's weekly opening hours; a weekday with no spans is closed (owners).

    Appointments already booked stay as they are; new bookings follow the new hours.
    """
    owner_require(scope, clinic.organisation_id)
    cleaned = opening_hours_clean(hours)
    opening_hours_write(clinic=clinic, hours=cleaned)
    admin_audit(
        action=AuditAction.UPDATE,
        scope=scope,
        organisation_id=clinic.organisation_id,
        obj=clinic,
        request=request,
        detail={"hours": _hours_detail(cleaned)},
    )


@transaction.atomic
def clinic_closure_add(
    *,
    scope: Scope,
    clinic: Clinic,
    first_day: dt.date,
    last_day: dt.date,
    name: str = "",
    request=None,
) -> int:
    """Close a clinic from `first_day` to `last_day` (a holiday or a closure); returns
    how many days were added. Refused, with nothing written, while any of those days has
    booked appointments."""
    from mesoclinic.scheduling.models import Holiday
    from mesoclinic.scheduling.services import holiday_create

    owner_require(scope, clinic.organisation_id)
    if last_day < first_day:
        raise ValidationError({"last_day": _("The last day cannot be before the first day.")})
    if (last_day - first_day).days >= MAX_CLOSURE_DAYS:
        raise ValidationError({"last_day": _("A closure can last at most a year.")})
    closed = set(
        Holiday.objects.filter(clinic=clinic, day__gte=first_day, day__lte=last_day).values_list(
            "day", flat=True
        )
    )
    added = 0
    day = first_day
    while day <= last_day:
        if day not in closed:
            try:
                holiday_create(scope=scope, clinic=clinic, day=day, name=name, request=request)
            except ValidationError as exc:
                messages = getattr(exc, "message_dict", {}).get("day") or exc.messages
                raise ValidationError(
                    {
                        "first_day": [
                            f"{date_format(day, 'SHORT_DATE_FORMAT')}: {m}" for m in messages
                        ]
                    }
                ) from exc
            added += 1
        day += dt.timedelta(days=1)
    if not added:
        raise ValidationError({"first_day": _("The clinic is already closed on those days.")})
    return added


@transaction.atomic
def clinic_closure_remove(*, scope: Scope, clinic: Clinic, day: dt.date, request=None) -> None:
    """Open a clinic again on a day that was a holiday (owners)."""
    from mesoclinic.scheduling.models import Holiday

    owner_require(scope, clinic.organisation_id)
    holiday = Holiday.objects.filter(clinic=clinic, day=day).first()
    if holiday is None:
        raise ValidationError({"day": _("The clinic is not closed that day.")})
    admin_audit(
        action=AuditAction.DELETE,
        scope=scope,
        organisation_id=clinic.organisation_id,
        obj=holiday,
        request=request,
        detail={"day": day.isoformat(), "clinic": clinic.pk},
    )
    holiday.delete()
