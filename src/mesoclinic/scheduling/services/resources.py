"""The clinic's resources: credentials, rooms, devices, working hours, absences,
holidays and patient availability."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from mesoclinic.accounts.models import Clinic, Membership, Role, User
from mesoclinic.accounts.scope import Scope
from mesoclinic.audit.models import AuditAction
from mesoclinic.audit.services import audit_record
from mesoclinic.core.knowledge import load_knowledge
from mesoclinic.patients.models import Patient
from mesoclinic.scheduling.models import (
    ACTIVE_STATUSES,
    Absence,
    Appointment,
    CourseTerms,
    Credential,
    Device,
    Holiday,
    PatientAvailability,
    PractitionerBreak,
    PractitionerLimit,
    Room,
    RoomFeature,
    WorkingHours,
)

# Which status may follow which. Done, no-show, cancelled and postponed are final for
# that appointment: a postponed session is booked again as a new appointment.


@transaction.atomic
def credential_grant(
    *,
    scope: Scope,
    practitioner: User,
    technique_id: str,
    trained_on: dt.date | None = None,
    evidence: str = "",
    today: dt.date | None = None,
    request=None,
) -> Credential:
    """Record that a practitioner is credentialed for a knowledge-base technique (owners).

    The date and evidence of training are optional here (fixtures and the resources page
    grant without them); granting again updates them.
    """
    scope.require("clinic.manage")
    if technique_id not in load_knowledge().technique:
        raise ValidationError(
            {"technique_id": _("Unknown technique %(id)s.") % {"id": technique_id}}
        )
    if practitioner.organisation_id != scope.organisation_id:
        raise ValidationError(_("Unknown practitioner."))
    if trained_on is not None and today is not None and trained_on > today:
        raise ValidationError({"trained_on": _("The date of training cannot be in the future.")})
    evidence = evidence.strip()
    credential, created = Credential.objects.get_or_create(
        organisation_id=scope.organisation_id,
        practitioner=practitioner,
        technique_id=technique_id,
        defaults={"granted_by_id": scope.user_id, "trained_on": trained_on, "evidence": evidence},
    )
    changed = (
        not created
        and (trained_on is not None or evidence)
        and ((credential.trained_on, credential.evidence) != (trained_on, evidence))
    )
    if changed:
        credential.trained_on = trained_on
        credential.evidence = evidence
        credential.granted_by_id = scope.user_id
        credential.full_clean()
        credential.save(update_fields=["trained_on", "evidence", "granted_by"])
    if created or changed:
        audit_record(
            action=AuditAction.CREATE if created else AuditAction.UPDATE,
            request=request,
            scope=scope,
            obj=credential,
            detail={
                "technique_id": technique_id,
                "trained_on": trained_on.isoformat() if trained_on else None,
                "evidence": evidence,
            },
        )
    return credential


def _own_clinic(scope: Scope, clinic: Clinic) -> None:
    if clinic.organisation_id != scope.organisation_id:
        raise ValidationError(_("Unknown clinic."))


@transaction.atomic
def room_create(
    *,
    scope: Scope,
    clinic: Clinic,
    name: str,
    features: list[str] = (),
    cleaning_buffer_min: int = 0,
    request=None,
) -> Room:
    """Add a treatment room to a clinic (owners): what it is fit for, cleaning time."""
    scope.require("clinic.manage")
    _own_clinic(scope, clinic)
    name = name.strip()
    if not name:
        raise ValidationError({"name": _("Give the room a name.")})
    if Room.objects.filter(clinic=clinic, name=name).exists():
        raise ValidationError(
            {"name": _("The clinic already has a room called %(name)s.") % {"name": name}}
        )
    if set(features) - set(RoomFeature.values):
        raise ValidationError({"features": _("Unknown equipment.")})
    if not 0 <= cleaning_buffer_min <= 120:
        raise ValidationError(
            {"cleaning_buffer_min": _("Cleaning takes between 0 and 120 minutes.")}
        )
    room = Room.objects.create(
        organisation_id=scope.organisation_id,
        clinic=clinic,
        name=name,
        features=sorted(set(features)),
        cleaning_buffer_min=cleaning_buffer_min,
    )
    audit_record(action=AuditAction.CREATE, request=request, scope=scope, obj=room)
    return room


@transaction.atomic
def device_create(
    *, scope: Scope, clinic: Clinic, name: str, technique_ids: list[str], request=None
) -> Device:
    """Add a device for needle-free techniques (owners)."""
    scope.require("clinic.manage")
    _own_clinic(scope, clinic)
    kb = load_knowledge()
    if not name.strip():
        raise ValidationError({"name": _("Give the device a name.")})
    if not technique_ids:
        raise ValidationError({"technique_ids": _("Choose the techniques the device delivers.")})
    for tid in technique_ids:
        technique = kb.technique.get(tid)
        if technique is None or technique.kind != "needle-free":
            raise ValidationError(
                {"technique_ids": _("%(id)s is not a needle-free technique.") % {"id": tid}}
            )
    device = Device.objects.create(
        organisation_id=scope.organisation_id,
        clinic=clinic,
        name=name.strip(),
        technique_ids=sorted(set(technique_ids)),
    )
    audit_record(action=AuditAction.CREATE, request=request, scope=scope, obj=device)
    return device


@transaction.atomic
def working_hours_set(
    *,
    scope: Scope,
    clinic: Clinic,
    practitioner: User,
    hours: dict[int, tuple[dt.time, dt.time] | None],
    request=None,
) -> list[WorkingHours]:
    """Replace a practitioner's weekly hours in a clinic (weekday -> (from, until) or None)."""
    scope.require("clinic.manage")
    _own_clinic(scope, clinic)
    if not Membership.objects.filter(
        user=practitioner, clinic=clinic, role=Role.PRACTITIONER
    ).exists():
        raise ValidationError(
            _("%(name)s is not a practitioner at %(clinic)s.")
            % {"name": practitioner, "clinic": clinic}
        )
    rows = []
    for weekday, span in sorted(hours.items()):
        if span is None:
            continue
        starts, ends = span
        if not starts < ends:
            raise ValidationError({"hours": _("Hours must end after they start.")})
        rows.append(
            WorkingHours(
                organisation_id=scope.organisation_id,
                clinic=clinic,
                practitioner=practitioner,
                weekday=weekday,
                starts=starts,
                ends=ends,
            )
        )
    WorkingHours.objects.filter(clinic=clinic, practitioner=practitioner).delete()
    WorkingHours.objects.bulk_create(rows)
    audit_record(
        action=AuditAction.UPDATE,
        request=request,
        scope=scope,
        obj=practitioner,
        detail={
            "working_hours": {str(r.weekday): f"{r.starts:%H:%M}-{r.ends:%H:%M}" for r in rows}
        },
    )
    return rows


