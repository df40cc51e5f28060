"""Booking, moving and changing appointments.

Every rule a receptionist can break (opening hours, a practitioner's hours or absence,
a missing credential, a needle-free technique without its device) is checked here with
a message naming what is wrong. Double bookings are refused by the database itself
(migration 0002); that refusal is turned into a message too, so two receptionists
booking the same slot at the same moment get one booking and one clear answer.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from mesoclinic.accounts.models import Clinic, Membership, OpeningHours, Organisation, Role, User
from mesoclinic.accounts.scope import Scope
from mesoclinic.audit.models import AuditAction
from mesoclinic.audit.services import audit_record
from mesoclinic.core.knowledge import load_knowledge
from mesoclinic.patients.models import Patient
from mesoclinic.scheduling.models import (
    ACTIVE_STATUSES,
    Absence,
    Appointment,
    AppointmentStatus,
    Credential,
    Device,
    Holiday,
    PatientAvailability,
    Room,
    WorkingHours,
)

# Which status may follow which. Done, no-show, cancelled and postponed are final for
# that appointment: a postponed session is booked again as a new appointment.
TRANSITIONS: dict[str, set[str]] = {
    AppointmentStatus.BOOKED: {"confirmed", "arrived", "no_show", "cancelled", "postponed"},
    AppointmentStatus.CONFIRMED: {"arrived", "no_show", "cancelled", "postponed"},
    AppointmentStatus.ARRIVED: {"done", "postponed", "cancelled"},
    AppointmentStatus.DONE: set(),
    AppointmentStatus.NO_SHOW: set(),
    AppointmentStatus.CANCELLED: set(),
    AppointmentStatus.POSTPONED: set(),
}

_CONSTRAINT_FIELDS = {
    "appt_no_double_practitioner": "practitioner",
    "appt_no_double_room": "room",
    "appt_no_double_device": "device",
    "appt_no_double_patient": "patient",
}


@dataclass(frozen=True)
class Slot:
    clinic: Clinic
    practitioner: User
    starts_at: dt.datetime
    ends_at: dt.datetime
    technique_id: str
    room: Room | None
    device: Device | None


def _local(clinic: Clinic, moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(clinic.zone)


def _fmt_range(clinic: Clinic, start: dt.datetime, end: dt.datetime) -> str:
    s, e = _local(clinic, start), _local(clinic, end)
    return f"{formats.date_format(s.date(), 'SHORT_DATE_FORMAT')} {s:%H:%M}–{e:%H:%M}"


def _covered(ranges: list[tuple[dt.time, dt.time]], start: dt.time, end: dt.time) -> bool:
    return any(a <= start and end <= b for a, b in ranges)


def slot_check(
    *,
    scope: Scope,
    clinic: Clinic,
    practitioner: User,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    technique_id: str,
    room: Room | None,
    device: Device | None,
) -> list[tuple[str, str]]:
    """Every booking rule the slot breaks, as (field, message); empty when it is bookable."""
    problems: list[tuple[str, str]] = []
    if timezone.is_naive(starts_at) or timezone.is_naive(ends_at):
        raise ValueError("appointment times must be aware datetimes")
    if ends_at <= starts_at:
        return [("duration", _("An appointment must end after it starts."))]
    start, end = _local(clinic, starts_at), _local(clinic, ends_at)
    if start.date() != end.date():
        return [("starts_at", _("An appointment must start and end on the same day."))]
    day, weekday = start.date(), start.weekday()
    hours = list(
        OpeningHours.objects.filter(clinic=clinic, weekday=weekday).values_list("opens", "closes")
    )
    if Holiday.objects.filter(clinic=clinic, day=day).exists():
        problems.append(
            ("starts_at", _("The clinic is closed on %(day)s (holiday).") % {"day": day})
        )
    elif not _covered(hours, start.time(), end.time()):
        problems.append(
            (
                "starts_at",
                _("%(when)s is outside the clinic's opening hours.")
                % {"when": _fmt_range(clinic, starts_at, ends_at)},
            )
        )
    if not Membership.objects.filter(
        user=practitioner, clinic=clinic, role=Role.PRACTITIONER
    ).exists():
        problems.append(
            (
                "practitioner",
                _("%(name)s is not a practitioner at %(clinic)s.")
                % {"name": practitioner, "clinic": clinic},
            )
        )
    own_hours = list(
        WorkingHours.objects.filter(
            practitioner=practitioner, clinic=clinic, weekday=weekday
        ).values_list("starts", "ends")
    )
    has_schedule = WorkingHours.objects.filter(practitioner=practitioner, clinic=clinic).exists()
    if has_schedule and not _covered(own_hours, start.time(), end.time()):
        problems.append(
            (
                "starts_at",
                _("%(name)s does not work at %(when)s.")
                % {"name": practitioner, "when": _fmt_range(clinic, starts_at, ends_at)},
            )
        )
    if Absence.objects.filter(
        practitioner=practitioner, first_day__lte=day, last_day__gte=day
    ).exists():
        problems.append(
            (
                "practitioner",
                _("%(name)s is absent on %(day)s.") % {"name": practitioner, "day": day},
            )
        )
    kb = load_knowledge()
    technique = kb.technique.get(technique_id) if technique_id else None
    if technique_id and technique is None:
        problems.append(("technique_id", _("Unknown technique %(id)s.") % {"id": technique_id}))
    if technique is not None:
        if not Credential.objects.filter(
            practitioner=practitioner, technique_id=technique_id
        ).exists():
            problems.append(
                (
                    "practitioner",
                    _("%(name)s is not credentialed for %(technique)s.")
                    % {"name": practitioner, "technique": technique.name.get(_lang())},
                )
            )
        if technique.kind == "needle-free":
            if device is None:
                problems.append(
                    (
                        "device",
                        _("%(technique)s needs a device.")
                        % {"technique": technique.name.get(_lang())},
                    )
                )
            elif technique_id not in device.technique_ids:
                problems.append(
                    (
                        "device",
                        _("%(device)s cannot deliver %(technique)s.")
                        % {"device": device, "technique": technique.name.get(_lang())},
                    )
                )
    if room is not None and room.clinic_id != clinic.pk:
        problems.append(("room", _("That room belongs to another clinic.")))
    if device is not None and device.clinic_id != clinic.pk:
        problems.append(("device", _("That device belongs to another clinic.")))
    return problems


def _lang() -> str:
    from django.utils.translation import get_language

    return "ru" if (get_language() or "en").startswith("ru") else "en"


def _first_free(model, clinic: Clinic, starts_at, ends_at, *, field: str, technique_id: str = ""):
    busy = Appointment.objects.filter(
        status__in=ACTIVE_STATUSES, starts_at__lt=ends_at, ends_at__gt=starts_at
    ).values_list(f"{field}_id", flat=True)
    candidates = (
        model.objects.filter(clinic=clinic, active=True).exclude(pk__in=busy).order_by("name")
    )
    if model is Device:
        return next((d for d in candidates if technique_id in d.technique_ids), None)
    return candidates.first()


def _raise_for_integrity(exc: IntegrityError, slot: Slot, patient: Patient) -> None:
    text = str(exc)
    for constraint, field in _CONSTRAINT_FIELDS.items():
        if constraint in text:
            who = {
                "practitioner": slot.practitioner,
                "room": slot.room,
                "device": slot.device,
                "patient": patient,
            }[field]
            raise ValidationError(
                {
                    field: _("%(who)s is already booked at an overlapping time (%(when)s).")
                    % {"who": who, "when": _fmt_range(slot.clinic, slot.starts_at, slot.ends_at)}
                }
            ) from exc
    raise exc


def _serialise_bookings(organisation_id: int) -> None:
    """Make the organisation's booking writes take turns until this transaction ends.

    The exclusion constraints still refuse every double booking; this lock only stops two
    concurrent bookings that collide on several resources at once (the same practitioner
    *and* the same first-free room) from deadlocking inside PostgreSQL's constraint checks,
    and lets the second one pick the room the first has just taken. `FOR NO KEY UPDATE`
    does not block inserts that merely reference the organisation. SQLite serialises
    writers on its own (transactions are `IMMEDIATE`), so the lock is a no-op there.
    """
    locked = Organisation.objects.select_for_update(no_key=True).filter(pk=organisation_id)
    list(locked.values_list("pk", flat=True))


def _validated_slot(
    *,
    scope: Scope,
    clinic: Clinic,
    practitioner: User,
    starts_at: dt.datetime,
    duration_min: int,
    technique_id: str,
    room: Room | None,
    device: Device | None,
) -> Slot:
    if not 5 <= duration_min <= 480:
        raise ValidationError({"duration": _("Duration must be between 5 and 480 minutes.")})
    ends_at = starts_at + dt.timedelta(minutes=duration_min)
    if room is None:
        room = _first_free(Room, clinic, starts_at, ends_at, field="room")
        if room is None and Room.objects.filter(clinic=clinic, active=True).exists():
            raise ValidationError({"room": _("No room is free at that time.")})
    kb_technique = load_knowledge().technique.get(technique_id) if technique_id else None
    if device is None and kb_technique is not None and kb_technique.kind == "needle-free":
        device = _first_free(
            Device, clinic, starts_at, ends_at, field="device", technique_id=technique_id
        )
    problems = slot_check(
        scope=scope,
        clinic=clinic,
        practitioner=practitioner,
        starts_at=starts_at,
        ends_at=ends_at,
        technique_id=technique_id,
        room=room,
        device=device,
    )
    if problems:
        errors: dict[str, list[str]] = {}
        for field, message in problems:
            errors.setdefault(field, []).append(message)
        raise ValidationError(errors)
    return Slot(clinic, practitioner, starts_at, ends_at, technique_id, room, device)


@transaction.atomic
def appointment_book(
    *,
    scope: Scope,
    patient: Patient,
    practitioner: User,
    starts_at: dt.datetime,
    duration_min: int,
    technique_id: str = "",
    room: Room | None = None,
    device: Device | None = None,
    plan_id: int | None = None,
    session_number: int | None = None,
    notes: str = "",
    request=None,
) -> Appointment:
    """Book one appointment in the scope's clinic; the first free room/device if none given."""
    scope.require("schedule.book")
    if patient.organisation_id != scope.organisation_id:
        raise ValidationError({"patient": _("Unknown patient.")})
    clinic = Clinic.objects.get(pk=scope.clinic_id, organisation_id=scope.organisation_id)
    _serialise_bookings(scope.organisation_id)
    slot = _validated_slot(
        scope=scope,
        clinic=clinic,
        practitioner=practitioner,
        starts_at=starts_at,
        duration_min=duration_min,
        technique_id=technique_id,
        room=room,
        device=device,
    )
    appointment = Appointment(
        organisation_id=scope.organisation_id,
        clinic=clinic,
        patient=patient,
        practitioner=practitioner,
        room=slot.room,
        device=slot.device,
        starts_at=slot.starts_at,
        ends_at=slot.ends_at,
        technique_id=technique_id,
        plan_id=plan_id,
        session_number=session_number,
        notes=notes,
        created_by_id=scope.user_id,
    )
    try:
        with transaction.atomic():
            appointment.save()
    except IntegrityError as exc:
        _raise_for_integrity(exc, slot, patient)
    audit_record(action=AuditAction.CREATE, request=request, scope=scope, obj=appointment)
    return appointment


