"""Booking whole treatment courses: from a plan to appointments, and re-planning.

The shell half of course booking. `course_problem` turns the clinic's rooms, devices,
practitioners' hours, credentials and absences, holidays and existing appointments
into the planner's plain data; the planner core (`mesoclinic.core.planning`) proposes;
`course_book` and `course_replan_apply` store the accepted proposal atomically through
`appointment_book`, so every booking rule and the database's double-booking refusal
still hold.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from mesoclinic.accounts.models import Clinic, OpeningHours, Role, User
from mesoclinic.accounts.scope import Scope
from mesoclinic.audit.models import AuditAction
from mesoclinic.audit.services import audit_record
from mesoclinic.core import planning as pl
from mesoclinic.core.knowledge import load_knowledge
from mesoclinic.scheduling.models import (
    ACTIVE_STATUSES,
    Absence,
    Appointment,
    AppointmentStatus,
    CourseTerms,
    Credential,
    Device,
    Holiday,
    PatientAvailability,
    PractitionerBreak,
    PractitionerLimit,
    Room,
    WorkingHours,
)
from mesoclinic.scheduling.services import appointment_book

DEFAULT_SESSION_MINUTES = 45
RELAX_DAYS = 14


@dataclass(frozen=True)
class CourseState:
    """Where a plan's course stands: signed sessions and the future appointments it holds."""

    sessions_total: int
    sessions_done: int
    last_done: dt.date | None
    future: tuple[Appointment, ...]

    @property
    def remaining(self) -> int:
        return max(0, self.sessions_total - self.sessions_done)

    @property
    def unbooked(self) -> int:
        """Sessions neither signed nor held by a future appointment."""
        return max(0, self.remaining - len(self.future))


def course_state(*, plan) -> CourseState:
    """The course of `plan` as the clinical record has it.

    A session counts as done when its chart is signed, whatever any appointment's
    status says: a status is set at the desk, a signature only by the practitioner.
    """
    from mesoclinic.charting.models import SessionStatus, TreatmentSession

    signed_days = list(
        TreatmentSession.objects.filter(plan_id=plan.pk, status=SessionStatus.SIGNED).values_list(
            "session_date", flat=True
        )
    )
    future = tuple(
        Appointment.objects.filter(
            plan_id=plan.pk,
            status__in=(
                AppointmentStatus.BOOKED,
                AppointmentStatus.CONFIRMED,
                AppointmentStatus.ARRIVED,
            ),
        )
        .select_related("clinic")
        .order_by("starts_at")
    )
    return CourseState(plan.sessions, len(signed_days), max(signed_days, default=None), future)


def _weekly(rows) -> dict[int, tuple[pl.TimeRange, ...]]:
    hours: dict[int, list[pl.TimeRange]] = {}
    for weekday, start, end in rows:
        hours.setdefault(weekday, []).append(pl.TimeRange(start, end))
    return {d: tuple(sorted(r, key=lambda t: t.start)) for d, r in hours.items()}


def _session_minutes(plan) -> int:
    protocol = load_knowledge().protocol.get(plan.protocol_id) if plan.protocol_id else None
    minutes = getattr(protocol, "session_minutes", None) or DEFAULT_SESSION_MINUTES
    return max(15, int(minutes))


def _days(start: dt.date, end: dt.date):
    day = start
    while day <= end:
        yield day
        day += dt.timedelta(days=1)


def _previous_practitioner(plan) -> str | None:
    """Who gave the course's latest session that took place."""
    last = (
        Appointment.objects.filter(
            plan_id=plan.pk, status__in=(AppointmentStatus.DONE, AppointmentStatus.ARRIVED)
        )
        .order_by("-starts_at")
        .values_list("practitioner_id", flat=True)
        .first()
    )
    return str(last) if last else None


def _course(plan, *, start: dt.date, availability, terms=None) -> pl.Course:
    """One plan's remaining sessions as a planner course."""
    technique = plan.technique_ids[0] if plan.technique_ids else ""
    kb_technique = load_knowledge().technique.get(technique)
    needs_device = kb_technique is not None and kb_technique.kind == "needle-free"
    state = course_state(plan=plan)
    preferred_times: tuple[pl.TimeRange, ...] = ()
    if availability and availability.preferred_from and availability.preferred_until:
        preferred_times = (pl.TimeRange(availability.preferred_from, availability.preferred_until),)
    available_times: tuple[pl.TimeRange, ...] = ()
    if availability and availability.available_from and availability.available_until:
        available_times = (pl.TimeRange(availability.available_from, availability.available_until),)
    return pl.Course(
        id=str(plan.pk),
        patient_id=str(plan.patient_id),
        technique=technique,
        duration_min=_session_minutes(plan),
        sessions_remaining=state.remaining,
        sessions_done=state.sessions_done,
        min_interval_days=plan.interval_min_days,
        max_interval_days=plan.interval_max_days,
        preferred_gap_days=plan.preferred_interval_days,
        device_kind=technique if needs_device else None,
        previous_session_date=state.last_done,
        earliest_start=max(start, plan.target_start) if not state.sessions_done else start,
        preferred_practitioner=str(plan.practitioner_id) if plan.practitioner_id else None,
        preferred_weekdays=frozenset(availability.preferred_weekdays)
        if availability
        else frozenset(),
        preferred_times=preferred_times,
        unavailable_dates=frozenset(
            dt.date.fromisoformat(d)
            for d in (availability.unavailable_dates if availability else [])
        ),
        same_practitioner=bool(terms and terms.same_practitioner),
        previous_practitioner=_previous_practitioner(plan)
        if terms and terms.same_practitioner and state.sessions_done
        else None,
        available_weekdays=frozenset(availability.available_weekdays)
        if availability
        else frozenset(),
        available_times=available_times,
        room_needs=frozenset(terms.room_needs) if terms else frozenset(),
        latest_finish=terms.latest_finish if terms else None,
    )


