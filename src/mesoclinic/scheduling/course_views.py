"""Pages for booking a whole course in one step and re-planning it after a change."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from mesoclinic.accounts.models import Clinic, User
from mesoclinic.accounts.scope import get_in_clinic_or_404
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
    session_key,
)
from mesoclinic.scheduling.models import CourseTerms, Device, Room, RoomFeature
from mesoclinic.scheduling.services import appointment_warnings, course_terms_set
from mesoclinic.web.dates import BoundedDateField, date_check, date_param
from mesoclinic.web.forms import DateInput, form_add_validation_error


class CourseTermsForm(forms.Form):
    same_practitioner = forms.BooleanField(
        label=gettext_lazy("The same practitioner for every session"),
        required=False,
        help_text=gettext_lazy("The patient asked for it: never booked with anyone else."),
    )
    latest_finish = BoundedDateField(
        label=gettext_lazy("Last session no later than"), required=False, widget=DateInput()
    )
    room_needs = forms.MultipleChoiceField(
        label=gettext_lazy("The room must have"),
        choices=RoomFeature.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )


def _plan(request, plan_id: int) -> TreatmentPlan:
    return get_in_clinic_or_404(
        TreatmentPlan.objects.select_related("patient", "practitioner"),
        request.scope,
        permission="schedule.book",
        pk=plan_id,
    )


def _rows(proposal: pl.Plan, clinic: Clinic) -> list[dict]:
    users = {str(u.pk): u for u in User.objects.filter(organisation_id=clinic.organisation_id)}
    rooms = {str(r.pk): r for r in Room.objects.filter(clinic=clinic)}
    devices = {str(d.pk): d for d in Device.objects.filter(clinic=clinic)}
    rows = []
    for p in proposal.placements:
        practitioner = users.get(p.practitioner_id)
        room = rooms.get(p.room_id)
        device = devices.get(p.device_id) if p.device_id else None
        rows.append(
            {
                "index": p.session_index,
                "day": p.day,
                "start": p.start,
                "end": p.end,
                "practitioner": practitioner,
                "room": room,
                "device": device,
                "outside_window": p.outside_window,
                # What the form's inputs hold: ISO values, whatever the page's language.
                "day_value": p.day.isoformat(),
                "time_value": f"{p.start:%H:%M}",
                "practitioner_id": practitioner.pk if practitioner else None,
                "orig": f"{p.day.isoformat()} {p.start:%H:%M} {p.practitioner_id}",
                "room_id": room.pk if room else "",
                "device_id": device.pk if device else "",
                "errors": [],
            }
        )
    return rows


def _posted_rows(post, clinic: Clinic) -> list[dict]:
    """The rows as the receptionist submitted them, to show again exactly as typed."""
    rooms = {str(r.pk): r for r in Room.objects.filter(clinic=clinic)}
    devices = {str(d.pk): d for d in Device.objects.filter(clinic=clinic)}
    rows = []
    for index in post.getlist("session"):
        if not index.isdigit():
            continue
        practitioner = post.get(f"s{index}-practitioner", "")
        room_id = post.get(f"s{index}-room", "")
        device_id = post.get(f"s{index}-device", "")
        rows.append(
            {
                "index": int(index),
                "day_value": post.get(f"s{index}-day", "")[:10],
                "time_value": post.get(f"s{index}-time", "")[:5],
                "practitioner_id": int(practitioner) if practitioner.isdigit() else None,
                "orig": post.get(f"s{index}-orig", "")[:40],
                "room_id": room_id if room_id.isdigit() else "",
                "device_id": device_id if device_id.isdigit() else "",
                "room": rooms.get(room_id),
                "device": devices.get(device_id),
                "errors": [],
            }
        )
    return rows


def _parse_row(row: dict, clinic: Clinic) -> SessionChoice:
    """One submitted row as a session choice; a ValidationError names what is wrong."""
    try:
        day = date_check(dt.date.fromisoformat(row["day_value"]))
    except (ValueError, ValidationError) as exc:
        raise ValidationError(_("Give a valid date.")) from exc
    try:
        start = dt.time.fromisoformat(row["time_value"])
    except ValueError as exc:
        raise ValidationError(_("Give a valid start time.")) from exc
    if row["practitioner_id"] is None:
        raise ValidationError(_("Choose the practitioner."))
    unchanged = row["orig"] == f"{day.isoformat()} {start:%H:%M} {row['practitioner_id']}"
    try:
        room_id = int(row["room_id"]) if unchanged and row["room_id"] else None
        device_id = int(row["device_id"]) if unchanged and row["device_id"] else None
    except ValueError as exc:
        # Only a hand-edited page sends these: the page's own values are ids.
        raise ValidationError(_("Choose the room and device again.")) from exc
    return SessionChoice(
        session_index=row["index"],
        starts_at=dt.datetime.combine(day, start, tzinfo=clinic.zone),
        practitioner_id=row["practitioner_id"],
        room_id=room_id,
        device_id=device_id,
    )


def _seen(post) -> dict[int, int]:
    """The course's future appointments as the re-plan page showed them (id -> version)."""
    seen = {}
    for item in post.getlist("seen"):
        pk, _sep, version = item.partition(":")
        if pk.isdigit() and version.isdigit():
            seen[int(pk)] = int(version)
    return seen


