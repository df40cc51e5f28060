"""Pages of the walk-in path: plan one session for an appointment, then sign on the spot."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from mesoclinic.audit.models import AuditAction
from mesoclinic.audit.services import audit_record
from mesoclinic.consultations.consent import plan_consent_text, text_blocks
from mesoclinic.consultations.forms import ConsentForm, WalkinPlanForm
from mesoclinic.consultations.models import PlanStatus
from mesoclinic.consultations.views import _zonemap
from mesoclinic.consultations.walkin import (
    walkin_consent_sign,
    walkin_plan_create,
    walkin_plan_of,
)
from mesoclinic.scheduling.selectors import appointment_get
from mesoclinic.web.forms import form_add_validation_error


def _appointment(request, appointment_id: int, *, view: str):
    """The appointment; the request now works in its clinic (roles, zone); the read is audited."""
    appointment = appointment_get(scope=request.scope, appointment_id=appointment_id)
    request.scope = request.scope.in_clinic(appointment.clinic_id)
    request.scope.require("plans.create")
    timezone.activate(appointment.clinic.zone)
    audit_record(
        action=AuditAction.READ, request=request, obj=appointment.patient, detail={"view": view}
    )
    return appointment


def _next_step(appointment, plan):
    """Where an appointment whose plan already exists goes next."""
    if plan.status == PlanStatus.DRAFT:
        return redirect("consultations:walkin_consent", appointment.pk)
    return redirect("charting:checkin", appointment.pk)


@login_required
def walkin_plan_view(request, appointment_id: int):
    appointment = _appointment(request, appointment_id, view="walkin_plan")
    scope = request.scope
    plan = walkin_plan_of(appointment)
    if plan is not None:
        return _next_step(appointment, plan)
    initial = {"technique_ids": [appointment.technique_id] if appointment.technique_id else []}
    form = WalkinPlanForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            walkin_plan_create(
                scope=scope,
                appointment=appointment,
                now=timezone.now(),
                today=timezone.localdate(),
                request=request,
                **form.plan_kwargs(),
            )
        except ValidationError as exc:
            form_add_validation_error(form, exc)
        else:
            return redirect("consultations:walkin_consent", appointment.pk)
    return render(
        request,
        "consultations/walkin_plan.html",
        {
            "appointment": appointment,
            "patient": appointment.patient,
            "form": form,
            "zonemap": _zonemap(form),
        },
    )


@login_required
def walkin_consent_view(request, appointment_id: int):
    appointment = _appointment(request, appointment_id, view="walkin_consent")
    scope = request.scope
    plan = walkin_plan_of(appointment)
    if plan is None:
        return redirect("consultations:walkin_plan", appointment.pk)
    if plan.status != PlanStatus.DRAFT:
        return _next_step(appointment, plan)
    form = ConsentForm(request.POST or None, initial={"signer_name": plan.patient.full_name})
    if request.method == "POST" and form.is_valid():
        try:
            walkin_consent_sign(
                scope=scope,
                appointment=appointment,
                signer_name=form.cleaned_data["signer_name"],
                signature=form.cleaned_data["signature"],
                now=timezone.now(),
                today=timezone.localdate(),
                request=request,
            )
        except ValidationError as exc:
            form_add_validation_error(form, exc)
        else:
            messages.success(request, _("Consent signed and the session planned: check in now."))
            return redirect("charting:checkin", appointment.pk)
    text = plan_consent_text(plan, today=timezone.localdate())
    return render(
        request,
        "consultations/walkin_consent.html",
        {
            "appointment": appointment,
            "plan": plan,
            "patient": plan.patient,
            "form": form,
            "blocks": text_blocks(text),
            "text_lang": plan.patient.preferred_language,
            "level": plan.screening_level,
            "verdicts": plan.screening,
        },
    )
