from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from mesoclinic.accounts.locales import current_language
from mesoclinic.accounts.models import Clinic, OpeningHours
from mesoclinic.audit.models import AuditAction
from mesoclinic.audit.services import audit_record
from mesoclinic.patients.selectors import patient_get, patient_list
from mesoclinic.scheduling.courses import patient_courses_to_book
from mesoclinic.scheduling.forms import BookingForm, RescheduleForm, StatusForm, combine
from mesoclinic.scheduling.ics import calendar_feed_ics
from mesoclinic.scheduling.models import AppointmentStatus, CalendarFeed
from mesoclinic.scheduling.selectors import (
    appointment_get,
    appointment_list,
    clinic_practitioners,
    clinic_rooms,
    feed_by_token,
    patient_appointments,
)
from mesoclinic.scheduling.services import (
    appointment_book,
    appointment_next_statuses,
    appointment_reschedule,
    appointment_status_set,
    appointment_warnings,
    calendar_feed_issue,
    calendar_feed_live,
)
from mesoclinic.web.dates import date_param
from mesoclinic.web.forms import form_add_validation_error

SLOT_MIN = 15


def _clinic(request) -> Clinic:
    if request.scope is None or request.clinic is None:
        raise Http404
    request.scope.require("schedule.view")
    return request.clinic


def _opening_bounds(clinic: Clinic, days: list[dt.date]) -> tuple[dt.time, dt.time]:
    """The earliest opening and latest closing over `days`, read in one query.

    A day with no opening hours counts as 09:00 to 18:00.
    """
    weekdays = {d.weekday() for d in days}
    hours = list(
        OpeningHours.objects.filter(clinic=clinic, weekday__in=weekdays).values_list(
            "weekday", "opens", "closes"
        )
    )
    bounds = []
    for weekday in weekdays:
        of_day = [(opens, closes) for w, opens, closes in hours if w == weekday]
        if of_day:
            bounds.append((min(h[0] for h in of_day), max(h[1] for h in of_day)))
        else:
            bounds.append((dt.time(9), dt.time(18)))
    return min(b[0] for b in bounds), max(b[1] for b in bounds)


def _booking_cells(columns: list[dict], rows: list[dt.time], *, day: dt.date) -> list[dict]:
    """One bookable cell per column and slot, with its link and label.

    Built here rather than per cell in the template: the booking address is reversed
    once and only its query differs (a day has hundreds of cells).
    """
    prefix = reverse("scheduling:book")
    book = _("Book")
    times = [t.strftime("%H:%M") for t in rows]
    cells = []
    for ci, c in enumerate(columns):
        query = f"{prefix}?date={(c.get('day') or day).isoformat()}"
        practitioner = c.get("practitioner")
        suffix = f"&practitioner={practitioner.pk}" if practitioner else ""
        name = date_format(c["day"], "DATE_FORMAT") if c.get("day") else c["label"]
        label = f"{book} {name}"
        for ri, hm in enumerate(times):
            cells.append(
                {
                    "style": f"grid-column: {ci + 2}; grid-row: {ri + 2};",
                    "href": f"{query}&time={hm}{suffix}",
                    "label": f"{label} {hm}",
                }
            )
    return cells


def _block_text(a, start: dt.datetime, end: dt.datetime, *, week: bool, statuses: dict) -> dict:
    """The link and the words of one appointment on the calendar.

    Built here, not in the template: a week holds hundreds of appointments, and
    reversing the address and running the time filters for each was most of the page's
    rendering time. The address is reversed once per process and only its id replaced.
    """
    details = [statuses.get(a.status, a.status)]
    if a.session_number:
        details.append(_("session %(n)s") % {"n": a.session_number})
    if week:
        details.append(str(a.practitioner))
    if a.room_id:
        details.append(str(a.room))
    return {
        "href": _appointment_href(a.pk),
        "times": f"{start:%H:%M}–{end:%H:%M}",
        "name": a.patient.full_name,
        "detail": " · ".join(details),
    }


_href_pattern: list[str] = []


