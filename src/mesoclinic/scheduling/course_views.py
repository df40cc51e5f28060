"""Pages for booking a whole course in one step and re-planning it after a change."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from mesoclinic.accounts.models import Clinic, User
from mesoclinic.accounts.scope import get_scoped_or_404
from mesoclinic.audit.models import AuditAction
from mesoclinic.audit.services import audit_record
from mesoclinic.consultations.models import TreatmentPlan
from mesoclinic.core import planning as pl
from mesoclinic.scheduling.courses import (
    SessionChoice,
    course_book,
    course_placements,
    course_propose,
    course_replan_apply,
    course_state,
    message_text,
)
from mesoclinic.scheduling.models import Device, Room
from mesoclinic.web.dates import date_check, date_param


def _plan(request, plan_id: int) -> TreatmentPlan:
    return get_scoped_or_404(
        TreatmentPlan.objects.select_related("patient", "practitioner"),
        request.scope,
        permission="schedule.book",
        pk=plan_id,
    )


def _rows(proposal: pl.Plan, clinic: Clinic) -> list[dict]:
    users = {str(u.pk): u for u in User.objects.filter(organisation_id=clinic.organisation_id)}
    rooms = {str(r.pk): r for r in Room.objects.filter(clinic=clinic)}
    devices = {str(d.pk): d for d in Device.objects.filter(clinic=clinic)}
    return [
        {
            "index": p.session_index,
            "day": p.day,
            "start": p.start,
            "end": p.end,
            "practitioner": users.get(p.practitioner_id),
            "room": rooms.get(p.room_id),
            "device": devices.get(p.device_id) if p.device_id else None,
            "outside_window": p.outside_window,
        }
        for p in proposal.placements
    ]


def _parse_choices(post, clinic: Clinic) -> list[SessionChoice]:
    """The sessions as submitted: each row may have been adjusted by the receptionist."""
    choices = []
    for index in post.getlist("session"):
        try:
            day = date_check(dt.date.fromisoformat(post[f"s{index}-day"]))
            start = dt.time.fromisoformat(post[f"s{index}-time"])
            practitioner_id = int(post[f"s{index}-practitioner"])
            session_index = int(index)
        except (KeyError, ValueError, ValidationError) as exc:
            raise ValidationError(
                _("Session %(n)s: give a valid date, time and practitioner.") % {"n": index}
            ) from exc
        unchanged = (
            post.get(f"s{index}-orig") == f"{day.isoformat()} {start:%H:%M} {practitioner_id}"
        )
        try:
            room = int(post[f"s{index}-room"]) if unchanged and post.get(f"s{index}-room") else None
            device = (
                int(post[f"s{index}-device"])
                if unchanged and post.get(f"s{index}-device")
                else None
            )
        except ValueError as exc:
            raise ValidationError(
                _("Session %(n)s: give a valid date, time and practitioner.") % {"n": index}
            ) from exc
        choices.append(
            SessionChoice(
                session_index=session_index,
                starts_at=dt.datetime.combine(day, start, tzinfo=clinic.zone),
                practitioner_id=practitioner_id,
                room_id=room,
                device_id=device,
            )
        )
    return choices


def _course_page(request, plan_id: int, *, replan: bool):
    plan = _plan(request, plan_id)
    audit_record(
        action=AuditAction.READ,
        request=request,
        obj=plan,
        detail={"view": "course_replan" if replan else "course_book"},
    )
    clinic = Clinic.objects.get(pk=plan.clinic_id)
    scope = request.scope
    today = timezone.localdate()
    earliest = None
    if request.GET.get("earliest"):
        earliest = date_param(request.GET["earliest"])
    errors: list[str] = []
    if request.method == "POST":
        try:
            choices = _parse_choices(request.POST, clinic)
            apply = course_replan_apply if replan else course_book
            booked = apply(
                scope=scope,
                plan=plan,
                sessions=choices,
                allow_beyond_max=request.POST.get("relaxed") == "1",
                request=request,
            )
        except ValidationError as exc:
            errors = exc.messages
        else:
            messages.success(
                request,
                _("%(n)s sessions booked for %(patient)s.")
                % {"n": len(booked), "patient": plan.patient},
            )
            return redirect("scheduling:patient", patient_id=plan.patient_id)
    state = course_state(plan=plan)
    proposal = course_propose(scope=scope, plan=plan, today=today, earliest=earliest)
    changes = pl.plan_changes(course_placements(plan=plan), proposal) if replan else []
    practitioners = User.objects.filter(
        organisation_id=scope.organisation_id,
        memberships__clinic=clinic,
        memberships__role="practitioner",
    ).distinct()
    context = {
        "plan": plan,
        "clinic": clinic,
        "state": state,
        "replan": replan,
        "rows": _rows(proposal, clinic),
        "unplaced": [(u.session_index, message_text(u)) for u in proposal.unplaced],
        "nearest_rows": _rows(proposal.nearest, clinic) if proposal.nearest else [],
        "relaxation": message_text(proposal.nearest.relaxation)
        if proposal.nearest and proposal.nearest.relaxation
        else "",
        "changes": changes,
        "practitioners": practitioners,
        "errors": errors,
        "earliest": earliest,
    }
    return render(request, "scheduling/course.html", context)


@login_required
def course_book_view(request, plan_id: int):
    return _course_page(request, plan_id, replan=False)


@login_required
def course_replan_view(request, plan_id: int):
    return _course_page(request, plan_id, replan=True)
