"""The clinic planner as the front desk uses it: a background run, booking, undo.

`planner_run_start` records a run and hands it to the task queue (`planner_run_task`):
the web request never plans. The task plans from the clinic's own tomorrow, reports
its progress on the run and stops early when asked. `planner_run_book` books all or
some of the proposed courses, each through `course_book` (so every booking rule and
the database's double-booking refusal still hold), and records what it booked in a
`PlannerBooking`; `planner_booking_undo` cancels exactly those appointments.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from mesoclinic.accounts.models import Clinic, User
from mesoclinic.accounts.scope import Scope, scope_for
from mesoclinic.audit.models import AuditAction
from mesoclinic.audit.services import audit_record
from mesoclinic.core import planning as pl
from mesoclinic.scheduling.clinic_plans import unbooked_plans
from mesoclinic.scheduling.courses import SessionChoice, clinic_problem, course_book
from mesoclinic.scheduling.models import (
    Appointment,
    AppointmentStatus,
    PlannerBooking,
    PlannerRun,
    PlannerRunStatus,
)

log = logging.getLogger(__name__)

PLANNER_WEEKS = 16
# How often a running plan looks at its run row (progress written, cancel read).
POLL_S = 0.5


def planner_run_start(
    *, scope: Scope, clinic: Clinic, now: dt.datetime | None = None, request=None
) -> PlannerRun:
    """Record a planner run for `clinic` from its own tomorrow and queue it."""
    scope.require_in("schedule.book", clinic.pk)
    if clinic.organisation_id != scope.organisation_id:
        raise ValidationError(_("Unknown clinic."))
    now = now or timezone.now()
    # One run at a time per clinic: a second click follows the first. A run older than
    # that (its worker stopped) no longer holds the clinic.
    stale = dt.timedelta(seconds=max(600.0, 3 * settings.PLANNER_TIME_LIMIT_S))
    active = PlannerRun.objects.filter(
        clinic=clinic,
        status__in=(PlannerRunStatus.QUEUED, PlannerRunStatus.RUNNING),
        cancel_requested=False,
        created_at__gte=now - stale,
    ).first()
    if active is not None:
        return active
    first = now.astimezone(clinic.zone).date() + dt.timedelta(days=1)
    run = PlannerRun.objects.create(
        organisation_id=scope.organisation_id,
        clinic=clinic,
        created_by_id=scope.user_id,
        first_day=first,
        last_day=first + dt.timedelta(weeks=PLANNER_WEEKS, days=-1),
    )
    audit_record(
        action=AuditAction.CREATE, request=request, scope=scope, obj=run, detail={"planner": "run"}
    )
    from mesoclinic.scheduling.tasks import planner_run_task

    planner_run_task.enqueue(run.pk)
    run.refresh_from_db()  # an in-process backend has run it already
    return run


def planner_run_cancel(*, scope: Scope, run: PlannerRun, request=None) -> None:
    """Ask a queued or running plan to stop; it keeps the best plan found so far."""
    scope.require_in("schedule.book", run.clinic_id)
    if run.finished:
        return
    PlannerRun.objects.filter(pk=run.pk).update(cancel_requested=True)
    # A run still waiting in the queue never starts.
    PlannerRun.objects.filter(pk=run.pk, status=PlannerRunStatus.QUEUED).update(
        status=PlannerRunStatus.CANCELLED, finished_at=timezone.now()
    )
    audit_record(
        action=AuditAction.UPDATE, request=request, scope=scope, obj=run, detail={"cancel": True}
    )


def _result(plan: pl.Plan, plan_ids: list[int]) -> dict:
    return {
        "courses": plan_ids,
        "placements": [
            {
                "course": int(p.course_id),
                "index": p.session_index,
                "day": p.day.isoformat(),
                "start": p.start.strftime("%H:%M"),
                "end": p.end.strftime("%H:%M"),
                "practitioner": int(p.practitioner_id),
                "room": int(p.room_id) if p.room_id else None,
                "device": int(p.device_id) if p.device_id else None,
            }
            for p in plan.placements
        ],
        "unplaced": [
            {
                "course": int(u.course_id),
                "index": u.session_index,
                "en": u.message_en,
                "ru": u.message_ru,
            }
            for u in plan.unplaced
        ],
    }


def planner_run_execute(run_id: int, *, time_limit_s: float | None = None) -> None:
    """Plan one run (called by the task). Progress and the cancel flag go through the row.

    The search stops after `time_limit_s` (default: settings.PLANNER_TIME_LIMIT_S).
    """
    if time_limit_s is None:
        time_limit_s = settings.PLANNER_TIME_LIMIT_S
    claimed = PlannerRun.objects.filter(pk=run_id, status=PlannerRunStatus.QUEUED).update(
        status=PlannerRunStatus.RUNNING
    )
    if not claimed:
        return
    run = PlannerRun.objects.select_related("clinic", "created_by").get(pk=run_id)
    try:
        scope = scope_for(run.created_by, clinic_id=run.clinic_id, strict=True)
        if scope is None or not scope.can("schedule.book"):
            raise PermissionError("the planner's user may no longer book in this clinic")
        plans = unbooked_plans(scope=scope, clinic=run.clinic)
        problem = clinic_problem(
            clinic=run.clinic, plans=plans, start=run.first_day, end=run.last_day
        )
        total = sum(c.sessions_remaining for c in problem.courses)
        PlannerRun.objects.filter(pk=run_id).update(total=total)
        last = {"at": 0.0, "stop": False}

        def progress(fraction: float, placed: int) -> None:
            PlannerRun.objects.filter(pk=run_id).update(
                percent=max(0, min(100, round(fraction * 100))), placed=placed
            )

        def should_stop() -> bool:
            if time.monotonic() - last["at"] >= POLL_S:
                last["at"] = time.monotonic()
                last["stop"] = PlannerRun.objects.filter(pk=run_id, cancel_requested=True).exists()
            return last["stop"]

        plan = pl.plan_clinic(
            problem, time_limit_s=time_limit_s, seed=0, progress=progress, should_stop=should_stop
        )
        cancelled = PlannerRun.objects.filter(pk=run_id, cancel_requested=True).exists()
        PlannerRun.objects.filter(pk=run_id).update(
            status=PlannerRunStatus.CANCELLED if cancelled else PlannerRunStatus.DONE,
            percent=100,
            placed=len(plan.placements),
            result=_result(plan, [p.pk for p in plans]),
            finished_at=timezone.now(),
        )
    except Exception as exc:  # the run says it failed; the page offers to start again
        log.exception("planner run %s failed", run_id)
        PlannerRun.objects.filter(pk=run_id).update(
            status=PlannerRunStatus.FAILED, error=str(exc)[:2000], finished_at=timezone.now()
        )


@dataclass(frozen=True)
class ProposedCourse:
    plan: object
    sessions: list[dict]
    unplaced: list[dict]


def run_courses(run: PlannerRun) -> list[ProposedCourse]:
    """The run's proposal course by course, with the plans as they are now."""
    from mesoclinic.consultations.models import TreatmentPlan

    result = run.result or {}
    ids = result.get("courses", [])
    plans = {
        p.pk: p
        for p in TreatmentPlan.objects.filter(
            organisation_id=run.organisation_id, clinic_id=run.clinic_id, pk__in=ids
        ).select_related("patient")
    }
    sessions: dict[int, list[dict]] = {}
    for p in result.get("placements", []):
        sessions.setdefault(p["course"], []).append(p)
    unplaced: dict[int, list[dict]] = {}
    for u in result.get("unplaced", []):
        unplaced.setdefault(u["course"], []).append(u)
    return [
        ProposedCourse(
            plan=plans[pk],
            sessions=sorted(sessions.get(pk, []), key=lambda s: s["index"]),
            unplaced=sorted(unplaced.get(pk, []), key=lambda u: u["index"]),
        )
        for pk in ids
        if pk in plans
    ]


