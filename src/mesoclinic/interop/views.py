"""Data-rights pages: a copy of a patient's data, erasure, and facts imported from other systems."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from mesoclinic.audit.models import AuditAction
from mesoclinic.audit.services import audit_record
from mesoclinic.interop.forms import ErasureForm
from mesoclinic.interop.models import JobStatus
from mesoclinic.interop.selectors import (
    access_request_get,
    access_requests,
    erasure_requests,
    imported_pending,
)
from mesoclinic.interop.services import (
    imported_fact_confirm,
    imported_fact_reject,
    request_erasure,
    request_subject_access,
)
from mesoclinic.patients.selectors import patient_get


def _owner_patient(request, patient_id: int):
    patient = patient_get(scope=request.scope, patient_id=patient_id)
    request.scope.require("clinic.manage")
    return patient


@login_required
def data_rights_view(request, patient_id: int):
    patient = _owner_patient(request, patient_id)
    audit_record(
        action=AuditAction.READ, request=request, obj=patient, detail={"view": "data_rights"}
    )
    return render(
        request,
        "interop/data_rights.html",
        {
            "patient": patient,
            "clinic": patient.home_clinic,
            "copies": list(access_requests(scope=request.scope, patient=patient)),
            "erasures": list(erasure_requests(scope=request.scope, patient=patient)),
            "erasure_form": ErasureForm(),
        },
    )


@login_required
@require_POST
def access_request_view(request, patient_id: int):
    patient = _owner_patient(request, patient_id)
    request_subject_access(patient, requested_by=request.user)
    messages.success(request, _("The copy is being prepared. It appears below when it is ready."))
    return redirect("interop:data_rights", patient.pk)


@login_required
def access_download_view(request, access_id: int):
    access = access_request_get(scope=request.scope, access_id=access_id)
    if access.status != JobStatus.DONE or not access.archive:
        raise Http404
    audit_record(
        action=AuditAction.EXPORT,
        request=request,
        obj=access,
        patient_id=access.patient_id,
        detail={"subject_access": access.pk, "download": True},
    )
    response = HttpResponse(bytes(access.archive), content_type="application/zip")
    when = access.requested_at.strftime("%Y-%m-%d")
    response["Content-Disposition"] = f'attachment; filename="patient-data-{when}.zip"'
    return response


@login_required
@require_POST
def erasure_request_view(request, patient_id: int):
    patient = _owner_patient(request, patient_id)
    form = ErasureForm(request.POST)
    if not form.is_valid():
        audit_record(
            action=AuditAction.READ, request=request, obj=patient, detail={"view": "data_rights"}
        )
        return render(
            request,
            "interop/data_rights.html",
            {
                "patient": patient,
                "clinic": patient.home_clinic,
                "copies": list(access_requests(scope=request.scope, patient=patient)),
                "erasures": list(erasure_requests(scope=request.scope, patient=patient)),
                "erasure_form": form,
            },
            status=400,
        )
    request_erasure(patient, requested_by=request.user, reason=form.cleaned_data["reason"])
    messages.success(
        request,
        _(
            "Erased what the law does not require us to keep; the rest is kept until the "
            "retention period ends."
        ),
    )
    return redirect("interop:data_rights", patient.pk)


@login_required
def reported_view(request, patient_id: int):
    """Facts another system reported: a clinician confirms each into the history or rejects it."""
    patient = patient_get(scope=request.scope, patient_id=patient_id)
    request.scope.require("patients.view_clinical")
    audit_record(action=AuditAction.READ, request=request, obj=patient, detail={"view": "reported"})
    pending = imported_pending(scope=request.scope, patient=patient)
    if request.method == "POST":
        request.scope.require("patients.edit_clinical")
        fact = pending.filter(pk=request.POST.get("fact") or 0).first()
        decision = request.POST.get("decision")
        if fact is None or decision not in ("confirm", "reject"):
            messages.error(request, _("This fact has already been decided."))
            return redirect("interop:reported", patient.pk)
        try:
            if decision == "confirm":
                imported_fact_confirm(
                    scope=request.scope,
                    fact=fact,
                    now=timezone.now(),
                    today=timezone.localdate(),
                    request=request,
                )
            else:
                imported_fact_reject(
                    scope=request.scope, fact=fact, now=timezone.now(), request=request
                )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        return redirect("interop:reported", patient.pk)
    return render(
        request,
        "interop/reported.html",
        {
            "patient": patient,
            "facts": list(pending),
            "can_decide": request.scope.can("patients.edit_clinical"),
        },
    )
