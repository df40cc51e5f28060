"""Pages of the session day: day view, check-in, charting with live totals, signature."""

from __future__ import annotations

import datetime as dt
import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from mesoclinic.accounts.locales import base_language, current_language
from mesoclinic.audit.models import AuditAction
from mesoclinic.audit.services import audit_record
from mesoclinic.charting import screening as sc
from mesoclinic.charting import services
from mesoclinic.charting.aftercare import aftercare_pdf
from mesoclinic.charting.forms import (
    AddendumForm,
    AftercareDurationsForm,
    CheckinForm,
    OverrideForm,
    ScreeningSettingsForm,
    SideEffectForm,
)
from mesoclinic.charting.maps import chart_maps
from mesoclinic.charting.models import SessionStatus
from mesoclinic.charting.pictures import chart_pictures
from mesoclinic.charting.selectors import (
    aftercare_items,
    day_sessions,
    lots_for_charting,
    patient_flags,
    session_get,
)
from mesoclinic.consultations.engine import kb as knowledge
from mesoclinic.consultations.models import TreatmentPlan
from mesoclinic.portal.selectors import reported_to_confirm
from mesoclinic.scheduling.models import Device
from mesoclinic.scheduling.selectors import appointment_get
from mesoclinic.web.dates import date_param
from mesoclinic.web.forms import form_add_validation_error

ROW_FIELDS = (
    "zone_id",
    "technique_id",
    "depth_mm",
    "needle_gauge",
    "needle_length_mm",
    "points",
    "spacing_mm",
    "lot_id",
    "volume_ml",
    "device_id",
    "device_params",
)


def _clinic(request):
    if request.scope is None or request.clinic is None:
        raise Http404
    request.scope.require("patients.view_clinical")
    return request.clinic


def _session(request, session_id: int, *, write: bool = False):
    """The session (404 outside the user's clinics), with the scope moved to its clinic.

    Everything the page then checks or does uses the user's roles in the session's
    clinic, never those of the clinic they have selected. With `write`, only the
    session and its clinic are read: the service reads it again, locked.
    """
    if request.scope is None:
        raise Http404
    if write:
        session = session_get(scope=request.scope, session_id=session_id, related=("clinic",))
    else:
        session = session_get(scope=request.scope, session_id=session_id)
    request.scope = request.scope.in_clinic(session.clinic_id)
    timezone.activate(session.clinic.zone)  # its day and times are the clinic's
    return session


def _today(request) -> dt.date:
    return timezone.localdate()


def _errors(exc: ValidationError) -> list[str]:
    return exc.messages


@login_required
def day_view(request):
    clinic = _clinic(request)
    today = _today(request)
    day = date_param(request.GET.get("date"), default=today)
    mine = request.GET.get("mine") == "1"
    rows = day_sessions(
        scope=request.scope,
        clinic=clinic,
        day=day,
        practitioner_id=request.user.pk if mine else None,
    )
    if rows:
        audit_record(
            action=AuditAction.READ,
            request=request,
            detail={
                "view": "sessions_day",
                "patients": sorted({r.appointment.patient_id for r in rows}),
            },
        )
    return render(
        request,
        "charting/day.html",
        {
            "rows": rows,
            "day": day,
            "today": today,
            "mine": mine,
            "previous": day - dt.timedelta(days=1),
            "next": day + dt.timedelta(days=1),
        },
    )