@transaction.atomic
def appointment_reschedule(
    *,
    scope: Scope,
    appointment: Appointment,
    starts_at: dt.datetime,
    expected_version: int,
    practitioner: User | None = None,
    duration_min: int | None = None,
    request=None,
) -> Appointment:
    """Move an appointment; refused if someone else changed it since `expected_version`."""
    scope.require("schedule.book")
    if appointment.organisation_id != scope.organisation_id:
        raise ValidationError(_("Unknown appointment."))
    if not appointment.is_active or appointment.status in ("arrived", "done"):
        raise ValidationError(_("Only booked or confirmed appointments can be moved."))
    _serialise_bookings(scope.organisation_id)
    practitioner = practitioner or appointment.practitioner
    duration = duration_min or int(
        (appointment.ends_at - appointment.starts_at).total_seconds() // 60
    )
    slot = (
        _validated_slot(
            scope=scope,
            clinic=appointment.clinic,
            practitioner=practitioner,
            starts_at=starts_at,
            duration_min=duration,
            technique_id=appointment.technique_id,
            room=None,
            device=None,
        )
        if practitioner != appointment.practitioner
        else None
    )
    if slot is None:
        # Same practitioner: keep the room/device unless they are taken at the new time.
        ends_at = starts_at + dt.timedelta(minutes=duration)
        problems = slot_check(
            scope=scope,
            clinic=appointment.clinic,
            practitioner=practitioner,
            starts_at=starts_at,
            ends_at=ends_at,
            technique_id=appointment.technique_id,
            room=appointment.room,
            device=appointment.device,
        )
        if problems:
            errors: dict[str, list[str]] = {}
            for field, message in problems:
                errors.setdefault(field, []).append(message)
            raise ValidationError(errors)
        slot = Slot(
            appointment.clinic,
            practitioner,
            starts_at,
            ends_at,
            appointment.technique_id,
            appointment.room,
            appointment.device,
        )
    try:
        with transaction.atomic():
            updated = Appointment.objects.filter(
                pk=appointment.pk, version=expected_version
            ).update(
                starts_at=slot.starts_at,
                ends_at=slot.ends_at,
                practitioner=practitioner,
                room=slot.room,
                device=slot.device,
                version=expected_version + 1,
                updated_at=timezone.now(),
            )
    except IntegrityError as exc:
        _raise_for_integrity(exc, slot, appointment.patient)
    if updated == 0:
        raise ValidationError(
            _("Someone else changed this appointment a moment ago. Reload it and try again.")
        )
    appointment.refresh_from_db()
    audit_record(
        action=AuditAction.UPDATE,
        request=request,
        scope=scope,
        obj=appointment,
        detail={"rescheduled_to": slot.starts_at.isoformat()},
    )
    return appointment


