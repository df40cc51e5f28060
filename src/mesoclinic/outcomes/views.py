"""Pages of outcomes: a patient's scores and charts, scoring at a session, the owner's report."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from mesoclinic.accounts.locales import current_language
from mesoclinic.accounts.models import Clinic, Role, User
from mesoclinic.accounts.scope import in_my_clinics, scoped
from mesoclinic.audit.models import AuditAction
from mesoclinic.audit.services import audit_record
from mesoclinic.charting.selectors import session_get
from mesoclinic.consultations.engine import kb as knowledge
from mesoclinic.consultations.models import PlanStatus, TreatmentPlan
from mesoclinic.outcomes.forms import ReportForm, ScoreForm
from mesoclinic.outcomes.models import Timepoint
from mesoclinic.outcomes.report import ReportFilters, protocol_report, report_csv
from mesoclinic.outcomes.selectors import patient_charts, patient_scores, session_scores
from mesoclinic.outcomes.services import score_record
from mesoclinic.patients.selectors import patient_get
from mesoclinic.photos.selectors import photo_rows, photos_for_scoring
from mesoclinic.photos.thumbs import staff_reader


def plan_label(plan: TreatmentPlan, language: str) -> str:
    """A course as people name it: its protocol and when it starts."""
    kb = knowledge()
    name = (
        kb.protocol[plan.protocol_id].name.get(language)
        if plan.protocol_id in kb.protocol
        else _("Custom plan")
    )
    return f"{name} ({plan.target_start:%Y-%m-%d})"


def _apply_errors(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for name, errors in exc.message_dict.items():
            target = name if name in form.fields else None
            for error in errors:
                form.add_error(target, error)
    else:
        for error in exc.messages:
            form.add_error(None, error)


def _patient(request, patient_id: int):
    if request.scope is None or request.clinic is None:
        raise Http404
    patient = patient_get(scope=request.scope, patient_id=patient_id)
    request.scope.require("patients.view_clinical")
    return patient


def _patient_plans(request, patient):
    return list(
        in_my_clinics(scoped(TreatmentPlan, request.scope), request.scope)
        .filter(patient=patient, status__in=[PlanStatus.ACTIVE, PlanStatus.COMPLETED])
        .order_by("-target_start", "-pk")
    )


@login_required
def patient_view(request, patient_id: int):
    """The patient's scores, a chart per scale and zone, and the form to add one."""
    patient = _patient(request, patient_id)
    kb = knowledge()
    language = current_language()
    plans = _patient_plans(request, patient)
    zones = list(dict.fromkeys(z for p in plans for z in p.zones)) or list(kb.zone)
    can_record = request.scope.can("patients.edit_clinical")
    photos = (
        photo_rows(
            photos_for_scoring(scope=request.scope, patient=patient),
            language,
            reader=staff_reader(request.user),
        )
        if can_record
        else []
    )
    form_kwargs = {
        "kb": kb,
        "language": language,
        "zones": zones,
        "plans": plans,
        "photos": photos,
    }
    if request.method == "POST":
        request.scope.require("patients.edit_clinical")
        form = ScoreForm(request.POST, **form_kwargs)
        if form.is_valid():
            data = form.cleaned_data
            scale_id, value = data["level"]
            plan = next((p for p in plans if p.pk == data["plan"]), None)
            if data["plan"] is not None and plan is None:
                form.add_error("plan", _("Choose a course from the list."))
            else:
                try:
                    score_record(
                        scope=request.scope,
                        patient=patient,
                        scale_id=scale_id,
                        value=value,
                        rater=data["rater"],
                        timepoint=data["timepoint"],
                        scored_on=data["scored_on"],
                        zone_id=data["zone_id"],
                        plan=plan,
                        clinic_id=request.clinic.pk,
                        photo_id=data.get("photo"),
                        note=data["note"],
                        now=timezone.now(),
                        request=request,
                    )
                except ValidationError as exc:
                    _apply_errors(form, exc)
                else:
                    messages.success(request, _("Score recorded."))
                    return redirect("outcomes:patient", patient_id=patient.pk)
    else:
        initial = {"scored_on": timezone.localdate(), "timepoint": Timepoint.BASELINE}
        if request.GET.get("plan", "").isdigit():
            initial["plan"] = int(request.GET["plan"])
        if request.GET.get("timepoint") in Timepoint.values:
            initial["timepoint"] = request.GET["timepoint"]
        form = ScoreForm(initial=initial, **form_kwargs)
    form.fields["plan"].choices = [("", _("No course"))] + [
        (p.pk, plan_label(p, language)) for p in plans
    ]
    # One event for the page, naming the photographs its picker shows.
    audit_record(
        action=AuditAction.READ,
        request=request,
        obj=patient,
        detail={"page": "outcomes", "photos": [p["pk"] for p in photos]},
    )
    scores = list(patient_scores(scope=request.scope, patient=patient))
    return render(
        request,
        "outcomes/patient.html",
        {
            "patient": patient,
            "scores": scores,
            "charts": patient_charts(
                scope=request.scope, patient=patient, language=language, scores=scores
            ),
            "form": form if can_record else None,
        },
        status=400 if request.method == "POST" else 200,
    )