@login_required
def checkin_view(request, appointment_id: int):
    if request.scope is None:
        raise Http404
    appointment = appointment_get(scope=request.scope, appointment_id=appointment_id)
    request.scope = scope = request.scope.in_clinic(appointment.clinic_id)
    timezone.activate(appointment.clinic.zone)
    scope.require("patients.edit_clinical")
    audit_record(
        action=AuditAction.READ, request=request, obj=appointment, detail={"view": "checkin"}
    )
    session = getattr(appointment, "treatment_session", None)
    if session is not None and session.status in (SessionStatus.SIGNED, SessionStatus.POSTPONED):
        return redirect("charting:session", session_id=session.pk)
    plan = (
        TreatmentPlan.objects.filter(
            pk=appointment.plan_id, organisation_id=scope.organisation_id
        ).first()
        if appointment.plan_id
        else None
    )
    kb = knowledge()
    language = base_language(appointment.patient.preferred_language)
    questions = sc.visit_questions(kb=kb, product_ids=plan.product_ids if plan else [])
    form = CheckinForm(
        request.POST or None,
        questions=questions,
        kb=kb,
        language=language,
        zones=tuple(plan.zones) if plan else (),
    )
    if request.method == "POST" and form.is_valid():
        try:
            session = services.session_checkin(
                scope=scope,
                appointment=appointment,
                answers=form.answers(),
                now=timezone.now(),
                request=request,
            )
        except ValidationError as exc:
            form_add_validation_error(form, exc)
        else:
            return redirect("charting:session", session_id=session.pk)
    return render(
        request,
        "charting/checkin.html",
        {
            "appointment": appointment,
            "plan": plan,
            "form": form,
            "language": language,
            "flags": patient_flags(scope=scope, patient=appointment.patient),
            "can_plan": scope.can("plans.create"),
            "reported": reported_to_confirm(scope=scope, patient=appointment.patient),
        },
    )


def _session_context(request, session) -> dict:
    kb = knowledge()
    entries = list(
        session.entries.select_related("lot__product", "device").prefetch_related(
            "sites__lot", "sites__photo"
        )
    )
    zones = list(dict.fromkeys(e.zone_id for e in entries))
    lang = current_language()
    pictures, numbered = chart_pictures(
        entries=entries, zone_names={z: e.name.get(lang) for z, e in kb.zone.items()}
    )
    return {
        "pictures": pictures,
        "numbered": numbered,
        "session": session,
        "patient": session.patient,
        "entries": entries,
        "screening": session.screening_result,
        "chart_screening": session.chart_screening,
        "can_override": request.scope.can("screening.override"),
        "can_chart": request.scope.can("sessions.chart"),
        "override_form": OverrideForm(),
        "addendum_form": AddendumForm(),
        "side_effect_form": SideEffectForm(
            kb=kb, zones=zones, language=current_language(), initial={"onset_on": _today(request)}
        ),
        "addenda": session.addenda.select_related("author"),
        "side_effects": session.side_effects.select_related("recorded_by"),
        "flags": patient_flags(scope=request.scope, patient=session.patient),
        "aftercare": aftercare_items(session=session, language=current_language())
        if session.is_signed
        else [],
        "screened_today": services.clinic_today(session.clinic, session.screened_at)
        == _today(request),
        "replan_url": replan_url(session) if session.plan_id else "",
    }


@login_required
def session_view(request, session_id: int):
    session = _session(request, session_id)
    audit_record(action=AuditAction.READ, request=request, obj=session)
    return render(request, "charting/session.html", _session_context(request, session))


def _post_service(request, session_id: int, call, success: str, *, write: bool = False):
    session = _session(request, session_id, write=write)
    try:
        call(session)
    except ValidationError as exc:
        for message in _errors(exc):
            messages.error(request, message)
    else:
        messages.success(request, success)
    return redirect("charting:session", session_id=session.pk)


@login_required
@require_POST
def override_view(request, session_id: int):
    form = OverrideForm(request.POST)
    reason = form.data.get("reason", "")
    return _post_service(
        request,
        session_id,
        lambda s: services.session_override(
            scope=request.scope, session=s, reason=reason, now=timezone.now(), request=request
        ),
        _("Screening overridden; the reason is kept on the record."),
    )


@login_required
@require_POST
def override_cosign_view(request, session_id: int):
    return _post_service(
        request,
        session_id,
        lambda s: services.session_override_cosign(
            scope=request.scope, session=s, now=timezone.now(), request=request
        ),
        _("Override co-signed."),
    )


