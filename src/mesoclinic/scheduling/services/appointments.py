"""Appointments: booking, moving and status changes, with the database as referee."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from mesoclinic.accounts.models import Clinic, Organisation, User
from mesoclinic.accounts.scope import Scope
from mesoclinic.audit.models import AuditAction
from mesoclinic.audit.services import audit_record
from mesoclinic.core.knowledge import load_knowledge
from mesoclinic.patients.models import Patient
from mesoclinic.scheduling.models import (
    ACTIVE_STATUSES,
    Appointment,
    AppointmentStatus,
    CourseTerms,
    Device,
    Room,
)

# Which status may follow which. Done, no-show, cancelled and postponed are final for
# that appointment: a postponed session is booked again as a new appointment.
from mesoclinic.scheduling.services.rules import room_cleaning_problems
from mesoclinic.scheduling.services.slots import (
    _CONSTRAINT_FIELDS,
    TRANSITIONS,
    Slot,
    _fmt_range,
    booking_window_check,
    slot_check,
)
from mesoclinic.web.document_tasks import aftercare_redraw_later


def _first_free(
    model,
    clinic: Clinic,
    starts_at,
    ends_at,
    *,
    field: str,
    technique_id: str = "",
    suits=None,
):
    """The first free room or device; with `suits`, the first free one it accepts (or, if
    none, the first free one, so that the rules say what is wrong with it)."""
    busy = Appointment.objects.filter(
        status__in=ACTIVE_STATUSES, starts_at__lt=ends_at, ends_at__gt=starts_at
    ).values_list(f"{field}_id", flat=True)
    candidates = (
        model.objects.filter(clinic=clinic, active=True).exclude(pk__in=busy).order_by("name")
    )
    if model is Device:
        return next((d for d in candidates if technique_id in d.technique_ids), None)
    if suits is not None:
        rooms = list(candidates)
        return next((r for r in rooms if suits(r)), rooms[0] if rooms else None)
    return candidates.first()


def _room_suits(*, clinic: Clinic, plan_id: int | None, starts_at, ends_at, ignore_id=None):
    """Whether a room has the course's equipment and its cleaning time fits."""
    needs = set()
    if plan_id is not None:
        terms = CourseTerms.objects.filter(plan_id=plan_id).first()
        needs = set(terms.room_needs or []) if terms else set()

    def suits(room: Room) -> bool:
        return needs <= set(room.features or []) and not room_cleaning_problems(
            clinic=clinic, room=room, starts_at=starts_at, ends_at=ends_at, ignore_id=ignore_id
        )

    return suits


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
    patient: Patient | None = None,
    plan_id: int | None = None,
    ignore_id: int | None = None,
) -> Slot:
    if not 5 <= duration_min <= 480:
        raise ValidationError({"duration": _("Duration must be between 5 and 480 minutes.")})
    ends_at = starts_at + dt.timedelta(minutes=duration_min)
    if room is None:
        suits = _room_suits(
            clinic=clinic,
            plan_id=plan_id,
            starts_at=starts_at,
            ends_at=ends_at,
            ignore_id=ignore_id,
        )
        room = _first_free(Room, clinic, starts_at, ends_at, field="room", suits=suits)
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
        patient=patient,
        plan_id=plan_id,
        ignore_id=ignore_id,
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
    now: dt.datetime | None = None,
    request=None,
) -> Appointment:
    """Book one appointment in the scope's clinic; the first free room/device if none given.

    `now` is the moment of booking: when given (every page and API call gives it), the
    start must be after it and within the booking horizon. Imports and the demo's
    history, which record appointments that already happened, leave it out.
    """
    scope.require("schedule.book")
    if patient.organisation_id != scope.organisation_id:
        raise ValidationError({"patient": _("Unknown patient.")})
    clinic = Clinic.objects.get(pk=scope.clinic_id, organisation_id=scope.organisation_id)
    if now is not None:
        booking_window_check(clinic=clinic, starts_at=starts_at, now=now)
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
        patient=patient,
        plan_id=plan_id,
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
    # The patient's aftercare sheet names the next booked visit.
    aftercare_redraw_later(organisation_id=appointment.organisation_id, patient_id=patient.pk)
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
    now: dt.datetime | None = None,
    request=None,
) -> Appointment:
    """Move an appointment; refused if someone else changed it since `expected_version`.

    With `now`, the new start must be after it and within the booking horizon.
    """
    if appointment.organisation_id != scope.organisation_id:
        raise ValidationError(_("Unknown appointment."))
    scope = scope.in_clinic(appointment.clinic_id)
    scope.require("schedule.book")
    if not appointment.is_active or appointment.status in ("arrived", "done"):
        raise ValidationError(_("Only booked or confirmed appointments can be moved."))
    if now is not None:
        booking_window_check(clinic=appointment.clinic, starts_at=starts_at, now=now)
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
            patient=appointment.patient,
            plan_id=appointment.plan_id,
            ignore_id=appointment.pk,
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
            patient=appointment.patient,
            plan_id=appointment.plan_id,
            ignore_id=appointment.pk,
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
    aftercare_redraw_later(
        organisation_id=appointment.organisation_id, patient_id=appointment.patient_id
    )
    return appointment


