"""Online booking: the eligibility gate, proposed dates within the interval window, the series."""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import formats
from django.utils.translation import gettext as _

from mesoclinic.accounts.models import Clinic, OpeningHours, Role
from mesoclinic.audit.models import AuditAction
from mesoclinic.audit.services import audit_record
from mesoclinic.consultations.engine import plan_screen
from mesoclinic.core.knowledge import load_knowledge
from mesoclinic.patients.models import Patient
from mesoclinic.patients.selectors import screening_facts
from mesoclinic.portal.models import (
    ChangeKind,
    OnlineBooking,
    OnlineChange,
    OnlineService,
    PortalSettings,
    ServiceKind,
)
from mesoclinic.portal.services.access import portal_actor, portal_scope
from mesoclinic.scheduling.models import ACTIVE_STATUSES, Appointment, AppointmentStatus
from mesoclinic.scheduling.services import (
    appointment_book,
    appointment_reschedule,
    appointment_status_set,
    slot_check,
)

# The nominal dose screened online: eligibility is about the patient, the dose is the
# clinician's decision at the visit (and is screened then).
NOMINAL_DOSE_ML = 0.1
STEP_MIN = 30


def clinic_settings(clinic: Clinic) -> PortalSettings:
    found = PortalSettings.objects.filter(clinic=clinic).first()
    return found or PortalSettings(organisation_id=clinic.organisation_id, clinic=clinic)


def interval_window(service: OnlineService) -> tuple[int, int]:
    """Days allowed between two sessions of the service's course (the protocol's window)."""
    protocol = load_knowledge().protocol.get(service.protocol_id) if service.protocol_id else None
    if protocol is None:
        return (7, 14)
    return (protocol.interval_days.min, protocol.interval_days.max)


@dataclass(frozen=True)
class Eligibility:
    level: str  # ok, warn, postpone, block
    warnings: list[str]
    knowledge_version: str

    @property
    def stops(self) -> bool:
        return self.level in ("block", "postpone")


def eligibility_check(*, patient: Patient, service: OnlineService, today: dt.date) -> Eligibility:
    """Screen the patient's recorded and reported facts against the service's treatment.

    A consultation is never stopped: it is how a patient talks to the clinic. The
    verdicts' plain-language messages are kept for the clinician; the patient sees only
    whether they may book.
    """
    kb = load_knowledge()
    if service.kind == ServiceKind.CONSULTATION or not service.technique_id:
        return Eligibility("ok", [], kb.version)
    scope = portal_scope(patient=patient, clinic=service.clinic, roles=frozenset({Role.NURSE}))
    facts, procedures, _unscreened = screening_facts(scope=scope, patient=patient)
    from mesoclinic.consultations.engine import visit_facts

    protocol = kb.protocol.get(service.protocol_id) if service.protocol_id else None
    zones = list(service.zones) or (list(protocol.zones[:1]) if protocol else [])
    level, verdicts, version = plan_screen(
        patient=facts,
        visit=visit_facts(findings=(), zones=zones, procedures=procedures),
        zones=zones,
        technique_ids=[service.technique_id],
        product_doses={service.product_id: NOMINAL_DOSE_ML} if service.product_id else {},
        sessions=service.sessions,
        protocol_id=service.protocol_id or None,
        today=today,
    )
    warnings = [{"en": v.message.en, "ru": v.message.ru} for v in verdicts if v.level == "warn"]
    return Eligibility(level, warnings, version)


def _free(*, service: OnlineService, patient: Patient, starts_at: dt.datetime) -> bool:
    ends_at = starts_at + dt.timedelta(minutes=service.duration_min)
    scope = portal_scope(
        patient=patient, clinic=service.clinic, roles=frozenset({Role.RECEPTIONIST})
    )
    if slot_check(
        scope=scope,
        clinic=service.clinic,
        practitioner=service.practitioner,
        starts_at=starts_at,
        ends_at=ends_at,
        technique_id=service.technique_id,
        room=None,
        device=None,
        patient=patient,
    ):
        return False
    busy = Appointment.objects.filter(
        status__in=ACTIVE_STATUSES, starts_at__lt=ends_at, ends_at__gt=starts_at
    )
    return (
        not busy.filter(practitioner=service.practitioner).exists()
        and not busy.filter(patient=patient).exists()
    )