@login_required
@require_POST
def postpone_view(request, session_id: int):
    session = _session(request, session_id)
    try:
        session = services.session_postpone(
            scope=request.scope, session=session, now=timezone.now(), request=request
        )
    except ValidationError as exc:
        for message in _errors(exc):
            messages.error(request, message)
    else:
        messages.success(request, _("The session is postponed."))
    return redirect("charting:session", session_id=session.pk)


def _posted_rows(request) -> list[services.EntryForm]:
    columns = {name: request.POST.getlist(name) for name in ROW_FIELDS}
    count = len(columns["zone_id"])
    # Rows carry a key their placed points name; a form without keys names rows by position.
    keys = request.POST.getlist("row_key") or [""] * count
    if any(len(values) != count for values in [*columns.values(), keys]):
        raise ValidationError(_("The chart was sent incompletely. Reload the page and try again."))
    return [
        services.EntryForm(**{name: columns[name][i] for name in ROW_FIELDS}, key=keys[i])
        for i in range(count)
    ]


def _posted_points(request) -> list[services.PointForm]:
    """The placed points: one posted value per field and point, in the same order."""
    columns = {name: request.POST.getlist(name) for name in services.POINT_FIELDS}
    count = len(columns["point_row"])
    if any(len(values) != count for values in columns.values()):
        raise ValidationError(_("The chart was sent incompletely. Reload the page and try again."))
    return [
        services.PointForm(
            **{name.removeprefix("point_"): columns[name][i] for name in services.POINT_FIELDS}
        )
        for i in range(count)
    ]


def _keyed(rows, points) -> list[dict]:
    """Each row with its key and its placed points, for the chart page."""
    out = []
    for index, row in enumerate(rows):
        key = row.key.strip() or str(index)
        out.append({"r": row, "key": key, "points": [p for p in points if p.row == key]})
    return out


def _baseline_photos(request, session, lang: str) -> list[dict]:
    """The patient's first photograph of each zone and view: pictures to place points on."""
    from mesoclinic.photos.selectors import photos_visible

    kb = knowledge()
    seen: dict[tuple[str, str], object] = {}
    for photo in photos_visible(scope=request.scope, patient=session.patient).order_by(
        "taken_at", "id"
    ):
        seen.setdefault((photo.zone_id, photo.view_id), photo)
    return [
        {
            "photo": photo,
            "zone_name": kb.zone[zone].name.get(lang) if zone in kb.zone else "",
            "view_name": kb.photo_view[view].name.get(lang) if view in kb.photo_view else "",
        }
        for (zone, view), photo in seen.items()
    ]


def _chart_context(request, session, rows, points=(), *, errors=(), check=None) -> dict:
    kb = knowledge()
    lang = current_language()
    zone_names = {z: entry.name.get(lang) for z, entry in kb.zone.items()}
    techniques = [(t, entry.name.get(lang), entry.kind) for t, entry in kb.technique.items()]
    lots = lots_for_charting(
        scope=request.scope, clinic_id=session.clinic_id, on_date=_today(request)
    )
    plan = session.plan
    default_technique = (
        session.appointment.technique_id
        if session.appointment_id and session.appointment.technique_id
        else (plan.technique_ids[0] if plan and plan.technique_ids else "technique.nappage")
    )
    plan_products = set(plan.product_ids) if plan else set()
    default_lot = next((lot for lot in lots if lot.product.kb_product_id in plan_products), None)
    return {
        "session": session,
        "patient": session.patient,
        "maps": chart_maps(zone_names=zone_names),
        "zone_names": zone_names,
        "techniques": techniques,
        "lots": lots,
        "devices": Device.objects.filter(clinic_id=session.clinic_id, active=True),
        "rows": _keyed(rows, points),
        "photos": _baseline_photos(request, session, lang),
        "errors": errors,
        "check": check,
        "default_technique": default_technique,
        "default_lot": default_lot,
        "save_token": uuid.uuid4().hex,
    }


