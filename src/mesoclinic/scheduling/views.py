from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from mesoclinic.accounts.locales import current_language
from mesoclinic.accounts.models import Clinic
from mesoclinic.audit.models import AuditAction
from mesoclinic.audit.services import audit_record
from mesoclinic.patients.selectors import patient_get, patient_list
from mesoclinic.scheduling.calendar_grid import (
    SLOT_MIN,
    grid_columns,
    hour_labels,
    opening_bounds,
)
from mesoclinic.scheduling.courses import patient_courses_to_book
from mesoclinic.scheduling.forms import BookingForm, RescheduleForm, StatusForm, combine
from mesoclinic.scheduling.ics import calendar_feed_ics
from mesoclinic.scheduling.models import AppointmentStatus, CalendarFeed
from mesoclinic.scheduling.selectors import (
    appointment_get,
    calendar_appointments,
    clinic_practitioners,
    clinic_rooms,
    feed_by_token,
    patient_appointments,
    users_by_id,
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


def _clinic(request) -> Clinic:
    if request.scope is None or request.clinic is None:
        raise Http404
    request.scope.require("schedule.view")
    return request.clinic


def _zone_differs(request, clinic: Clinic) -> bool:
    """Whether `clinic` keeps another time than the viewer's current clinic."""
    viewer = getattr(request, "clinic", None)
    return viewer is None or viewer.time_zone != clinic.time_zone


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

    if mode == "week":
        first = day - dt.timedelta(days=day.weekday())
        days = [first + dt.timedelta(days=i) for i in range(7)]
        columns = [{"key": d, "day": d} for d in days]
        step = dt.timedelta(days=7)
    else:
        days = [day]
        if by == "room":
            rooms = clinic_rooms(scope=scope, clinic=clinic)
            columns = [{"key": f"r{r.pk}", "label": r.name, "room": r} for r in rooms]
        else:
            shown = [p for p in practitioners if not practitioner_id or p.pk == practitioner_id]
            columns = [{"key": f"p{p.pk}", "label": str(p), "practitioner": p} for p in shown]
        for c in columns:
            c["date"] = day
        step = dt.timedelta(days=1)
    appointments = list(
        calendar_appointments(
            scope=scope,
            clinic=clinic,
            first_day=days[0],
            last_day=days[-1],
            practitioner_id=practitioner_id if mode == "week" else None,
        )
    )
    if appointments:
        # The calendar shows patients' names: one audit event per view names them.
        audit_record(
            action=AuditAction.READ,
            request=request,
            detail={
                "view": "calendar",
                "patients": sorted({a["patient_id"] for a in appointments}),
            },
        )
    names = {p.pk: str(p) for p in practitioners}
    if mode == "week":
        # A practitioner who has left the clinic still has their past appointments.
        gone = {a["practitioner_id"] for a in appointments} - names.keys()
        if gone:
            names |= {u.pk: str(u) for u in users_by_id(scope=scope, ids=gone)}
    opens, closes = opening_bounds(clinic, days)
    first_min = opens.hour * 60 + opens.minute
    last_min = closes.hour * 60 + closes.minute
    can_book = scope.can("schedule.book")
    context = {
        "clinic": clinic,
        "day": day,
        "week_first": days[0],
        "mode": mode,
        "by": by,
        "columns": grid_columns(
            columns,
            appointments,
            by="day" if mode == "week" else by,
            first_min=first_min,
            practitioner_names=names,
            practitioner_id=practitioner_id,
        ),
        "row_count": -(-(last_min - first_min) // SLOT_MIN),
        "first_minute": first_min,
        "hours": hour_labels(first_min, last_min),
        "prev": (day - step).isoformat(),
        "next": (day + step).isoformat(),
        "today": today.isoformat(),
        "practitioners": practitioners,
        "practitioner_id": practitioner_id,
        "can_book": can_book,
        "book": _("Book"),
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
