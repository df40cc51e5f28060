"""Booking a course's accepted sessions, and applying a re-plan, all or none.

Every session goes through `appointment_book`, so every booking rule (the clinic's
hard rules included) and the database's double-booking refusal still hold.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from mesoclinic.accounts.models import Clinic, User
from mesoclinic.accounts.scope import Scope
from mesoclinic.audit.models import AuditAction
from mesoclinic.audit.services import audit_record
from mesoclinic.scheduling.courses.proposal import SessionChoice
from mesoclinic.scheduling.courses.state import _session_minutes, course_state
from mesoclinic.scheduling.models import Appointment, AppointmentStatus, Device, Room
from mesoclinic.scheduling.services import appointment_book


def _interval_problems(
    plan, sessions: list[SessionChoice], last_done: dt.date | None, zone, *, allow_beyond_max: bool
) -> dict[int, list[str]]:
    """Each session's interval problem (session index -> messages)."""
    problems: dict[int, list[str]] = {}
    previous = last_done
    for choice in sorted(sessions, key=lambda c: c.session_index):
        day = choice.starts_at.astimezone(zone).date()
        if previous is not None:
            gap = (day - previous).days
            if gap < plan.interval_min_days:
                problems.setdefault(choice.session_index, []).append(
                    _(
                        "Session %(n)s would be %(gap)s days after the previous one; "
                        "the plan needs at least %(min)s."
                    )
                    % {"n": choice.session_index, "gap": gap, "min": plan.interval_min_days}
                )
            if gap > plan.interval_max_days and not allow_beyond_max:
                problems.setdefault(choice.session_index, []).append(
                    _(
                        "Session %(n)s would be %(gap)s days after the previous one; "
                        "the plan allows at most %(max)s."
                    )
                    % {"n": choice.session_index, "gap": gap, "max": plan.interval_max_days}
                )
        previous = day
    return problems


def session_key(index: int) -> str:
    """The key of one session's problems in a course booking's ValidationError."""
    return f"session-{index}"


@transaction.atomic
def course_book(
    *,
    scope: Scope,
    plan,
    sessions: list[SessionChoice],
    allow_beyond_max: bool = False,
    now: dt.datetime | None = None,
    request=None,
) -> list[Appointment]:
    """Book the accepted sessions of a course, all or none.

    The minimum interval is never crossed; the maximum only when the receptionist
    explicitly accepts a relaxed proposal (`allow_beyond_max`). Sessions already booked
    count: a course is never booked twice. Every session is checked, and the
    ValidationError names each failing session under `session_key(n)`, so the page
    can show every row's problem beside that row. With `now`, each start must be
    after it and within the booking horizon.
    """
    scope.require("schedule.book")
    if plan.organisation_id != scope.organisation_id:
        raise ValidationError(_("Unknown treatment plan."))
    from mesoclinic.consultations.models import TreatmentPlan

    # Two receptionists booking the same course take turns: the second sees the first's.
    plan_status = (
        TreatmentPlan.objects.select_for_update()
        .filter(pk=plan.pk)
        .values_list("status", flat=True)
    )
    if plan_status.first() != "active":
        raise ValidationError(
            _("Only an active plan (screened, with a signed consent) can be booked.")
        )
    state = course_state(plan=plan)
    if len(sessions) > state.unbooked:
        if state.future:
            raise ValidationError(
                _(
                    "%(booked)s sessions of this course are booked already and %(free)s "
                    "are left to book; re-plan the course to change the booked ones."
                )
                % {"booked": len(state.future), "free": state.unbooked}
            )
        raise ValidationError(_("The plan has only %(n)s sessions left.") % {"n": state.remaining})
    clinic = Clinic.objects.get(pk=plan.clinic_id)
    problems = _interval_problems(
        plan, sessions, state.last_done, clinic.zone, allow_beyond_max=allow_beyond_max
    )
    booked = []
    technique = plan.technique_ids[0] if plan.technique_ids else ""
    minutes = _session_minutes(plan)
    for choice in sorted(sessions, key=lambda c: c.session_index):
        if choice.session_index in problems:
            continue
        try:
            booked.append(
                appointment_book(
                    scope=scope,
                    patient=plan.patient,
                    practitioner=User.objects.get(
                        pk=choice.practitioner_id, organisation_id=scope.organisation_id
                    ),
                    starts_at=choice.starts_at,
                    duration_min=minutes,
                    technique_id=technique,
                    room=Room.objects.filter(pk=choice.room_id, clinic=clinic).first()
                    if choice.room_id
                    else None,
                    device=Device.objects.filter(pk=choice.device_id, clinic=clinic).first()
                    if choice.device_id
                    else None,
                    plan_id=plan.pk,
                    session_number=choice.session_index,
                    now=now,
                    request=request,
                )
            )
        except ValidationError as exc:
            problems.setdefault(choice.session_index, []).append(
                _("Session %(n)s: %(problem)s")
                % {"n": choice.session_index, "problem": " ".join(exc.messages)}
            )
    if problems:
        # Nothing is kept: the transaction rolls back the sessions that did fit.
        raise ValidationError({session_key(n): msgs for n, msgs in sorted(problems.items())})
    audit_record(
        action=AuditAction.CREATE,
        request=request,
        scope=scope,
        obj=plan,
        detail={"course_booked": [a.pk for a in booked]},
    )
    return booked