@login_required
def chart_view(request, session_id: int):
    session = _session(request, session_id, write=request.method == "POST")
    request.scope.require("sessions.chart")
    if session.status in (SessionStatus.SIGNED, SessionStatus.POSTPONED):
        return redirect("charting:session", session_id=session.pk)
    if session.screening_stops:
        messages.error(
            request, _("Today's screening stops this session: postpone it or override it first.")
        )
        return redirect("charting:session", session_id=session.pk)
    if request.method == "POST":
        try:
            rows = _posted_rows(request)
            points = _posted_points(request)
        except ValidationError as exc:
            rows = services.entry_rows(session)
            points = services.entry_points(session)
            return _chart_refused(request, session, rows, points, exc.messages)
        try:
            services.chart_save(
                scope=request.scope,
                session=session,
                rows=rows,
                points=points,
                expected_version=_version(request.POST.get("version", "")),
                save_token=request.POST.get("save_token", ""),
                now=timezone.now(),
                request=request,
            )
        except ValidationError as exc:
            session.refresh_from_db()
            return _chart_refused(request, session, rows, points, exc.messages)
        messages.success(request, _("Chart saved. Check it and sign."))
        return redirect("charting:session", session_id=session.pk)
    rows = services.entry_rows(session)
    points = services.entry_points(session)
    return render(request, "charting/chart.html", _chart_context(request, session, rows, points))


def _version(value: str) -> int:
    return int(value) if value.isdigit() else 0


def _chart_refused(request, session, rows, points, errors):
    """The chart page again with what was posted, the reasons and the live totals."""
    check = None
    if session.status in (SessionStatus.CHECKED_IN, SessionStatus.CHARTING) and rows:
        check = services.chart_check(
            scope=request.scope, session=session, rows=rows, points=points, today=_today(request)
        )
    return render(
        request,
        "charting/chart.html",
        _chart_context(request, session, rows, points, errors=errors, check=check),
        status=422,
    )


@login_required
@require_POST
def totals_view(request, session_id: int):
    """The live totals panel: the posted (unsaved) chart checked like a save would be."""
    session = _session(request, session_id)
    request.scope.require("sessions.chart")
    try:
        rows = _posted_rows(request)
        points = _posted_points(request)
    except ValidationError as exc:
        return render(request, "charting/_totals.html", {"errors": exc.messages, "check": None})
    check = None
    errors: list[str] = []
    if rows:
        check = services.chart_check(
            scope=request.scope, session=session, rows=rows, points=points, today=_today(request)
        )
        errors = check.messages()
    return render(
        request,
        "charting/_totals.html",
        {"check": check, "errors": errors, "session": session, "empty": not rows},
    )


@login_required
@require_POST
def sign_view(request, session_id: int):
    return _post_service(
        request,
        session_id,
        lambda s: services.session_sign(
            scope=request.scope, session=s, now=timezone.now(), request=request
        ),
        _("Session signed. Stock has been updated."),
        write=True,  # signing reads the session again, locked
    )


@login_required
@require_POST
def addendum_view(request, session_id: int):
    text = request.POST.get("text", "")
    return _post_service(
        request,
        session_id,
        lambda s: services.addendum_create(
            scope=request.scope, session=s, text=text, now=timezone.now(), request=request
        ),
        _("Addendum added."),
    )


@login_required
@require_POST
def side_effect_view(request, session_id: int):
    session = _session(request, session_id)
    kb = knowledge()
    zones = list(dict.fromkeys(session.entries.values_list("zone_id", flat=True)))
    form = SideEffectForm(request.POST, kb=kb, zones=zones, language=current_language())
    if not form.is_valid():
        for field, errs in form.errors.items():
            for e in errs:
                messages.error(
                    request, f"{form.fields[field].label if field in form.fields else ''}: {e}"
                )
        return redirect("charting:session", session_id=session.pk)
    data = form.cleaned_data
    return _post_service(
        request,
        session_id,
        lambda s: services.side_effect_record(
            scope=request.scope,
            session=s,
            kind=data["kind"],
            phase=data["phase"],
            severity=data["severity"],
            outcome=data["outcome"],
            onset_on=data["onset_on"],
            zone_id=data["zone_id"],
            pain_score=data["pain_score"],
            serious=data["serious"],
            note=data["note"],
            now=timezone.now(),
            request=request,
        ),
        _("Side effect recorded."),
    )