@transaction.atomic
def appointment_status_set(
    *,
    scope: Scope,
    appointment: Appointment,
    status: str,
    expected_version: int,
    reason: str = "",
    request=None,
) -> Appointment:
    """Change an appointment's status along the allowed transitions."""
    scope.require("schedule.book")
    if appointment.organisation_id != scope.organisation_id:
        raise ValidationError(_("Unknown appointment."))
    if status not in TRANSITIONS.get(appointment.status, set()):
        raise ValidationError(
            _("An appointment that is %(current)s cannot become %(new)s.")
            % {"current": appointment.get_status_display(), "new": AppointmentStatus(status).label}
        )
    if status in ("cancelled", "postponed") and not reason.strip():
        raise ValidationError(
            {
                "reason": _("Say why the appointment is %(status)s.")
                % {"status": AppointmentStatus(status).label}
            }
        )
    updated = Appointment.objects.filter(pk=appointment.pk, version=expected_version).update(
        status=status,
        status_reason=reason.strip(),
        version=expected_version + 1,
        updated_at=timezone.now(),
    )
    if updated == 0:
        raise ValidationError(
            _("Someone else changed this appointment a moment ago. Reload it and try again.")
        )
    appointment.refresh_from_db()
    audit_record(
        action=AuditAction.UPDATE,
        request=request,
        scope=scope,
        obj=appointment,
        detail={"status": status, "reason": reason.strip()},
    )
    return appointment


