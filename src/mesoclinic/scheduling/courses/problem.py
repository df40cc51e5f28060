"""The planner's view of a clinic: rooms, devices, staff, calendar and courses as plain data.

`clinic_problem` turns the clinic's rooms, devices, practitioners' hours, credentials,
breaks, limits and absences, holidays, the patients' availability, the courses' terms
and existing appointments into the planner core's `Problem`.
"""

from __future__ import annotations

import datetime as dt

from mesoclinic.accounts.models import Clinic, OpeningHours, Role, User
from mesoclinic.core import planning as pl
from mesoclinic.core.knowledge import load_knowledge
from mesoclinic.scheduling.courses.state import (
    _previous_practitioner,
    _session_minutes,
    course_state,
)
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
    WorkingHours,
)


def _weekly(rows) -> dict[int, tuple[pl.TimeRange, ...]]:
    hours: dict[int, list[pl.TimeRange]] = {}
    for weekday, start, end in rows:
        hours.setdefault(weekday, []).append(pl.TimeRange(start, end))
    return {d: tuple(sorted(r, key=lambda t: t.start)) for d, r in hours.items()}


def _days(start: dt.date, end: dt.date):
    day = start
    while day <= end:
        yield day
        day += dt.timedelta(days=1)


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
                # A practitioner's daily maximum is per clinic: this clinic's
                # appointments count toward it (`booking_rules_check` counts the same).
                session = resource == "practitioner" and a.clinic_id == clinic.pk
                busy.append(
                    pl.Busy(resource, str(rid), s.date(), s.time(), e.time(), session=session)
                )
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