def first_free(
    *, service: OnlineService, patient: Patient, day: dt.date, not_before: dt.datetime
) -> dt.datetime | None:
    """The first free start on `day` in the clinic's opening hours, or None."""
    zone = service.clinic.zone
    for opens, closes in OpeningHours.objects.filter(
        clinic=service.clinic, weekday=day.weekday()
    ).values_list("opens", "closes"):
        moment = dt.datetime.combine(day, opens, tzinfo=zone)
        end = dt.datetime.combine(day, closes, tzinfo=zone)
        while moment + dt.timedelta(minutes=service.duration_min) <= end:
            if moment >= not_before and _free(service=service, patient=patient, starts_at=moment):
                return moment
            moment += dt.timedelta(minutes=STEP_MIN)
    return None


def earliest(*, service: OnlineService, now: dt.datetime) -> dt.datetime:
    return now + dt.timedelta(hours=clinic_settings(service.clinic).lead_time_hours)


def dates_propose(
    *, service: OnlineService, patient: Patient, now: dt.datetime
) -> list[dt.datetime]:
    """A first free start after the lead time, then one per session inside the interval window.

    Each later session is placed on the first day of its window with a free start;
    a course whose window has no free day is not proposed (empty list).
    """
    low, high = interval_window(service)
    start = earliest(service=service, now=now)
    zone = service.clinic.zone
    day = start.astimezone(zone).date()
    proposal: list[dt.datetime] = []
    for offset in range(60):
        found = first_free(
            service=service, patient=patient, day=day + dt.timedelta(days=offset), not_before=start
        )
        if found:
            proposal.append(found)
            break
    if not proposal:
        return []
    for _session in range(service.sessions - 1):
        base = proposal[-1].astimezone(zone).date()
        for gap in range(low, high + 1):
            found = first_free(
                service=service,
                patient=patient,
                day=base + dt.timedelta(days=gap),
                not_before=start,
            )
            if found:
                proposal.append(found)
                break
        else:
            return []
    return proposal


def _day(moment: dt.datetime, zone) -> str:
    return formats.date_format(moment.astimezone(zone).date(), "SHORT_DATE_FORMAT")


def series_check(*, service: OnlineService, starts: list[dt.datetime], now: dt.datetime) -> None:
    """Refuse a series off the lead time or outside the course's interval window."""
    zone = service.clinic.zone
    if len(starts) != service.sessions:
        raise ValidationError(_("Choose a date for every session."))
    if starts[0] < earliest(service=service, now=now):
        raise ValidationError(
            _("Online bookings start %(hours)s hours from now at the earliest.")
            % {"hours": clinic_settings(service.clinic).lead_time_hours}
        )
    low, high = interval_window(service)
    for before, after in itertools.pairwise(starts):
        gap = (after.astimezone(zone).date() - before.astimezone(zone).date()).days
        if not low <= gap <= high:
            raise ValidationError(
                _(
                    "%(after)s is %(gap)s days after %(before)s; sessions of this course are "
                    "%(low)s to %(high)s days apart."
                )
                % {
                    "after": _day(after, zone),
                    "before": _day(before, zone),
                    "gap": gap,
                    "low": low,
                    "high": high,
                }
            )


