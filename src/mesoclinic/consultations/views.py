from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from mesoclinic.accounts.locales import current_language
from mesoclinic.audit.models import AuditAction
from mesoclinic.audit.services import audit_record
from mesoclinic.consultations import engine
from mesoclinic.consultations.consent import plan_consent_text, text_blocks
from mesoclinic.consultations.documents import consent_pdf, zoned_time
from mesoclinic.consultations.forms import PRODUCT_ROWS, ConsentForm, ConsultationForm, PlanForm
from mesoclinic.consultations.models import PlanStatus
from mesoclinic.consultations.selectors import (
    consent_get,
    consultation_get,
    patient_timeline,
    plan_get,
    plans_of,
    timeline_cursor_parse,
)
from mesoclinic.consultations.services import (
    consent_sign,
    consultation_create,
    plan_activate,
    plan_cancel,
    plan_create,
    plan_current_consent,
    plan_update,
)
from mesoclinic.consultations.zonemap import zone_maps
from mesoclinic.patients.selectors import patient_get, screening_facts
from mesoclinic.web.forms import form_add_validation_error
from mesoclinic.web.pagination import KeysetPage

TIMELINE_PER_PAGE = 50


def _zone_names() -> dict[str, str]:
    lang = current_language()
    return {z.id: z.name.get(lang) for z in engine.kb().zone.values()}


def _zonemap(form, field="zones"):
    selected = set(form[field].value() or [])
    return zone_maps(zone_names=_zone_names(), selected=selected, field=field)


