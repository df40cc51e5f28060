"""The clinic planner pages: start a background run, watch it, book its proposal, undo."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from mesoclinic.accounts.locales import current_language
from mesoclinic.accounts.models import User
from mesoclinic.accounts.scope import get_in_clinic_or_404
from mesoclinic.audit.models import AuditAction
from mesoclinic.audit.services import audit_record
from mesoclinic.scheduling.clinic_plans import unbooked_plans
from mesoclinic.scheduling.models import PlannerBooking, PlannerRun, PlannerRunStatus, Room
from mesoclinic.scheduling.planner_runs import (
    planner_booking_undo,
    planner_run_book,
    planner_run_cancel,
    planner_run_start,
    run_courses,
)
from mesoclinic.web.dates import iso_days_localised


@login_required
def clinic_planner_view(request):
    scope = request.scope
    scope.require("schedule.book")
    clinic = request.clinic
    if request.method == "POST":
        run = planner_run_start(scope=scope, clinic=clinic, request=request)
        return redirect("scheduling:planner_run", run_id=run.pk)
    context = {
        "clinic": clinic,
        "waiting": len(unbooked_plans(scope=scope, clinic=clinic)),
        "runs": PlannerRun.objects.filter(
            organisation_id=scope.organisation_id, clinic=clinic
        ).select_related("created_by")[:5],
    }
    return render(request, "scheduling/planner.html", context)


def _audit_shown(request, obj, patient_ids) -> None:
    """One read event for the page, listing the patients it shows (one row per page view,
    not per patient; with a single patient the event is filed under that patient too)."""
    shown = sorted(set(patient_ids))
    audit_record(
        action=AuditAction.READ,
        request=request,
        obj=obj,
        patient_id=shown[0] if len(shown) == 1 else None,
        detail={"view": "planner", "patients": shown},
    )


@login_required
def planner_run_view(request, run_id: int):
    scope = request.scope
    run = get_in_clinic_or_404(
        PlannerRun.objects.select_related("clinic"),
        scope,
        permission="schedule.book",
        pk=run_id,
    )
    if request.method == "POST":
        if request.POST.get("action") == "cancel":
            planner_run_cancel(scope=scope, run=run, request=request)
        return redirect("scheduling:planner_run", run_id=run.pk)
    if request.headers.get("HX-Request"):
        response = render(request, "scheduling/_planner_progress.html", {"run": run})
        if run.finished:
            response["HX-Refresh"] = "true"
        return response
    courses = []
    if run.finished and run.status != PlannerRunStatus.FAILED:
        users = {u.pk: u for u in User.objects.filter(organisation_id=scope.organisation_id)}
        rooms = {r.pk: r for r in Room.objects.filter(clinic_id=run.clinic_id)}
        for course in run_courses(run):
            courses.append(
                {
                    "plan": course.plan,
                    "sessions": [
                        {
                            **s,
                            # Shown in the clinic's date format, not as stored (ISO).
                            "day": dt.date.fromisoformat(s["day"]),
                            "practitioner_name": users.get(s["practitioner"]),
                            "room_name": rooms.get(s["room"]),
                        }
                        for s in course.sessions
                    ],
                    "unplaced": [
                        (
                            u["index"],
                            iso_days_localised(u["ru"] if current_language() == "ru" else u["en"]),
                        )
                        for u in course.unplaced
                    ],
                }
            )
        _audit_shown(request, run, [c["plan"].patient_id for c in courses])
    total = run.total or sum(len(c["sessions"]) + len(c["unplaced"]) for c in courses)
    context = {
        "run": run,
        "courses": courses,
        "total": total,
        "complete": sum(1 for c in courses if c["sessions"] and not c["unplaced"]),
        "short": [c for c in courses if c["unplaced"]],
        "bookings": run.bookings.select_related("created_by").order_by("-created_at"),
    }
    return render(request, "scheduling/planner_run.html", context)


@login_required
@require_POST
def planner_run_book_view(request, run_id: int):
    scope = request.scope
    run = get_in_clinic_or_404(
        PlannerRun.objects.select_related("clinic"),
        scope,
        permission="schedule.book",
        pk=run_id,
    )
    plan_ids = None
    if request.POST.get("action") == "selected":
        plan_ids = [int(v) for v in request.POST.getlist("course") if v.isdigit()]
    try:
        booking = planner_run_book(
            scope=scope, run=run, plan_ids=plan_ids, now=timezone.now(), request=request
        )
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect("scheduling:planner_run", run_id=run.pk)
    return redirect("scheduling:planner_booking", booking_id=booking.pk)


@login_required
def planner_booking_view(request, booking_id: int):
    scope = request.scope
    booking = get_in_clinic_or_404(
        PlannerBooking.objects.select_related("run", "created_by", "undone_by"),
        scope,
        permission="schedule.book",
        pk=booking_id,
    )
    if request.method == "POST" and request.POST.get("action") == "undo":
        try:
            n = planner_booking_undo(scope=scope, booking=booking, request=request)
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        else:
            messages.success(
                request,
                ngettext(
                    "Undone: %(n)s appointment cancelled.",
                    "Undone: %(n)s appointments cancelled.",
                    n,
                )
                % {"n": n},
            )
        return redirect("scheduling:planner_booking", booking_id=booking.pk)
    from mesoclinic.consultations.models import TreatmentPlan

    plans = {
        p.pk: p
        for p in TreatmentPlan.objects.filter(
            organisation_id=scope.organisation_id,
            pk__in=[r["plan"] for r in booking.report],
        ).select_related("patient")
    }
    rows = [{**r, "plan_obj": plans.get(r["plan"])} for r in booking.report]
    _audit_shown(request, booking, [p.patient_id for p in plans.values()])
    context = {
        "booking": booking,
        "booked": [r for r in rows if r["booked"]],
        "refused": [r for r in rows if not r["booked"]],
        "sessions": sum(r["booked"] for r in rows),
        "title": _("Booked from the planner"),
    }
    return render(request, "scheduling/planner_booking.html", context)