@transaction.atomic
def absence_create(
    *,
    scope: Scope,
    practitioner: User,
    first_day: dt.date,
    last_day: dt.date,
    reason: str = "",
    starts: dt.time | None = None,
    ends: dt.time | None = None,
    request=None,
) -> Absence:
    """Record that a practitioner is away; refused while they have booked appointments then.

    With `starts` and `ends`, they are away only between those times on each day.
    """
    scope.require("clinic.manage")
    if practitioner.organisation_id != scope.organisation_id:
        raise ValidationError(_("Unknown practitioner."))
    if last_day < first_day:
        raise ValidationError({"last_day": _("The last day cannot be before the first day.")})
    if (starts is None) != (ends is None):
        raise ValidationError({"ends": _("Give both times or neither.")})
    if starts is not None and not starts < ends:
        raise ValidationError({"ends": _("The absence must end after it starts.")})
    clashing = Appointment.objects.filter(
        practitioner=practitioner,
        status__in=ACTIVE_STATUSES,
        starts_at__date__gte=first_day,
        starts_at__date__lte=last_day,
    ).select_related("clinic")
    clash = sum(
        1
        for a in clashing
        if starts is None
        or (
            starts < a.ends_at.astimezone(a.clinic.zone).time()
            and a.starts_at.astimezone(a.clinic.zone).time() < ends
        )
    )
    if clash:
        raise ValidationError(
            _("%(name)s has %(n)s appointment(s) in that period: move them first.")
            % {"name": practitioner, "n": clash}
        )
    absence = Absence.objects.create(
        organisation_id=scope.organisation_id,
        practitioner=practitioner,
        first_day=first_day,
        last_day=last_day,
        starts=starts,
        ends=ends,
        reason=reason.strip(),
    )
    audit_record(action=AuditAction.CREATE, request=request, scope=scope, obj=absence)
    return absence