@login_required
def consultation_create_view(request, patient_id: int):
    patient = patient_get(scope=request.scope, patient_id=patient_id)
    request.scope.require("patients.edit_clinical")
    audit_record(
        action=AuditAction.READ,
        request=request,
        obj=patient,
        detail={"view": "consultation_create"},
    )
    form = ConsultationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            consultation = consultation_create(
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
            return redirect("consultations:detail", consultation.pk)
    return render(
        request,
        "consultations/consultation_form.html",
        {"form": form, "patient": patient, "zonemap": _zonemap(form)},
    )


@login_required
def consultation_detail_view(request, consultation_id: int):
    c = consultation_get(scope=request.scope, consultation_id=consultation_id)
    request.scope = request.scope.in_clinic(c.clinic_id)
    today = timezone.localdate()
    facts, procedures, uncoded = screening_facts(scope=request.scope, patient=c.patient)
    visit = engine.visit_facts(findings=c.findings, zones=c.zones, procedures=procedures)
    proposals = engine.proposals_for(
        patient=facts, visit=visit, indications=c.indications, zones=c.zones, today=today
    )
    techniques = sorted(
        {t for p in proposals for t in p.techniques}
        | {e.id for p in proposals for e in p.excluded_techniques}
    )
    level, verdicts = "ok", []
    if techniques:
        level, verdicts, _v = engine.plan_screen(
            patient=facts,
            visit=visit,
            zones=c.zones,
            technique_ids=techniques,
            product_doses={},
            sessions=1,
            protocol_id=None,
            today=today,
        )
        verdicts = [
            v for v in verdicts if v.rule_id.startswith("ci.") or v.rule_id == "rule.age-band"
        ]
    audit_record(action=AuditAction.READ, request=request, obj=c)
    return render(
        request,
        "consultations/consultation_detail.html",
        {
            "c": c,
            "patient": c.patient,
            "proposals": proposals,
            "verdicts": verdicts,
            "level": level,
            "uncoded": uncoded,
            "lang": current_language(),
            "can_plan": request.scope.can("plans.create"),
            "plans": plans_of(scope=request.scope, patient=c.patient).filter(consultation=c),
        },
    )


def _proposal_initial(scope, c, protocol_id: str, today: dt.date) -> dict:
    base = engine.kb()
    protocol = base.protocol.get(protocol_id)
    if protocol is None:
        return {
            "zones": c.zones,
            "target_start": today,
            "sessions": 1,
            "interval_min_days": 7,
            "interval_max_days": 14,
        }
    facts, procedures, _u = screening_facts(scope=scope, patient=c.patient)
    visit = engine.visit_facts(findings=c.findings, zones=c.zones, procedures=procedures)
    proposal = next(
        (
            p
            for p in engine.proposals_for(
                patient=facts, visit=visit, indications=c.indications, zones=c.zones, today=today
            )
            if p.protocol_id == protocol_id
        ),
        None,
    )
    zones = list(proposal.zones) if proposal else [z for z in protocol.zones if z in c.zones]
    # A contraindicated proposal keeps no technique: start from the protocol's, so the
    # plan can still be drafted and its screening shows why it is blocked.
    techniques = list((proposal.techniques if proposal else ()) or protocol.techniques)
    products = list((proposal.products if proposal else ()) or protocol.products)
    initial = {
        "protocol_id": protocol_id,
        "zones": zones,
        "technique_ids": techniques[:1],
        "sessions": protocol.sessions.min,
        "interval_min_days": protocol.interval_days.min,
        "interval_max_days": protocol.interval_days.max,
        "preferred_interval_days": protocol.interval_days.min,
        "target_start": today + dt.timedelta(days=1),
    }
    for i, pid in enumerate(products[:1], start=1):
        label = base.product[pid].label
        dose = 1.0
        if label is not None and label.per_session_ml:
            dose = min(dose, label.per_session_ml)
        initial[f"product_{i}"] = pid
        initial[f"dose_{i}"] = dose
    return initial


@login_required
def plan_create_view(request, consultation_id: int):
    c = consultation_get(scope=request.scope, consultation_id=consultation_id)
    request.scope = request.scope.in_clinic(c.clinic_id)
    request.scope.require("plans.create")
    audit_record(action=AuditAction.READ, request=request, obj=c, detail={"view": "plan_create"})
    today = timezone.localdate()
    initial = _proposal_initial(request.scope, c, request.GET.get("protocol", ""), today)
    form = PlanForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            plan = plan_create(
                scope=request.scope,
                patient=c.patient,
                consultation=c,
                now=timezone.now(),
                today=today,
                protocol_id=form.cleaned_data.get("protocol_id", ""),
                request=request,
                **form.plan_kwargs(),
            )
        except ValidationError as exc:
            form_add_validation_error(form, exc)
        else:
            return redirect("consultations:plan", plan.pk)
    return render(
        request,
        "consultations/plan_form.html",
        {
            "form": form,
            "c": c,
            "patient": c.patient,
            "zonemap": _zonemap(form),
        },
    )


def _plan_form_initial(plan) -> dict:
    initial = {
        "protocol_id": plan.protocol_id,
        "zones": plan.zones,
        "technique_ids": plan.technique_ids,
        "sessions": plan.sessions,
        "interval_min_days": plan.interval_min_days,
        "interval_max_days": plan.interval_max_days,
        "preferred_interval_days": plan.preferred_interval_days,
        "target_start": plan.target_start,
    }
    for i, (pid, dose) in enumerate(plan.product_doses.items(), start=1):
        if i > PRODUCT_ROWS:
            break
        initial[f"product_{i}"] = pid
        initial[f"dose_{i}"] = dose
    return initial


def _plan_context(request, plan, form=None):
    editable = plan.status == PlanStatus.DRAFT and request.scope.can("plans.create")
    if form is None and editable:
        form = PlanForm(initial=_plan_form_initial(plan))
    _facts, _procedures, uncoded = screening_facts(scope=request.scope, patient=plan.patient)
    return {
        "plan": plan,
        "patient": plan.patient,
        "verdicts": plan.screening,
        "level": plan.screening_level,
        "uncoded": uncoded,
        "form": form if editable else None,
        "zonemap": _zonemap(form) if editable else None,
        "consents": plan.consents.all(),
        "current_consent": plan_current_consent(plan),
        "can_sign": plan.status == PlanStatus.DRAFT and request.scope.can("patients.edit_clinical"),
        "can_plan": request.scope.can("plans.create"),
        "can_book": plan.status == PlanStatus.ACTIVE and request.scope.can("schedule.book"),
    }


@login_required
def plan_detail_view(request, plan_id: int):
    plan = plan_get(scope=request.scope, plan_id=plan_id)
    request.scope = request.scope.in_clinic(plan.clinic_id)
    audit_record(action=AuditAction.READ, request=request, obj=plan)
    return render(request, "consultations/plan_detail.html", _plan_context(request, plan))


@login_required
@require_POST
def plan_update_view(request, plan_id: int):
    plan = plan_get(scope=request.scope, plan_id=plan_id)
    request.scope = request.scope.in_clinic(plan.clinic_id)
    # Only a practitioner of the plan's clinic edits it: refused before the form is read,
    # so a reader never gets the edit form back as if it could be saved.
    request.scope.require("plans.create")
    form = PlanForm(request.POST)
    if form.is_valid():
        try:
            plan = plan_update(
                scope=request.scope,
                plan=plan,
                now=timezone.now(),
                today=timezone.localdate(),
                request=request,
                **form.plan_kwargs(),
            )
        except ValidationError as exc:
            form_add_validation_error(form, exc)
        else:
            messages.success(request, _("Plan saved and screened again."))
            return redirect("consultations:plan", plan.pk)
    return render(request, "consultations/plan_detail.html", _plan_context(request, plan, form))


@login_required
@require_POST
def plan_preview_view(request, plan_id: int):
    """Screen the plan as edited, without saving (htmx, on every change of the form)."""
    plan = plan_get(scope=request.scope, plan_id=plan_id)
    request.scope = request.scope.in_clinic(plan.clinic_id)
    request.scope.require("plans.create")
    form = PlanForm(request.POST)
    level, verdicts = plan.screening_level, plan.screening
    if form.is_valid():
        kw = form.plan_kwargs()
        facts, procedures, _u = screening_facts(scope=request.scope, patient=plan.patient)
        findings = plan.consultation.findings if plan.consultation else ()
        visit = engine.visit_facts(findings=findings, zones=kw["zones"], procedures=procedures)
        level, found, _v = engine.plan_screen(
            patient=facts,
            visit=visit,
            zones=kw["zones"],
            technique_ids=kw["technique_ids"],
            product_doses={p: float(d) for p, d in kw["products"]},
            sessions=kw["sessions"],
            protocol_id=plan.protocol_id,
            today=timezone.localdate(),
        )
        verdicts = engine.verdicts_json(found)
    return render(
        request,
        "consultations/_screening.html",
        {"level": level, "verdicts": verdicts, "preview": True},
    )


@login_required
@require_POST
def plan_activate_view(request, plan_id: int):
    plan = plan_get(scope=request.scope, plan_id=plan_id)
    request.scope = request.scope.in_clinic(plan.clinic_id)
    try:
        plan_activate(
            scope=request.scope,
            plan=plan,
            now=timezone.now(),
            today=timezone.localdate(),
            request=request,
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The plan is active."))
    return redirect("consultations:plan", plan.pk)


@login_required
@require_POST
def plan_cancel_view(request, plan_id: int):
    plan = plan_get(scope=request.scope, plan_id=plan_id)
    request.scope = request.scope.in_clinic(plan.clinic_id)
    try:
        plan = plan_cancel(scope=request.scope, plan=plan, now=timezone.now(), request=request)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        cancelled = plan.cancelled_appointments
        if cancelled:
            when = "; ".join(
                formats.date_format(a.starts_at.astimezone(a.clinic.zone), "SHORT_DATETIME_FORMAT")
                for a in cancelled
            )
            messages.warning(
                request,
                ngettext(
                    "The plan is cancelled, and so is its booked appointment (%(when)s): "
                    "tell the patient.",
                    "The plan is cancelled, and so are its %(n)s booked appointments "
                    "(%(when)s): tell the patient.",
                    len(cancelled),
                )
                % {"n": len(cancelled), "when": when},
            )
        else:
            messages.success(request, _("The plan is cancelled."))
    return redirect("consultations:plan", plan.pk)


@login_required
def consent_sign_view(request, plan_id: int):
    plan = plan_get(scope=request.scope, plan_id=plan_id)
    request.scope = request.scope.in_clinic(plan.clinic_id)
    request.scope.require("patients.edit_clinical")
    audit_record(
        action=AuditAction.READ, request=request, obj=plan, detail={"view": "consent_sign"}
    )
    form = ConsentForm(request.POST or None, initial={"signer_name": plan.patient.full_name})
    if request.method == "POST" and form.is_valid():
        try:
            consent = consent_sign(
                scope=request.scope,
                plan=plan,
                signer_name=form.cleaned_data["signer_name"],
                signature=form.cleaned_data["signature"],
                now=timezone.now(),
                today=timezone.localdate(),
                request=request,
            )
        except ValidationError as exc:
            form_add_validation_error(form, exc)
        else:
            messages.success(request, _("Consent signed."))
            return redirect("consultations:consent", consent.pk)
    text = plan_consent_text(plan, today=timezone.localdate())
    return render(
        request,
        "consultations/consent_sign.html",
        {
            "plan": plan,
            "patient": plan.patient,
            "form": form,
            "blocks": text_blocks(text),
            "text_lang": plan.patient.preferred_language,
        },
    )


@login_required
def consent_detail_view(request, consent_id: int):
    consent = consent_get(scope=request.scope, consent_id=consent_id)
    request.scope = request.scope.in_clinic(consent.plan.clinic_id)
    audit_record(action=AuditAction.READ, request=request, obj=consent)
    return render(
        request,
        "consultations/consent_detail.html",
        {
            "consent": consent,
            "patient": consent.patient,
            "blocks": text_blocks(consent.text),
            "current": consent.risk_hash == consent.plan.risk_hash,
            # In the consent's clinic zone, named, whatever clinic the reader works in.
            "signed_local": zoned_time(consent.signed_at, consent.plan.clinic),
        },
    )


@login_required
def consent_pdf_view(request, consent_id: int):
    consent = consent_get(scope=request.scope, consent_id=consent_id)
    request.scope = request.scope.in_clinic(consent.plan.clinic_id)
    pdf = consent_pdf(consent=consent, base_url=request.build_absolute_uri("/"))
    audit_record(action=AuditAction.EXPORT, request=request, obj=consent)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="consent-{consent.pk}.pdf"'
    return response


@login_required
def timeline_view(request, patient_id: int):
    patient = patient_get(scope=request.scope, patient_id=patient_id)
    # Keyset paging: each page reads at most a page of each source, from the cursor on.
    before = timeline_cursor_parse(request.GET.get("before"))
    entries = patient_timeline(
        scope=request.scope, patient=patient, before=before, limit=TIMELINE_PER_PAGE + 1
    )
    page = KeysetPage(
        entries[:TIMELINE_PER_PAGE],
        older=entries[TIMELINE_PER_PAGE - 1].cursor if len(entries) > TIMELINE_PER_PAGE else None,
        at_start=before is None,
    )
    audit_record(action=AuditAction.READ, request=request, obj=patient, detail={"view": "timeline"})
    return render(
        request,
        "consultations/timeline.html",
        {"patient": patient, "entries": page.object_list, "page": page},
    )