def _appointment_href(pk: int) -> str:
    if not _href_pattern:
        _href_pattern.append(reverse("scheduling:appointment", args=[999999999]))
    return _href_pattern[0].replace("999999999", str(pk))


def _zone_differs(request, clinic: Clinic) -> bool:
    """Whether `clinic` keeps another time than the viewer's current clinic."""
    viewer = getattr(request, "clinic", None)
    return viewer is None or viewer.time_zone != clinic.time_zone


def _minutes(t: dt.time) -> int:
    return t.hour * 60 + t.minute


@login_required
def calendar_view(request):
    clinic = _clinic(request)
    scope = request.scope
    today = timezone.localdate()
    day = date_param(request.GET.get("date"), default=today)
    mode = "week" if request.GET.get("view") == "week" else "day"
    by = "room" if request.GET.get("by") == "room" else "practitioner"
    practitioner_id = request.GET.get("practitioner")
    practitioner_id = (
        int(practitioner_id) if practitioner_id and practitioner_id.isdigit() else None
    )
    practitioners = list(clinic_practitioners(scope=scope, clinic=clinic))
    rooms = list(clinic_rooms(scope=scope, clinic=clinic))

    if mode == "week":
        first = day - dt.timedelta(days=day.weekday())
        days = [first + dt.timedelta(days=i) for i in range(7)]
        appts = appointment_list(
            scope=scope,
            clinic=clinic,
            first_day=days[0],
            last_day=days[-1],
            practitioner_id=practitioner_id,
        )
        columns = [{"key": d.isoformat(), "label": d, "day": d} for d in days]
        col_of = lambda a: timezone.localtime(a.starts_at).date().isoformat()  # noqa: E731
        step = dt.timedelta(days=7)
    else:
        days = [day]
        appts = appointment_list(scope=scope, clinic=clinic, first_day=day, last_day=day)
        if by == "room":
            columns = [{"key": f"r{r.pk}", "label": r.name, "room": r} for r in rooms]
            col_of = lambda a: f"r{a.room_id}"  # noqa: E731
        else:
            shown = [p for p in practitioners if not practitioner_id or p.pk == practitioner_id]
            columns = [{"key": f"p{p.pk}", "label": str(p), "practitioner": p} for p in shown]
            col_of = lambda a: f"p{a.practitioner_id}"  # noqa: E731
        step = dt.timedelta(days=1)

    opens, closes = _opening_bounds(clinic, days)
    first_min, last_min = _minutes(opens), _minutes(closes)
    rows = [dt.time((m // 60), m % 60) for m in range(first_min, last_min, SLOT_MIN)]
    index = {c["key"]: i for i, c in enumerate(columns)}
    statuses = {value: str(label) for value, label in AppointmentStatus.choices}
    blocks = []
    for a in appts:
        key = col_of(a)
        if key not in index:
            continue
        start = timezone.localtime(a.starts_at)
        end = timezone.localtime(a.ends_at)
        row_start = max(0, (_minutes(start.time()) - first_min) // SLOT_MIN)
        row_end = max(row_start + 1, -(-(_minutes(end.time()) - first_min) // SLOT_MIN))
        blocks.append(
            {
                "a": a,
                "style": f"grid-column: {index[key] + 2}; "
                f"grid-row: {row_start + 2} / {row_end + 2};",
                **_block_text(a, start, end, week=mode == "week", statuses=statuses),
            }
        )
    can_book = scope.can("schedule.book")
    cells = _booking_cells(columns, rows, day=day) if can_book else []
    context = {
        "clinic": clinic,
        "day": day,
        "week_first": days[0],
        "mode": mode,
        "by": by,
        "columns": columns,
        "rows": [
            {"label": t.strftime("%H:%M") if t.minute == 0 else "", "row": i + 2}
            for i, t in enumerate(rows)
        ],
        "cells": cells,
        "blocks": blocks,
        "prev": (day - step).isoformat(),
        "next": (day + step).isoformat(),
        "today": today.isoformat(),
        "practitioners": practitioners,
        "practitioner_id": practitioner_id,
        "can_book": can_book,
    }
    if request.GET.get("feed"):
        feed = CalendarFeed.objects.filter(
            organisation_id=scope.organisation_id,
            practitioner_id=scope.user_id,
            revoked_at__isnull=True,
        ).first()
        context["my_feed_token"] = feed.token if feed else ""
    template = (
        "scheduling/_calendar.html"
        if request.headers.get("HX-Request")
        else "scheduling/calendar.html"
    )
    return render(request, template, context)


@login_required
def patient_pick_view(request):
    """htmx: patients matching the typed text, as radio buttons for the booking form."""
    query = request.GET.get("q", "").strip()[:100]
    patients = patient_list(scope=request.scope, query=query, limit=10) if query else []
    if query:
        audit_record(
            action=AuditAction.READ,
            request=request,
            detail={"view": "booking_search", "q": query, "count": len(patients)},
        )
    return render(request, "scheduling/_patient_pick.html", {"patients": patients})


@login_required
def book_view(request):
    clinic = _clinic(request)
    scope = request.scope
    scope.require("schedule.book")
    practitioners = clinic_practitioners(scope=scope, clinic=clinic)
    patient = None
    patient_errors: list[str] = []
    patient_id = request.POST.get("patient") or request.GET.get("patient")
    if patient_id and str(patient_id).isdigit():
        patient = patient_get(scope=scope, patient_id=int(patient_id))
        audit_record(action=AuditAction.READ, request=request, obj=patient, detail={"view": "book"})
    if request.method == "POST":
        form = BookingForm(request.POST, practitioners=practitioners, language=current_language())
        valid = form.is_valid()
        if patient is None:
            patient_errors.append(_("Choose the patient."))
        if valid and patient is not None:
            data = form.cleaned_data
            try:
                appointment = appointment_book(
                    scope=scope,
                    patient=patient,
                    practitioner=data["practitioner"],
                    starts_at=combine(data["day"], data["time"], clinic.zone),
                    duration_min=data["duration"],
                    technique_id=data["technique_id"],
                    notes=data["notes"],
                    now=timezone.now(),
                    request=request,
                )
            except ValidationError as exc:
                if hasattr(exc, "error_dict"):
                    for error in exc.error_dict.pop("patient", []):
                        patient_errors.extend(error.messages)
                form_add_validation_error(form, exc)
            else:
                messages.success(request, _("Appointment booked."))
                for warning in appointment_warnings(appointment=appointment):
                    messages.warning(request, warning)
                return redirect(
                    f"{reverse('scheduling:calendar')}?date={data['day'].isoformat()}"
                    f"#appt-{appointment.pk}"
                )
    else:
        initial = {
            "day": date_param(request.GET.get("date"), default=timezone.localdate()),
            "time": request.GET.get("time") or "10:00",
            "duration": 30,
            "practitioner": request.GET.get("practitioner"),
        }
        form = BookingForm(
            initial=initial, practitioners=practitioners, language=current_language()
        )
    return render(
        request,
        "scheduling/book.html",
        {"form": form, "patient": patient, "patient_errors": patient_errors},
    )


@login_required
def appointment_view(request, appointment_id: int):
    appointment = appointment_get(scope=request.scope, appointment_id=appointment_id)
    # The user's roles and the day in the appointment's clinic, not the selected one.
    request.scope = scope = request.scope.in_clinic(appointment.clinic_id)
    timezone.activate(appointment.clinic.zone)
    audit_record(action=AuditAction.READ, request=request, obj=appointment)
    practitioners = clinic_practitioners(scope=scope, clinic=appointment.clinic)
    # Shown and read in the appointment's own clinic's zone, whichever clinic the viewer
    # is working in: submitting the form unchanged must not move the appointment.
    zone = appointment.clinic.zone
    local = appointment.starts_at.astimezone(zone)
    reschedule = RescheduleForm(
        initial={
            "day": local.date(),
            "time": local.time(),
            "practitioner": appointment.practitioner_id,
            "version": appointment.version,
        },
        practitioners=practitioners,
    )
    status_form = StatusForm(initial={"version": appointment.version})
    if request.method == "POST" and scope.can("schedule.book"):
        action = request.POST.get("action")
        try:
            if action == "reschedule":
                reschedule = RescheduleForm(request.POST, practitioners=practitioners)
                if reschedule.is_valid():
                    d = reschedule.cleaned_data
                    appointment_reschedule(
                        scope=scope,
                        appointment=appointment,
                        starts_at=combine(d["day"], d["time"], zone),
                        practitioner=d["practitioner"],
                        expected_version=d["version"],
                        now=timezone.now(),
                        request=request,
                    )
                    messages.success(request, _("Appointment moved."))
                    return redirect("scheduling:appointment", appointment_id=appointment.pk)
            elif action == "status":
                status_form = StatusForm(request.POST)
                if status_form.is_valid():
                    d = status_form.cleaned_data
                    appointment_status_set(
                        scope=scope,
                        appointment=appointment,
                        status=d["status"],
                        reason=d["reason"],
                        expected_version=d["version"],
                        request=request,
                    )
                    messages.success(request, _("Status changed."))
                    return redirect("scheduling:appointment", appointment_id=appointment.pk)
        except ValidationError as exc:
            form_add_validation_error(reschedule if action == "reschedule" else status_form, exc)
    next_statuses = [
        (s, AppointmentStatus(s).label) for s in appointment_next_statuses(appointment)
    ]
    return render(
        request,
        "scheduling/appointment.html",
        {
            "appointment": appointment,
            "reschedule": reschedule,
            "status_form": status_form,
            "next_statuses": next_statuses,
            "can_book": scope.can("schedule.book"),
            "zone_name": appointment.clinic.time_zone,
            "other_zone": _zone_differs(request, appointment.clinic),
            "can_plan": scope.can("plans.create"),
            # A postponed session is not re-booked before the next day.
            "replan_earliest": max(timezone.now().astimezone(zone).date(), local.date())
            + dt.timedelta(days=1),
        },
    )


@login_required
def patient_schedule_view(request, patient_id: int):
    scope = request.scope
    patient = patient_get(scope=scope, patient_id=patient_id)
    audit_record(action=AuditAction.READ, request=request, obj=patient, detail={"view": "schedule"})
    feed = CalendarFeed.objects.filter(
        organisation_id=scope.organisation_id, patient=patient, revoked_at__isnull=True
    ).first()
    return render(
        request,
        "scheduling/patient.html",
        {
            "patient": patient,
            "appointments": patient_appointments(scope=scope, patient_id=patient.pk),
            "courses": patient_courses_to_book(scope=scope, patient=patient),
            "feed": feed,
        },
    )


@login_required
@require_POST
def feed_create_view(request):
    """Create (or show) the calendar feed of the signed-in practitioner or of a patient."""
    scope = request.scope
    scope.require("schedule.view")
    patient_id = request.POST.get("patient")
    if patient_id:
        patient = patient_get(scope=scope, patient_id=patient_id)
        feed = calendar_feed_issue(
            scope=scope, patient=patient, now=timezone.now(), request=request
        )
        audit_record(
            action=AuditAction.EXPORT, request=request, obj=patient, detail={"feed": feed.pk}
        )
        return redirect("scheduling:patient", patient_id=patient.pk)
    calendar_feed_issue(scope=scope, now=timezone.now(), request=request)
    return redirect(f"{reverse('scheduling:calendar')}?feed=1")


def feed_ics_view(request, token: str):
    """The .ics subscription; the secret token is the only credential, so it is audited."""
    feed = feed_by_token(token=token)
    if feed is None or not calendar_feed_live(feed=feed, now=timezone.now()):
        raise Http404
    body = calendar_feed_ics(feed=feed, now=timezone.now())
    audit_record(
        action=AuditAction.EXPORT,
        request=request,
        organisation_id=feed.organisation_id,
        patient_id=feed.patient_id,
        detail={"feed": feed.pk, "format": "ics"},
    )
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="mesoclinic.ics"'
    return response