def clinic_problem(
    *, clinic: Clinic, plans, start: dt.date, end: dt.date, free: tuple[Appointment, ...] = ()
) -> pl.Problem:
    """The planner's view of `clinic` over [start, end] with the courses of `plans`.

    Appointments in `free` (the courses' own future sessions, when re-planning) do not
    count as busy. Practitioners' recurring breaks and partial-day absences become busy
    intervals; a device serves every technique it lists.
    """
    plans = list(plans)
    zone = clinic.zone
    opening = _weekly(
        OpeningHours.objects.filter(clinic=clinic).values_list("weekday", "opens", "closes")
    )
    practitioners = []
    busy: list[pl.Busy] = []
    users = User.objects.filter(
        memberships__clinic=clinic, memberships__role=Role.PRACTITIONER, is_active=True
    ).distinct()
    for user in users:
        own = WorkingHours.objects.filter(practitioner=user, clinic=clinic).values_list(
            "weekday", "starts", "ends"
        )
        absent = set()
        for a in Absence.objects.filter(practitioner=user, last_day__gte=start, first_day__lte=end):
            for day in _days(max(a.first_day, start), min(a.last_day, end)):
                if a.starts is not None and a.ends is not None:
                    busy.append(pl.Busy("practitioner", str(user.pk), day, a.starts, a.ends))
                else:
                    absent.add(day)
        breaks = list(
            PractitionerBreak.objects.filter(practitioner=user, clinic=clinic).values_list(
                "weekday", "starts", "ends"
            )
        )
        for day in _days(start, end) if breaks else ():
            for weekday, b_start, b_end in breaks:
                if day.weekday() == weekday:
                    busy.append(pl.Busy("practitioner", str(user.pk), day, b_start, b_end))
        limit = PractitionerLimit.objects.filter(practitioner=user, clinic=clinic).first()
        practitioners.append(
            pl.Practitioner(
                id=str(user.pk),
                working_hours=_weekly(own) if own else opening,
                credentials=frozenset(
                    Credential.objects.filter(practitioner=user).values_list(
                        "technique_id", flat=True
                    )
                ),
                absences=frozenset(absent),
                name=str(user),
                max_sessions_per_day=limit.max_sessions_per_day if limit else None,
                max_minutes_per_day=limit.max_minutes_per_day if limit else None,
            )
        )
    wanted = [t for plan in plans for t in plan.technique_ids[:1]]
    devices = []
    for d in Device.objects.filter(clinic=clinic, active=True):
        kind = next((t for t in wanted if t in d.technique_ids), None)
        if kind is not None:
            devices.append(
                pl.Device(id=str(d.pk), kind=kind, name=d.name, kinds=frozenset(d.technique_ids))
            )
    rooms = tuple(
        pl.Room(
            id=str(r.pk),
            name=r.name,
            features=frozenset(r.features),
            cleaning_buffer_min=r.cleaning_buffer_min,
        )
        for r in Room.objects.filter(clinic=clinic, active=True)
    )
    window_start = dt.datetime.combine(start, dt.time.min, tzinfo=zone)
    window_end = dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=zone)
    free_ids = {a.pk for a in free}
    patient_ids = {plan.patient_id for plan in plans}
    existing = Appointment.objects.filter(
        status__in=ACTIVE_STATUSES, starts_at__lt=window_end, ends_at__gt=window_start
    ).filter(
        # Practitioners may work in several clinics and patients go anywhere: their
        # appointments elsewhere are busy too; rooms and devices are this clinic's.
        models_q_for(
            clinic=clinic, practitioner_ids=[p.id for p in practitioners], patient_ids=patient_ids
        )
    )
    for a in existing:
        if a.pk in free_ids:
            continue
        s, e = a.starts_at.astimezone(zone), a.ends_at.astimezone(zone)
        if s.date() != e.date():
            continue
        for resource, rid in (
            ("practitioner", a.practitioner_id),
            ("room", a.room_id if a.clinic_id == clinic.pk else None),
            ("device", a.device_id if a.clinic_id == clinic.pk else None),
            ("patient", a.patient_id if a.patient_id in patient_ids else None),
        ):
            if rid is not None:
                busy.append(pl.Busy(resource, str(rid), s.date(), s.time(), e.time()))
    availability = {
        a.patient_id: a for a in PatientAvailability.objects.filter(patient_id__in=patient_ids)
    }
    terms = {t.plan_id: t for t in CourseTerms.objects.filter(plan_id__in=[p.pk for p in plans])}
    return pl.Problem(
        start=start,
        end=end,
        opening_hours=opening,
        practitioners=tuple(practitioners),
        rooms=rooms,
        devices=tuple(devices),
        courses=tuple(
            _course(
                plan,
                start=start,
                availability=availability.get(plan.patient_id),
                terms=terms.get(plan.pk),
            )
            for plan in plans
        ),
        busy=tuple(busy),
        holidays=frozenset(
            Holiday.objects.filter(clinic=clinic, day__gte=start, day__lte=end).values_list(
                "day", flat=True
            )
        ),
        timezone=clinic.time_zone,
        slot_minutes=15,
    )


