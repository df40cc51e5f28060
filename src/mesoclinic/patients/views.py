from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from mesoclinic.audit.models import AuditAction
from mesoclinic.audit.services import audit_record
from mesoclinic.patients.forms import HistoryFactForm, PatientCreateForm, PatientForm, RetractForm
from mesoclinic.patients.selectors import (
    history_current,
    history_fact_get,
    history_versions,
    patient_get,
    patient_search,
)
from mesoclinic.patients.services import (
    DEMOGRAPHIC_FIELDS,
    DuplicatePatientError,
    history_fact_correct,
    history_fact_record,
    history_fact_retract,
    patient_create,
    patient_update,
)
from mesoclinic.web.forms import form_add_validation_error


@login_required
def patient_list_view(request):
    query = request.GET.get("q", "").strip()[:100]
    page = patient_search(scope=request.scope, query=query, page=request.GET.get("page"))
    audit_record(action=AuditAction.READ, request=request, detail={"view": "search", "q": query})
    template = (
        "patients/_results.html" if request.headers.get("HX-Request") else "patients/list.html"
    )
    return render(request, template, {"page": page, "query": query})


@login_required
def patient_create_view(request):
    request.scope.require("patients.edit_demographics")
    duplicates = []
    language = request.clinic.language if request.clinic is not None else settings.LANGUAGE_CODE
    form = PatientCreateForm(request.POST or None, language=language)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        confirm = data.pop("confirm_different")
        try:
            patient = patient_create(
                scope=request.scope,
                today=timezone.localdate(),
                allow_duplicate=confirm,
                request=request,
                **data,
            )
        except DuplicatePatientError as exc:
            duplicates = exc.existing
            form.add_error(None, exc)
        except ValidationError as exc:
            form_add_validation_error(form, exc)
        else:
            messages.success(request, _("Patient registered."))
            return redirect("patients:detail", patient.pk)
    return render(request, "patients/form.html", {"form": form, "duplicates": duplicates})


@login_required
def patient_edit_view(request, patient_id: int):
    patient = patient_get(scope=request.scope, patient_id=patient_id)
    request.scope.require("patients.edit_demographics")
    audit_record(action=AuditAction.READ, request=request, obj=patient, detail={"view": "edit"})
    initial = {name: getattr(patient, name) for name in DEMOGRAPHIC_FIELDS}
    form = PatientForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            patient_update(
                scope=request.scope,
                patient=patient,
                today=timezone.localdate(),
                request=request,
                **form.cleaned_data,
            )
        except ValidationError as exc:
            form_add_validation_error(form, exc)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("patients:detail", patient.pk)
    return render(request, "patients/form.html", {"form": form, "patient": patient})


@login_required
def patient_detail_view(request, patient_id: int):
    patient = patient_get(scope=request.scope, patient_id=patient_id)
    audit_record(action=AuditAction.READ, request=request, obj=patient)
    context = {
        "patient": patient,
        "clinical": request.scope.can("patients.view_clinical"),
        "data_rights": request.scope.can("clinic.manage"),
    }
    from mesoclinic.portal.selectors import guardians_of

    context["guardians"] = guardians_of(scope=request.scope, patient=patient)
    if context["clinical"]:
        facts = list(history_current(scope=request.scope, patient=patient))
        context["facts"] = facts
        context["uncoded"] = [f for f in facts if f.needs_coding]
        context["fact_form"] = (
            HistoryFactForm() if request.scope.can("patients.edit_clinical") else None
        )
        from mesoclinic.charting.selectors import patient_flags, patient_overrides

        context["flags"] = list(patient_flags(scope=request.scope, patient=patient))
        context["overrides"] = list(patient_overrides(scope=request.scope, patient=patient))
        from mesoclinic.interop.selectors import imported_pending

        context["reported"] = imported_pending(scope=request.scope, patient=patient).count()
        context["patient_questionnaires"] = list(patient.questionnaires.all()[:3])
        from mesoclinic.photos.selectors import photo_consent_current

        context["photo_consent"] = photo_consent_current(patient=patient)
        context["can_sign_photo_consent"] = request.scope.can("patients.edit_clinical")
    return render(request, "patients/detail.html", context)


@login_required
def history_add_view(request, patient_id: int):
    patient = patient_get(scope=request.scope, patient_id=patient_id)
    request.scope.require("patients.edit_clinical")
    audit_record(
        action=AuditAction.READ, request=request, obj=patient, detail={"view": "history_add"}
    )
    form = HistoryFactForm(request.POST or None, initial=request.GET.dict() or None)
    if request.method == "POST" and form.is_valid():
        try:
            history_fact_record(
                scope=request.scope,
                patient=patient,
                now=timezone.now(),
                today=timezone.localdate(),
                request=request,
                **form.cleaned_data,
            )
        except ValidationError as exc:
            form_add_validation_error(form, exc)
        else:
            messages.success(request, _("Added to the medical history."))
            return redirect("patients:detail", patient.pk)
    return render(request, "patients/history_form.html", {"form": form, "patient": patient})


@login_required
def history_correct_view(request, fact_id: int):
    fact = history_fact_get(scope=request.scope, fact_id=fact_id)
    request.scope.require("patients.edit_clinical")
    audit_record(
        action=AuditAction.READ, request=request, obj=fact, detail={"view": "history_correct"}
    )
    initial = {
        "kind": fact.kind,
        "code": fact.code if not fact.needs_coding else "",
        "label": fact.label,
        "present": fact.present,
        "on_date": fact.on_date,
        "zones": fact.zones,
        "note": fact.note,
    }
    form = HistoryFactForm(request.POST or None, initial=initial)
    form.fields["kind"].disabled = True
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        data.pop("kind")
        try:
            history_fact_correct(
                scope=request.scope,
                fact=fact,
                now=timezone.now(),
                today=timezone.localdate(),
                request=request,
                **data,
            )
        except ValidationError as exc:
            form_add_validation_error(form, exc)
        else:
            messages.success(
                request, _("The correction was recorded; the earlier version is kept.")
            )
            back = request.GET.get("next", "")
            # Back to the page the correction came from (check-in), on this site only.
            if back.startswith("/") and url_has_allowed_host_and_scheme(back, None):
                return redirect(back)
            return redirect("patients:detail", fact.patient_id)
    return render(
        request,
        "patients/history_form.html",
        {"form": form, "patient": fact.patient, "fact": fact},
    )


@login_required
@require_POST
def history_retract_view(request, fact_id: int):
    fact = history_fact_get(scope=request.scope, fact_id=fact_id)
    form = RetractForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give a reason for withdrawing the fact."))
        return redirect("patients:detail", fact.patient_id)
    try:
        history_fact_retract(
            scope=request.scope,
            fact=fact,
            now=timezone.now(),
            reason=form.cleaned_data["reason"],
            request=request,
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The fact was withdrawn; the record of it is kept."))
    return redirect("patients:detail", fact.patient_id)


@login_required
def history_versions_view(request, patient_id: int):
    patient = patient_get(scope=request.scope, patient_id=patient_id)
    versions = history_versions(scope=request.scope, patient=patient)
    audit_record(action=AuditAction.READ, request=request, obj=patient, detail={"view": "history"})
    return render(
        request, "patients/history_versions.html", {"patient": patient, "versions": versions}
    )