@transaction.atomic
def series_book(
    *,
    patient: Patient,
    service: OnlineService,
    starts: list[dt.datetime],
    now: dt.datetime,
    request=None,
) -> OnlineBooking:
    """Book the whole series or nothing, after the eligibility gate; warnings go to the clinic."""
    if service.organisation_id != patient.organisation_id or not service.published:
        raise ValidationError(_("This service cannot be booked online."))
    today = now.astimezone(service.clinic.zone).date()
    gate = eligibility_check(patient=patient, service=service, today=today)
    if gate.stops:
        raise ValidationError(_("Please talk to us before booking this treatment."))
    series_check(service=service, starts=starts, now=now)
    scope = portal_scope(
        patient=patient, clinic=service.clinic, roles=frozenset({Role.RECEPTIONIST})
    )
    appointments = []
    for number, starts_at in enumerate(starts, start=1):
        try:
            appointments.append(
                appointment_book(
                    scope=scope,
                    patient=patient,
                    practitioner=service.practitioner,
                    starts_at=starts_at,
                    duration_min=service.duration_min,
                    technique_id=service.technique_id,
                    session_number=number if service.sessions > 1 else None,
                    notes=_("Booked online: %(service)s") % {"service": service.name},
                    now=now,
                    request=request,
                )
            )
        except ValidationError as exc:
            # The clinic's rules say why (the patient's hours, the practitioner's daily
            # maximum, the room's cleaning...): the patient can act on that.
            raise ValidationError(
                _("%(day)s cannot be booked: %(why)s Choose another time. Nothing was booked.")
                % {"day": _day(starts_at, service.clinic.zone), "why": " ".join(exc.messages)}
            ) from exc
    booking = OnlineBooking.objects.create(
        organisation_id=patient.organisation_id,
        clinic=service.clinic,
        patient=patient,
        service=service,
        appointment_ids=[a.pk for a in appointments],
        screening_level=gate.level,
        warnings=gate.warnings,
        knowledge_version=gate.knowledge_version,
        booked_at=now,
    )
    audit_record(
        action=AuditAction.CREATE,
        request=request,
        actor=portal_actor(organisation_id=patient.organisation_id),
        organisation_id=patient.organisation_id,
        obj=booking,
        patient_id=patient.pk,
        detail={"appointments": booking.appointment_ids, "level": gate.level},
    )
    return booking


@transaction.atomic
def appointment_cancel_online(
    *, patient: Patient, appointment: Appointment, now: dt.datetime, request=None
) -> Appointment:
    """A patient cancels a visit of theirs, no later than the clinic's policy allows."""
    if appointment.patient_id != patient.pk:
        raise ValidationError(_("Unknown appointment."))
    hours = clinic_settings(appointment.clinic).change_until_hours
    if appointment.starts_at - now < dt.timedelta(hours=hours):
        raise ValidationError(
            _("Visits can be changed online up to %(hours)s hours before. Please call the clinic.")
            % {"hours": hours}
        )
    scope = portal_scope(
        patient=patient, clinic=appointment.clinic, roles=frozenset({Role.RECEPTIONIST})
    )
    old_starts_at = appointment.starts_at
    cancelled = appointment_status_set(
        scope=scope,
        appointment=appointment,
        status=AppointmentStatus.CANCELLED,
        expected_version=appointment.version,
        reason=_("Cancelled by the patient online"),
        request=request,
    )
    _change_record(
        patient=patient,
        appointment=cancelled,
        kind=ChangeKind.CANCEL,
        old_starts_at=old_starts_at,
        now=now,
        request=request,
    )
    return cancelled


def _change_record(
    *, patient, appointment, kind, old_starts_at, now, request=None, new_starts_at=None
) -> OnlineChange:
    """The clinic hears of it: a row on the front desk's "From the patient portal" panel."""
    change = OnlineChange.objects.create(
        organisation_id=patient.organisation_id,
        clinic_id=appointment.clinic_id,
        patient=patient,
        appointment=appointment,
        kind=kind,
        old_starts_at=old_starts_at,
        new_starts_at=new_starts_at,
        changed_at=now,
    )
    audit_record(
        action=AuditAction.CREATE,
        request=request,
        actor=portal_actor(organisation_id=patient.organisation_id),
        organisation_id=patient.organisation_id,
        obj=change,
        patient_id=patient.pk,
        detail={
            "portal": True,
            "appointment": appointment.pk,
            "kind": kind,
            "from": old_starts_at.isoformat(),
            "to": new_starts_at.isoformat() if new_starts_at else None,
        },
    )
    return change