@transaction.atomic
def holiday_create(
    *, scope: Scope, clinic: Clinic, day: dt.date, name: str = "", request=None
) -> Holiday:
    """Close a clinic for a day; refused while appointments are booked on it."""
    scope.require("clinic.manage")
    _own_clinic(scope, clinic)
    start = dt.datetime.combine(day, dt.time.min, tzinfo=clinic.zone)
    booked = Appointment.objects.filter(
        clinic=clinic,
        status__in=ACTIVE_STATUSES,
        starts_at__gte=start,
        starts_at__lt=start + dt.timedelta(days=1),
    ).count()
    if booked:
        raise ValidationError(
            {"day": _("%(n)s appointment(s) are booked that day: move them first.") % {"n": booked}}
        )
    if Holiday.objects.filter(clinic=clinic, day=day).exists():
        raise ValidationError({"day": _("That day is already a holiday.")})
    holiday = Holiday.objects.create(
        organisation_id=scope.organisation_id, clinic=clinic, day=day, name=name.strip()
    )
    audit_record(action=AuditAction.CREATE, request=request, scope=scope, obj=holiday)
    return holiday


@transaction.atomic
def patient_availability_set(
    *,
    scope: Scope,
    patient: Patient,
    preferred_weekdays: list[int],
    preferred_from: dt.time | None,
    preferred_until: dt.time | None,
    unavailable_dates: list[dt.date],
    available_weekdays: list[int] = (),
    available_from: dt.time | None = None,
    available_until: dt.time | None = None,
    request=None,
) -> PatientAvailability:
    """When the patient can come at all (hard), prefers to come (soft), and cannot.

    Course booking and the clinic planner never book outside the `available_*` days
    and hours; the `preferred_*` ones are only preferred.
    """
    scope.require("schedule.book")
    if patient.organisation_id != scope.organisation_id:
        raise ValidationError({"patient": _("Unknown patient.")})
    if (available_from is None) != (available_until is None):
        raise ValidationError(
            {"available_until": _("Give both ends of the hours the patient can come, or neither.")}
        )
    if available_from is not None and not available_from < available_until:
        raise ValidationError(
            {"available_until": _("The hours the patient can come must end after they start.")}
        )
    if any(not 0 <= d <= 6 for d in available_weekdays):
        raise ValidationError({"available_weekdays": _("Unknown weekday.")})
    if (preferred_from is None) != (preferred_until is None):
        raise ValidationError(
            {"preferred_until": _("Give both ends of the preferred time, or neither.")}
        )
    if preferred_from is not None and not preferred_from < preferred_until:
        raise ValidationError(
            {"preferred_until": _("The preferred time must end after it starts.")}
        )
    if any(not 0 <= d <= 6 for d in preferred_weekdays):
        raise ValidationError({"preferred_weekdays": _("Unknown weekday.")})
    availability, _created = PatientAvailability.objects.update_or_create(
        patient=patient,
        defaults={
            "organisation_id": scope.organisation_id,
            "preferred_weekdays": sorted(set(preferred_weekdays)),
            "preferred_from": preferred_from,
            "preferred_until": preferred_until,
            "unavailable_dates": sorted({d.isoformat() for d in unavailable_dates}),
            "available_weekdays": sorted(set(available_weekdays)),
            "available_from": available_from,
            "available_until": available_until,
        },
    )
    audit_record(
        action=AuditAction.UPDATE,
        request=request,
        scope=scope,
        obj=patient,
        detail={"availability": True},
    )
    return availability


def _practitioner_here(practitioner: User, clinic: Clinic) -> None:
    if not Membership.objects.filter(
        user=practitioner, clinic=clinic, role=Role.PRACTITIONER
    ).exists():
        raise ValidationError(
            _("%(name)s is not a practitioner at %(clinic)s.")
            % {"name": practitioner, "clinic": clinic}
        )