def session_form(session, *, data=None, language: str, today=None) -> ScoreForm:
    """The score form of a session's page: the session's zones, today's date."""
    kb = knowledge()
    zones = list(dict.fromkeys(session.entries.values_list("zone_id", flat=True)))
    if session.plan_id:
        zones += [z for z in session.plan.zones if z not in zones]
    return ScoreForm(
        data,
        kb=kb,
        language=language,
        zones=zones,
        at_session=True,
        initial={"scored_on": today or session.session_date},
    )


@login_required
def session_view(request, session_id: int):
    """Score a session: GET shows the form, POST records; errors keep what was typed."""
    if request.scope is None:
        raise Http404
    session = session_get(scope=request.scope, session_id=session_id)
    request.scope = request.scope.in_clinic(session.clinic_id)
    timezone.activate(session.clinic.zone)
    language = current_language()
    if request.method == "POST":
        request.scope.require("patients.edit_clinical")
        form = session_form(session, data=request.POST, language=language)
        if form.is_valid():
            data = form.cleaned_data
            scale_id, value = data["level"]
            try:
                score_record(
                    scope=request.scope,
                    patient=session.patient,
                    session=session,
                    scale_id=scale_id,
                    value=value,
                    rater=data["rater"],
                    timepoint=Timepoint.SESSION,
                    scored_on=data["scored_on"],
                    zone_id=data["zone_id"],
                    note=data["note"],
                    now=timezone.now(),
                    request=request,
                )
            except ValidationError as exc:
                _apply_errors(form, exc)
            else:
                messages.success(request, _("Score recorded."))
                return redirect("charting:session", session_id=session.pk)
    else:
        form = session_form(session, language=language, today=timezone.localdate())
    audit_record(action=AuditAction.READ, request=request, obj=session, detail={"page": "scores"})
    return render(
        request,
        "outcomes/session.html",
        {
            "session": session,
            "patient": session.patient,
            "form": form if request.scope.can("patients.edit_clinical") else None,
            "scores": session_scores(scope=request.scope, session=session).select_related(
                "recorded_by", "session"
            ),
        },
        status=400 if request.method == "POST" else 200,
    )


@login_required
def report_view(request):
    """Which protocols work: the owner's observational report, as a page or CSV."""
    if request.scope is None:
        raise Http404
    request.scope.require("clinic.manage")
    language = current_language()
    clinics = list(Clinic.objects.filter(pk__in=request.scope.clinic_ids).order_by("name"))
    practitioners = (
        User.objects.filter(
            organisation_id=request.scope.organisation_id,
            memberships__clinic__in=clinics,
            memberships__role=Role.PRACTITIONER,
        )
        .distinct()
        .order_by("display_name", "username")
    )
    form = ReportForm(request.GET or None, practitioners=practitioners, clinics=clinics)
    filters = ReportFilters()
    rows = []
    if form.is_bound and not form.is_valid():
        status = 400
    else:
        status = 200
        data = form.cleaned_data if form.is_bound else {}
        filters = ReportFilters(
            first=data.get("first"),
            last=data.get("last"),
            practitioner_id=data.get("practitioner"),
            clinic_id=data.get("clinic"),
        )
        rows = protocol_report(scope=request.scope, language=language, filters=filters)
    dimension_names = {
        "protocol": _("Protocol"),
        "product": _("Product"),
        "indication": _("Indication"),
    }
    if status == 200 and request.GET.get("export") == "csv":
        headers = [
            _("Grouped by"),
            _("Name"),
            _("Scale"),
            _("Courses"),
            _("Courses with baseline and follow-up"),
            _("Mean change"),
            _("95% CI, lower"),
            _("95% CI, upper"),
            _("Improved, %"),
            _("Signed sessions"),
            _("Adverse events"),
            _("Adverse events per 100 sessions"),
        ]
        audit_record(action=AuditAction.EXPORT, request=request, detail={"report": "outcomes"})
        response = HttpResponse(
            report_csv(rows, headers=headers, dimension_names=dimension_names),
            content_type="text/csv; charset=utf-8",
        )
        response["Content-Disposition"] = 'attachment; filename="outcomes-report.csv"'
        return response
    audit_record(action=AuditAction.READ, request=request, detail={"report": "outcomes"})
    sections = [
        (name, [r for r in rows if r.dimension == key]) for key, name in dimension_names.items()
    ]
    query = request.GET.copy()
    query["export"] = "csv"
    return render(
        request,
        "outcomes/report.html",
        {"form": form, "sections": sections, "csv_query": query.urlencode()},
        status=status,
    )