@transaction.atomic
def planner_run_book(
    *,
    scope: Scope,
    run: PlannerRun,
    plan_ids: list[int] | None = None,
    now: dt.datetime | None = None,
    request=None,
) -> PlannerBooking:
    """Book the run's proposed courses (all, or those of `plan_ids`), course by course.

    Each course is booked whole or not at all through `course_book`, which checks
    again every session against today's calendar; a course that no longer fits is
    reported with the reason, and the others are booked all the same.
    """
    scope.require_in("schedule.book", run.clinic_id)
    scope = scope.in_clinic(run.clinic_id)
    if run.status not in (PlannerRunStatus.DONE, PlannerRunStatus.CANCELLED):
        raise ValidationError(_("The planner has not finished yet."))
    zone = run.clinic.zone
    wanted = None if plan_ids is None else set(plan_ids)
    booked_ids: list[int] = []
    report: list[dict] = []
    for course in run_courses(run):
        if wanted is not None and course.plan.pk not in wanted:
            continue
        if not course.sessions:
            continue
        choices = [
            SessionChoice(
                session_index=s["index"],
                starts_at=dt.datetime.combine(
                    dt.date.fromisoformat(s["day"]), dt.time.fromisoformat(s["start"]), tzinfo=zone
                ),
                practitioner_id=s["practitioner"],
                room_id=s["room"],
                device_id=s["device"],
            )
            for s in course.sessions
        ]
        try:
            appointments = course_book(
                scope=scope, plan=course.plan, sessions=choices, now=now, request=request
            )
        except ValidationError as exc:
            report.append({"plan": course.plan.pk, "booked": 0, "problems": exc.messages})
        else:
            booked_ids += [a.pk for a in appointments]
            report.append({"plan": course.plan.pk, "booked": len(appointments), "problems": []})
    if not report:
        raise ValidationError(_("Tick at least one course that has sessions to book."))
    booking = PlannerBooking.objects.create(
        organisation_id=scope.organisation_id,
        clinic_id=run.clinic_id,
        run=run,
        created_by_id=scope.user_id,
        appointment_ids=booked_ids,
        report=report,
    )
    audit_record(
        action=AuditAction.CREATE,
        request=request,
        scope=scope,
        obj=booking,
        detail={"planner_booked": booked_ids},
    )
    return booking