@transaction.atomic
def course_replan_apply(
    *,
    scope: Scope,
    plan,
    sessions: list[SessionChoice],
    expected_versions: dict[int, int] | None = None,
    allow_beyond_max: bool = False,
    now: dt.datetime | None = None,
    request=None,
) -> list[Appointment]:
    """Replace the course's future appointments by the accepted re-plan, all or none.

    `expected_versions` (appointment id -> version) are the future appointments the
    re-plan was made from, as the page showed them. An appointment changed since (moved,
    confirmed, cancelled, or a new one booked) stops the whole re-plan: it is never
    left standing beside its replacement.
    """
    scope.require("schedule.book")
    state = course_state(plan=plan)
    for appointment in state.future:
        if appointment.status == AppointmentStatus.ARRIVED:
            raise ValidationError(_("A session of this course is in progress; finish it first."))
    changed = _changed_since(state.future, expected_versions)
    if changed is not None:
        raise ValidationError(
            _(
                "Someone else changed session %(n)s of this course a moment ago. "
                "Reload the page and re-plan again."
            )
            % {"n": changed}
        )
    for appointment in state.future:
        cancelled = Appointment.objects.filter(
            pk=appointment.pk, version=appointment.version, status=appointment.status
        ).update(
            status=AppointmentStatus.CANCELLED,
            status_reason=_("Re-planned"),
            version=appointment.version + 1,
        )
        if cancelled == 0:
            raise ValidationError(
                _(
                    "Someone else changed session %(n)s of this course a moment ago. "
                    "Reload the page and re-plan again."
                )
                % {"n": appointment.session_number or "?"}
            )
        audit_record(
            action=AuditAction.UPDATE,
            request=request,
            scope=scope,
            obj=appointment,
            detail={"status": "cancelled", "reason": "re-planned"},
        )
    return course_book(
        scope=scope,
        plan=plan,
        sessions=sessions,
        allow_beyond_max=allow_beyond_max,
        now=now,
        request=request,
    )


def _changed_since(future, expected_versions: dict[int, int] | None) -> int | str | None:
    """The session number of the first future appointment not as the page showed it."""
    if expected_versions is None:
        return None
    current = {a.pk: a for a in future}
    for pk, appointment in current.items():
        if expected_versions.get(pk) != appointment.version:
            return appointment.session_number or "?"
    gone = set(expected_versions) - set(current)
    if gone:
        vanished = Appointment.objects.filter(pk__in=gone).order_by("starts_at").first()
        return (vanished.session_number if vanished else None) or "?"
    return None