def course_problem(
    *, clinic: Clinic, plan, start: dt.date, end: dt.date, free: tuple[Appointment, ...] = ()
) -> tuple[pl.Problem, pl.Course]:
    """The planner's view of `clinic` over [start, end] and the course of `plan`."""
    problem = clinic_problem(clinic=clinic, plans=[plan], start=start, end=end, free=free)
    return problem, problem.courses[0]


def models_q_for(*, clinic: Clinic, practitioner_ids: list[str], patient_ids: set[int]):
    from django.db.models import Q

    return (
        Q(clinic=clinic)
        | Q(practitioner_id__in=[int(p) for p in practitioner_ids])
        | Q(patient_id__in=patient_ids)
    )


def _horizon(plan, start: dt.date, remaining: int) -> dt.date:
    return start + dt.timedelta(days=plan.interval_max_days * max(1, remaining) + RELAX_DAYS + 7)


def course_propose(
    *, scope: Scope, plan, today: dt.date, earliest: dt.date | None = None
) -> pl.Plan:
    """Propose dates and times for the plan's remaining sessions, from `earliest` on."""
    scope.require("schedule.book")
    if plan.organisation_id != scope.organisation_id:
        raise ValidationError(_("Unknown treatment plan."))
    clinic = Clinic.objects.get(pk=plan.clinic_id)
    state = course_state(plan=plan)
    start = max(
        filter(None, [today, earliest, plan.target_start if not state.sessions_done else None])
    )
    problem, course = course_problem(
        clinic=clinic,
        plan=plan,
        start=start,
        end=_horizon(plan, start, state.remaining),
        free=state.future,
    )
    return pl.propose_course(problem, course, max_relax_days=RELAX_DAYS)


@dataclass(frozen=True)
class SessionChoice:
    """One session as accepted (or adjusted) by the receptionist."""

    session_index: int
    starts_at: dt.datetime
    practitioner_id: int
    room_id: int | None = None
    device_id: int | None = None


def choices_from_plan(proposal: pl.Plan, clinic: Clinic) -> list[SessionChoice]:
    return [
        SessionChoice(
            session_index=p.session_index,
            starts_at=dt.datetime.combine(p.day, p.start, tzinfo=clinic.zone),
            practitioner_id=int(p.practitioner_id),
            room_id=int(p.room_id) if p.room_id else None,
            device_id=int(p.device_id) if p.device_id else None,
        )
        for p in proposal.placements
    ]


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


def course_placements(*, plan) -> list[pl.Placement]:
    """The plan's future appointments as planner placements (the 'before' of a re-plan)."""
    out = []
    for a in course_state(plan=plan).future:
        s, e = a.starts_at.astimezone(a.clinic.zone), a.ends_at.astimezone(a.clinic.zone)
        out.append(
            pl.Placement(
                course_id=str(plan.pk),
                session_index=a.session_number or 0,
                day=s.date(),
                start=s.time(),
                end=e.time(),
                practitioner_id=str(a.practitioner_id),
                room_id=str(a.room_id or ""),
                device_id=str(a.device_id) if a.device_id else None,
            )
        )
    return out


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


def message_text(msg) -> str:
    """A planner message (a Message, or an Unplaced or Relaxation with its message_en/_ru)
    in the user's language, its days in the user's date format."""
    from mesoclinic.web.dates import iso_days_localised

    ru = (get_language() or "en").startswith("ru")
    if hasattr(msg, "message_en"):
        text = msg.message_ru if ru else msg.message_en
    else:
        text = msg.ru if ru else msg.en
    return iso_days_localised(text)


def patient_courses_to_book(*, scope: Scope, patient) -> list[tuple[object, CourseState]]:
    """The patient's active plans with sessions neither signed nor booked, and their state."""
    from mesoclinic.consultations.models import TreatmentPlan

    if not scope.can("schedule.book"):
        return []
    out = []
    for plan in TreatmentPlan.objects.filter(
        organisation_id=scope.organisation_id, patient=patient, status="active"
    ).order_by("pk"):
        state = course_state(plan=plan)
        if state.unbooked:
            out.append((plan, state))
    return out