def _course_of(appointment: Appointment) -> tuple[list[Appointment], tuple[int, int]] | None:
    """The other visits of the appointment's course and the days allowed between two, or
    None for a visit that is not part of a course."""
    for booking in OnlineBooking.objects.filter(patient_id=appointment.patient_id).select_related(
        "service"
    ):
        if appointment.pk in booking.appointment_ids and len(booking.appointment_ids) > 1:
            others = Appointment.objects.filter(
                pk__in=booking.appointment_ids, status__in=ACTIVE_STATUSES
            ).exclude(pk=appointment.pk)
            return list(others), interval_window(booking.service)
    if appointment.plan_id:
        from mesoclinic.consultations.models import TreatmentPlan

        plan = TreatmentPlan.objects.filter(
            pk=appointment.plan_id, patient_id=appointment.patient_id
        ).first()
        if plan is not None and plan.sessions > 1:
            others = Appointment.objects.filter(
                patient_id=appointment.patient_id,
                plan_id=plan.pk,
                status__in=ACTIVE_STATUSES,
            ).exclude(pk=appointment.pk)
            return list(others), (plan.interval_min_days, plan.interval_max_days)
    return None


def course_check(*, appointment: Appointment, starts_at: dt.datetime) -> None:
    """Refuse a new date that puts the visit too close to, or too far from, the course's
    visits before and after it."""
    course = _course_of(appointment)
    if course is None:
        return
    others, (low, high) = course
    zone = appointment.clinic.zone
    before = [a for a in others if a.starts_at < starts_at]
    after = [a for a in others if a.starts_at >= starts_at]
    pairs = []
    if before:
        pairs.append((max(before, key=lambda a: a.starts_at).starts_at, starts_at))
    if after:
        pairs.append((starts_at, min(after, key=lambda a: a.starts_at).starts_at))
    for first, second in pairs:
        gap = (second.astimezone(zone).date() - first.astimezone(zone).date()).days
        if not low <= gap <= high:
            other = first if second == starts_at else second
            raise ValidationError(
                _(
                    "%(day)s is %(gap)s days from your visit on %(other)s; visits of this "
                    "course are %(low)s to %(high)s days apart."
                )
                % {
                    "day": _day(starts_at, zone),
                    "other": _day(other, zone),
                    "gap": gap,
                    "low": low,
                    "high": high,
                }
            )


@transaction.atomic
def appointment_reschedule_online(
    *,
    patient: Patient,
    appointment: Appointment,
    starts_at: dt.datetime,
    now: dt.datetime,
    request=None,
) -> Appointment:
    """A patient moves a visit of theirs within the clinic's policy: not later than the
    policy allows before the visit, not closer than that to now, and inside the course's
    interval windows with the visits before and after it. All or nothing; the clinic is
    told on the front desk's home page."""
    if appointment.patient_id != patient.pk:
        raise ValidationError(_("Unknown appointment."))
    if appointment.status not in (AppointmentStatus.BOOKED, AppointmentStatus.CONFIRMED):
        raise ValidationError(
            _("This visit can no longer be moved online. Please call the clinic.")
        )
    policy = clinic_settings(appointment.clinic)
    hours = policy.change_until_hours
    if appointment.starts_at - now < dt.timedelta(hours=hours):
        raise ValidationError(
            _("Visits can be changed online up to %(hours)s hours before. Please call the clinic.")
            % {"hours": hours}
        )
    soonest = max(hours, policy.lead_time_hours)
    if starts_at - now < dt.timedelta(hours=soonest):
        raise ValidationError(
            _("Choose a time at least %(hours)s hours from now.") % {"hours": soonest}
        )
    if starts_at == appointment.starts_at:
        raise ValidationError(_("This is the time already booked: choose another."))
    course_check(appointment=appointment, starts_at=starts_at)
    scope = portal_scope(
        patient=patient, clinic=appointment.clinic, roles=frozenset({Role.RECEPTIONIST})
    )
    old_starts_at = appointment.starts_at
    try:
        moved = appointment_reschedule(
            scope=scope,
            appointment=appointment,
            starts_at=starts_at,
            expected_version=appointment.version,
            now=now,
            request=request,
        )
    except ValidationError as exc:
        raise ValidationError(
            _("%(day)s at %(time)s is not available: %(why)s Choose another time.")
            % {
                "day": _day(starts_at, appointment.clinic.zone),
                "time": starts_at.astimezone(appointment.clinic.zone).strftime("%H:%M"),
                "why": " ".join(exc.messages),
            }
        ) from exc
    _change_record(
        patient=patient,
        appointment=moved,
        kind=ChangeKind.RESCHEDULE,
        old_starts_at=old_starts_at,
        new_starts_at=moved.starts_at,
        now=now,
        request=request,
    )
    return moved