def _submit(request, plan, clinic: Clinic, *, replan: bool) -> tuple[list, list[dict], list[str]]:
    """Book (or re-plan) the submitted rows: (booked, rows with their errors, other errors)."""
    rows = _posted_rows(request.POST, clinic)
    choices = []
    for row in rows:
        try:
            choices.append(_parse_row(row, clinic))
        except ValidationError as exc:
            row["errors"].extend(exc.messages)
    if not rows:
        return [], rows, [_("Nothing to book.")]
    if any(row["errors"] for row in rows):
        return [], rows, []
    extra = {"expected_versions": _seen(request.POST)} if replan else {}
    apply = course_replan_apply if replan else course_book
    try:
        booked = apply(
            scope=request.scope,
            plan=plan,
            sessions=choices,
            allow_beyond_max=request.POST.get("relaxed") == "1",
            now=timezone.now(),
            request=request,
            **extra,
        )
    except ValidationError as exc:
        by_key = {session_key(row["index"]): row for row in rows}
        general: list[str] = []
        if hasattr(exc, "error_dict"):
            for key, errors in exc.error_dict.items():
                target = by_key[key]["errors"] if key in by_key else general
                for error in errors:
                    target.extend(error.messages)
        else:
            general.extend(exc.messages)
        return [], rows, general
    return booked, rows, []


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
    today = timezone.now().astimezone(clinic.zone).date()
    earliest = None
    if request.GET.get("earliest"):
        earliest = date_param(request.GET["earliest"])
    errors: list[str] = []
    posted_rows = None
    current = CourseTerms.objects.filter(plan_id=plan.pk).first()
    terms_form = CourseTermsForm(
        initial={
            "same_practitioner": current.same_practitioner,
            "latest_finish": current.latest_finish,
            "room_needs": current.room_needs,
        }
        if current
        else None,
        prefix="terms",
    )
    if request.method == "POST" and request.POST.get("action") == "terms":
        terms_form = CourseTermsForm(request.POST, prefix="terms")
        if terms_form.is_valid():
            try:
                course_terms_set(
                    scope=scope, plan=plan, today=today, request=request, **terms_form.cleaned_data
                )
            except ValidationError as exc:
                form_add_validation_error(terms_form, exc)
            else:
                messages.success(request, _("Saved."))
                return redirect(request.path)
    elif request.method == "POST":
        booked, posted_rows, errors = _submit(request, plan, clinic, replan=replan)
        if booked:
            messages.success(
                request,
                _("%(n)s sessions booked for %(patient)s.")
                % {"n": len(booked), "patient": plan.patient},
            )
            for appointment in booked:
                for warning in appointment_warnings(appointment=appointment):
                    messages.warning(
                        request,
                        _("Session %(n)s: %(warning)s")
                        % {"n": appointment.session_number, "warning": warning},
                    )
            return redirect("scheduling:patient", patient_id=plan.patient_id)
        if request.POST.get("relaxed") == "1":
            # The relaxed plan has no editable rows: its problems go on top, and the
            # proposal is shown again.
            errors = errors + [e for row in posted_rows for e in row["errors"]]
            posted_rows = None
    state = course_state(plan=plan)
    already_booked = bool(state.future) and not replan
    # Proposals start tomorrow: today's free slots may already be past by the time the
    # receptionist books (a same-day visit is booked on its own).
    proposal = course_propose(
        scope=scope, plan=plan, today=today + dt.timedelta(days=1), earliest=earliest
    )
    changes = pl.plan_changes(course_placements(plan=plan), proposal) if replan else []
    practitioners = User.objects.filter(
        organisation_id=scope.organisation_id,
        memberships__clinic=clinic,
        memberships__role="practitioner",
    ).distinct()
    rows = posted_rows if posted_rows is not None else _rows(proposal, clinic)
    context = {
        "plan": plan,
        "clinic": clinic,
        "state": state,
        "replan": replan,
        "already_booked": already_booked,
        "rows": [] if already_booked else rows,
        "unplaced": []
        if already_booked
        else [(u.session_index, message_text(u)) for u in proposal.unplaced],
        "nearest_rows": _rows(proposal.nearest, clinic)
        if proposal.nearest and not already_booked
        else [],
        "relaxation": message_text(proposal.nearest.relaxation)
        if proposal.nearest and proposal.nearest.relaxation
        else "",
        "changes": changes,
        "practitioners": practitioners,
        "errors": errors,
        "earliest": earliest,
        "terms_form": terms_form,
    }
    return render(request, "scheduling/course.html", context)


@login_required
def course_book_view(request, plan_id: int):
    return _course_page(request, plan_id, replan=False)


@login_required
def course_replan_view(request, plan_id: int):
    return _course_page(request, plan_id, replan=True)