@login_required
def aftercare_pdf_view(request, session_id: int):
    session = _session(request, session_id)
    if not session.is_signed:
        raise Http404
    language = request.GET.get("lang") or session.patient.preferred_language or "en"
    pdf = aftercare_pdf(session=session, language=language)
    audit_record(
        action=AuditAction.EXPORT, request=request, obj=session, detail={"aftercare": language}
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = (
        f'inline; filename="aftercare-{session.pk}-{language[:2]}.pdf"'
    )
    return response


@login_required
def record_pdf_view(request, session_id: int):
    """The signed session record as a PDF: the chart, its placed points, the signature."""
    from mesoclinic.charting.record import session_record_pdf

    session = _session(request, session_id)
    if not session.is_signed:
        raise Http404
    pdf = session_record_pdf(session=session, language=current_language())
    audit_record(action=AuditAction.EXPORT, request=request, obj=session, detail={"record": True})
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="session-{session.pk}.pdf"'
    return response


@login_required
@require_POST
def aftercare_email_view(request, session_id: int):
    return _post_service(
        request,
        session_id,
        lambda s: services.aftercare_email(scope=request.scope, session=s, request=request),
        _("The aftercare sheet is on its way to the patient."),
    )


def replan_url(session) -> str:
    """Where to re-plan the rest of the course after a postponement."""
    url = reverse("scheduling:course_replan", args=[session.plan_id])
    # A postponement "until it has ended" has no date: never re-book the same day.
    earliest = session.screening_until or session.session_date + dt.timedelta(days=1)
    return f"{url}?earliest={earliest.isoformat()}"


@login_required
def aftercare_durations_view(request, clinic_id: int):
    """Owners: the clinic's own aftercare durations over the knowledge base's defaults."""
    from mesoclinic.accounts.models import Clinic
    from mesoclinic.accounts.scope import get_scoped_or_404
    from mesoclinic.charting.models import AftercarePolicy

    clinic = get_scoped_or_404(Clinic, request.scope, permission="clinic.manage", pk=clinic_id)
    policy = AftercarePolicy.objects.filter(clinic=clinic).first()
    form = AftercareDurationsForm(
        request.POST or None,
        kb=knowledge(),
        current=policy.hours if policy else {},
        language=current_language(),
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.aftercare_policy_set(
                scope=request.scope,
                clinic=clinic,
                hours=form.hours(),
                now=timezone.now(),
                request=request,
            )
        except ValidationError as exc:
            form_add_validation_error(form, exc)
        else:
            messages.success(
                request, _("Aftercare durations saved for %(clinic)s.") % {"clinic": clinic}
            )
            return redirect("charting:aftercare_durations", clinic_id=clinic.pk)
    return render(
        request,
        "charting/aftercare_durations.html",
        {"clinic": clinic, "form": form, "policy": policy},
    )


@login_required
def screening_settings_view(request, clinic_id: int):
    """Owners: who signs an override, and whether a physician may use a product off-label."""
    from mesoclinic.accounts.models import Clinic
    from mesoclinic.accounts.scope import get_scoped_or_404

    clinic = get_scoped_or_404(Clinic, request.scope, permission="clinic.manage", pk=clinic_id)
    current = services.screening_settings_for(clinic_id=clinic.pk)
    form = ScreeningSettingsForm(
        request.POST or None,
        initial={
            "override_cosign_required": current.override_cosign_required,
            "off_label_by_physician": current.off_label_by_physician,
        },
    )
    if request.method == "POST" and form.is_valid():
        services.screening_settings_update(
            scope=request.scope,
            clinic=clinic,
            now=timezone.now(),
            request=request,
            **form.cleaned_data,
        )
        messages.success(
            request, _("Screening settings saved for %(clinic)s.") % {"clinic": clinic}
        )
        return redirect("charting:screening_settings", clinic_id=clinic.pk)
    return render(
        request,
        "charting/screening_settings.html",
        {"clinic": clinic, "form": form, "current": current},
    )