def _require_session_allows(
    appointment: Appointment, status: str, *, by_signature: bool = False
) -> None:
    from mesoclinic.charting.models import SessionStatus, TreatmentSession

    closing = (AppointmentStatus.CANCELLED, AppointmentStatus.POSTPONED, AppointmentStatus.NO_SHOW)
    if by_signature and status not in closing:
        return  # the signing session itself moves its appointment on
    session_status = (
        TreatmentSession.objects.filter(appointment_id=appointment.pk)
        .values_list("status", flat=True)
        .first()
    )
    is_treatment = bool(appointment.plan_id or appointment.technique_id)
    signed = by_signature or session_status == SessionStatus.SIGNED
    if status == AppointmentStatus.DONE and is_treatment and not signed:
        raise ValidationError(
            _(
                "A treatment appointment is done when the practitioner signs its session; "
                "it cannot be marked done here."
            )
        )
    if (
        status in closing
        and session_status is not None
        and session_status != SessionStatus.POSTPONED
    ):
        raise ValidationError(
            _(
                "The patient has been checked in for this appointment: postpone the "
                "session from its page, or chart and sign it."
            )
        )


@transaction.atomic
def appointment_status_set(
    *,
    scope: Scope,
    appointment: Appointment,
    status: str,
    expected_version: int,
    reason: str = "",
    by_signature: bool = False,
    request=None,
) -> Appointment:
    """Change an appointment's status along the allowed transitions.

    Once a treatment session exists for the appointment, the clinical record decides:
    the appointment is done only when its session is signed (signing sets it), and it
    cannot be cancelled, postponed or marked a no-show while its session is open or
    signed (postponing the session at check-in postpones the appointment).
    `by_signature` is for `session_sign` alone: it sets the appointment done inside the
    signing transaction, just before the session row is saved as signed (the signed row
    keeps a copy of the appointment's final status).
    """
    if appointment.organisation_id != scope.organisation_id:
        raise ValidationError(_("Unknown appointment."))
    scope = scope.in_clinic(appointment.clinic_id)
    scope.require("schedule.book")
    if status not in TRANSITIONS.get(appointment.status, set()):
        raise ValidationError(
            _("An appointment that is %(current)s cannot become %(new)s.")
            % {"current": appointment.get_status_display(), "new": AppointmentStatus(status).label}
        )
    _require_session_allows(appointment, status, by_signature=by_signature)
    if status in ("cancelled", "postponed") and not reason.strip():
        raise ValidationError(
            {
                "reason": _("Say why the appointment is %(status)s.")
                % {"status": AppointmentStatus(status).label}
            }
        )
    changes = {
        "status": status,
        "status_reason": reason.strip(),
        "version": expected_version + 1,
        "updated_at": timezone.now(),
    }
    updated = Appointment.objects.filter(pk=appointment.pk, version=expected_version).update(
        **changes
    )
    if updated == 0:
        raise ValidationError(
            _("Someone else changed this appointment a moment ago. Reload it and try again.")
        )
    if appointment.version == expected_version:
        # The row is what was read (same version) plus these changes: no re-read.
        for name, value in changes.items():
            setattr(appointment, name, value)
    else:
        appointment.refresh_from_db()
    audit_record(
        action=AuditAction.UPDATE,
        request=request,
        scope=scope,
        obj=appointment,
        detail={"status": status, "reason": reason.strip()},
    )
    if not by_signature:  # (signing draws the session's documents itself)
        aftercare_redraw_later(
            organisation_id=appointment.organisation_id, patient_id=appointment.patient_id
        )
    return appointment


def appointment_next_statuses(appointment: Appointment) -> list[str]:
    """The statuses the desk may set next: the allowed transitions the session permits."""
    allowed = []
    for status in sorted(TRANSITIONS.get(appointment.status, ())):
        try:
            _require_session_allows(appointment, status)
        except ValidationError:
            continue
        allowed.append(status)
    return allowed


@transaction.atomic
def plan_appointments_cancel(*, scope: Scope, plan, reason: str, request=None) -> list[Appointment]:
    """Cancel the booked and confirmed appointments of a cancelled plan's course.

    Called when the plan is cancelled (the same transaction): no reminder goes out for
    treatment that will not happen. A patient already checked in keeps the appointment;
    the session cannot be charted or signed once the plan is cancelled.
    """
    if plan.organisation_id != scope.organisation_id:
        raise ValidationError(_("Unknown treatment plan."))
    cancelled = []
    for appointment in (
        Appointment.objects.select_for_update()
        .filter(
            plan_id=plan.pk,
            status__in=(AppointmentStatus.BOOKED, AppointmentStatus.CONFIRMED),
        )
        .select_related("clinic")
    ):
        appointment.status = AppointmentStatus.CANCELLED
        appointment.status_reason = reason[:300]
        appointment.version += 1
        appointment.save(update_fields=["status", "status_reason", "version", "updated_at"])
        audit_record(
            action=AuditAction.UPDATE,
            request=request,
            scope=scope,
            obj=appointment,
            detail={"status": "cancelled", "reason": "plan cancelled"},
        )
        cancelled.append(appointment)
    return cancelled