@transaction.atomic
def practitioner_break_add(
    *,
    scope: Scope,
    clinic: Clinic,
    practitioner: User,
    weekday: int,
    starts: dt.time,
    ends: dt.time,
    request=None,
) -> PractitionerBreak:
    """A practitioner's recurring break on one weekday in one clinic (owners)."""
    scope.require("clinic.manage")
    _own_clinic(scope, clinic)
    _practitioner_here(practitioner, clinic)
    if not 0 <= weekday <= 6:
        raise ValidationError({"weekday": _("Unknown weekday.")})
    if not starts < ends:
        raise ValidationError({"ends": _("The break must end after it starts.")})
    row = PractitionerBreak.objects.create(
        organisation_id=scope.organisation_id,
        clinic=clinic,
        practitioner=practitioner,
        weekday=weekday,
        starts=starts,
        ends=ends,
    )
    audit_record(action=AuditAction.CREATE, request=request, scope=scope, obj=row)
    return row


@transaction.atomic
def practitioner_limit_set(
    *,
    scope: Scope,
    clinic: Clinic,
    practitioner: User,
    max_sessions_per_day: int | None,
    max_minutes_per_day: int | None,
    request=None,
) -> PractitionerLimit | None:
    """A practitioner's daily maximum of sessions and/or minutes in a clinic (owners)."""
    scope.require("clinic.manage")
    _own_clinic(scope, clinic)
    _practitioner_here(practitioner, clinic)
    if max_sessions_per_day is not None and not 1 <= max_sessions_per_day <= 50:
        raise ValidationError({"max_sessions_per_day": _("Between 1 and 50 sessions a day.")})
    if max_minutes_per_day is not None and not 15 <= max_minutes_per_day <= 24 * 60:
        raise ValidationError({"max_minutes_per_day": _("Between 15 and 1440 minutes a day.")})
    if max_sessions_per_day is None and max_minutes_per_day is None:
        PractitionerLimit.objects.filter(clinic=clinic, practitioner=practitioner).delete()
        row = None
    else:
        row, _created = PractitionerLimit.objects.update_or_create(
            clinic=clinic,
            practitioner=practitioner,
            defaults={
                "organisation_id": scope.organisation_id,
                "max_sessions_per_day": max_sessions_per_day,
                "max_minutes_per_day": max_minutes_per_day,
            },
        )
    audit_record(
        action=AuditAction.UPDATE,
        request=request,
        scope=scope,
        obj=practitioner,
        detail={"daily_max": [max_sessions_per_day, max_minutes_per_day]},
    )
    return row


@transaction.atomic
def course_terms_set(
    *,
    scope: Scope,
    plan,
    same_practitioner: bool,
    latest_finish: dt.date | None,
    room_needs: list[str],
    today: dt.date | None = None,
    request=None,
) -> CourseTerms:
    """What booking a course must respect: one practitioner, a last date, the room it needs."""
    scope.require_in("schedule.book", plan.clinic_id)
    if plan.organisation_id != scope.organisation_id:
        raise ValidationError(_("Unknown treatment plan."))
    if set(room_needs) - set(RoomFeature.values):
        raise ValidationError({"room_needs": _("Unknown equipment.")})
    if latest_finish is not None and today is not None and latest_finish < today:
        raise ValidationError({"latest_finish": _("The last date cannot be in the past.")})
    terms, _created = CourseTerms.objects.update_or_create(
        plan_id=plan.pk,
        defaults={
            "organisation_id": scope.organisation_id,
            "same_practitioner": same_practitioner,
            "latest_finish": latest_finish,
            "room_needs": sorted(set(room_needs)),
        },
    )
    audit_record(
        action=AuditAction.UPDATE,
        request=request,
        scope=scope,
        obj=plan,
        detail={
            "course_terms": {
                "same_practitioner": same_practitioner,
                "latest_finish": latest_finish.isoformat() if latest_finish else None,
                "room_needs": sorted(set(room_needs)),
            }
        },
    )
    return terms