@transaction.atomic
def credential_grant(*, scope: Scope, practitioner: User, technique_id: str) -> Credential:
    """Record that a practitioner is credentialed for a knowledge-base technique (owners)."""
    scope.require("clinic.manage")
    if technique_id not in load_knowledge().technique:
        raise ValidationError(
            {"technique_id": _("Unknown technique %(id)s.") % {"id": technique_id}}
        )
    if practitioner.organisation_id != scope.organisation_id:
        raise ValidationError(_("Unknown practitioner."))
    credential, created = Credential.objects.get_or_create(
        organisation_id=scope.organisation_id,
        practitioner=practitioner,
        technique_id=technique_id,
        defaults={"granted_by_id": scope.user_id},
    )
    if created:
        audit_record(
            action=AuditAction.CREATE,
            scope=scope,
            obj=credential,
            detail={"technique_id": technique_id},
        )
    return credential


def _own_clinic(scope: Scope, clinic: Clinic) -> None:
    if clinic.organisation_id != scope.organisation_id:
        raise ValidationError(_("Unknown clinic."))


@transaction.atomic
def room_create(*, scope: Scope, clinic: Clinic, name: str, request=None) -> Room:
    """Add a treatment room to a clinic (owners)."""
    scope.require("clinic.manage")
    _own_clinic(scope, clinic)
    name = name.strip()
    if not name:
        raise ValidationError({"name": _("Give the room a name.")})
    if Room.objects.filter(clinic=clinic, name=name).exists():
        raise ValidationError(
            {"name": _("The clinic already has a room called %(name)s.") % {"name": name}}
        )
    room = Room.objects.create(organisation_id=scope.organisation_id, clinic=clinic, name=name)
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
    request=None,
) -> Absence:
    """Record that a practitioner is away; refused while they have booked appointments then."""
    scope.require("clinic.manage")
    if practitioner.organisation_id != scope.organisation_id:
        raise ValidationError(_("Unknown practitioner."))
    if last_day < first_day:
        raise ValidationError({"last_day": _("The last day cannot be before the first day.")})
    clash = Appointment.objects.filter(
        practitioner=practitioner,
        status__in=ACTIVE_STATUSES,
        starts_at__date__gte=first_day,
        starts_at__date__lte=last_day,
    ).count()
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
    request=None,
) -> PatientAvailability:
    """When the patient prefers to come and the dates they cannot (used by course booking)."""
    scope.require("schedule.book")
    if patient.organisation_id != scope.organisation_id:
        raise ValidationError({"patient": _("Unknown patient.")})
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