@transaction.atomic
def planner_booking_undo(*, scope: Scope, booking: PlannerBooking, request=None) -> int:
    """Cancel exactly what `booking` booked; refused once any of it has moved on.

    An appointment checked in, done, moved or cancelled since stops the whole undo:
    the receptionist cancels the rest one by one. Returns how many were cancelled.
    """
    scope.require_in("schedule.book", booking.clinic_id)
    booking = PlannerBooking.objects.select_for_update().get(pk=booking.pk)
    if booking.undone_at is not None:
        raise ValidationError(_("This booking was undone already."))
    appointments = list(
        Appointment.objects.select_for_update().filter(pk__in=booking.appointment_ids)
    )
    for a in appointments:
        if a.status not in (AppointmentStatus.BOOKED, AppointmentStatus.CONFIRMED):
            raise ValidationError(
                _(
                    "%(patient)s's appointment on %(day)s is no longer just booked (the patient "
                    "arrived, or it was cancelled or postponed): nothing was undone."
                )
                % {
                    "patient": a.patient,
                    "day": formats.date_format(
                        a.starts_at.astimezone(a.clinic.zone), "SHORT_DATETIME_FORMAT"
                    ),
                }
            )
    for a in appointments:
        Appointment.objects.filter(pk=a.pk, version=a.version).update(
            status=AppointmentStatus.CANCELLED,
            status_reason=_("Planner booking undone"),
            version=a.version + 1,
        )
        audit_record(
            action=AuditAction.UPDATE,
            request=request,
            scope=scope,
            obj=a,
            detail={"status": "cancelled", "reason": "planner booking undone"},
        )
    booking.undone_at = timezone.now()
    booking.undone_by = User.objects.get(pk=scope.user_id)
    booking.save(update_fields=["undone_at", "undone_by"])
    audit_record(
        action=AuditAction.UPDATE,
        request=request,
        scope=scope,
        obj=booking,
        detail={"undone": [a.pk for a in appointments]},
    )
    return len(appointments)
