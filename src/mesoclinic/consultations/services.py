"""Writes for consultations, treatment plans and consents: scoped, transactional, audited."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import io
from collections.abc import Iterable, Sequence
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from mesoclinic.accounts.scope import Scope
from mesoclinic.audit.models import AuditAction
from mesoclinic.audit.services import audit_record
from mesoclinic.consultations import engine
from mesoclinic.consultations.consent import plan_consent_text, text_sha256
from mesoclinic.consultations.models import (
    Consent,
    Consultation,
    PlanProduct,
    PlanStatus,
    ScreeningLevel,
    TreatmentPlan,
)
from mesoclinic.patients.models import Patient
from mesoclinic.patients.selectors import screening_facts
from mesoclinic.web.document_tasks import consent_document_draw_later

MAX_SIGNATURE_BYTES = 400_000


def _same_org(scope: Scope, obj) -> None:
    if obj.organisation_id != scope.organisation_id:
        raise PermissionDenied("object of another organisation")


def _check_codes(field: str, codes: Iterable[str], table: str, what) -> list[str]:
    codes = list(dict.fromkeys(codes))
    unknown = [c for c in codes if c not in engine.kb().tables[table]]
    if unknown:
        raise ValidationError(
            {field: _("Unknown %(what)s: %(codes)s") % {"what": what, "codes": ", ".join(unknown)}}
        )
    return codes


@transaction.atomic
def consultation_create(
    *,
    scope: Scope,
    patient: Patient,
    now: dt.datetime,
    today: dt.date,
    examination: str = "",
    concerns: str = "",
    indications: Sequence[str] = (),
    zones: Sequence[str] = (),
    findings: Sequence[str] = (),
    request=None,
) -> Consultation:
    """Record a consultation: examination, concerns, indications, zones and findings."""
    scope.require("patients.edit_clinical")
    _same_org(scope, patient)
    if scope.clinic_id is None:
        raise PermissionDenied("no clinic in scope")
    indications = _check_codes("indications", indications, "indication", _("indication"))
    zones = _check_codes("zones", zones, "zone", _("zone"))
    findings = _check_codes("findings", findings, "finding", _("finding"))
    if not indications:
        raise ValidationError({"indications": _("Pick at least one indication.")})
    if not zones:
        raise ValidationError({"zones": _("Pick at least one zone on the picture.")})
    consultation = Consultation.objects.create(
        organisation_id=scope.organisation_id,
        clinic_id=scope.clinic_id,
        patient=patient,
        practitioner_id=scope.user_id,
        held_on=today,
        created_at=now,
        examination=examination.strip(),
        concerns=concerns.strip(),
        indications=indications,
        zones=zones,
        findings=findings,
        knowledge_version=engine.kb().version,
    )
    audit_record(action=AuditAction.CREATE, request=request, scope=scope, obj=consultation)
    return consultation


def _plan_validate(
    *,
    patient: Patient,
    protocol_id: str,
    zones,
    technique_ids,
    products: Sequence[tuple[str, object]],
    sessions: int,
    interval_min_days: int,
    interval_max_days: int,
    preferred_interval_days: int | None,
    target_start: dt.date,
    today: dt.date,
) -> dict:
    base = engine.kb()
    if protocol_id and protocol_id not in base.protocol:
        raise ValidationError({"protocol_id": _("Unknown protocol.")})
    zones = _check_codes("zones", zones, "zone", _("zone"))
    technique_ids = _check_codes("technique_ids", technique_ids, "technique", _("technique"))
    if not zones:
        raise ValidationError({"zones": _("Pick at least one zone.")})
    if not technique_ids:
        raise ValidationError({"technique_ids": _("Pick at least one technique.")})
    doses: dict[str, Decimal] = {}
    for pid, dose in products:
        if pid not in base.product:
            raise ValidationError({"products": _("Unknown product: %(p)s") % {"p": pid}})
        try:
            value = Decimal(str(dose)).quantize(Decimal("0.01"))
        except (InvalidOperation, ValueError) as exc:
            raise ValidationError({"products": _("Give each dose in mL.")}) from exc
        if value <= 0:
            raise ValidationError({"products": _("Each dose must be more than 0 mL.")})
        if pid in doses:
            raise ValidationError({"products": _("Each product once, please.")})
        doses[pid] = value
    if sessions < 1:
        raise ValidationError({"sessions": _("At least one session.")})
    if interval_min_days < 1:
        raise ValidationError({"interval_min_days": _("At least one day between sessions.")})
    if interval_max_days < interval_min_days:
        raise ValidationError(
            {"interval_max_days": _("The maximum interval cannot be shorter than the minimum.")}
        )
    preferred = preferred_interval_days or interval_min_days
    if not interval_min_days <= preferred <= interval_max_days:
        raise ValidationError(
            {"preferred_interval_days": _("The preferred interval must lie within the window.")}
        )
    if target_start < today:
        raise ValidationError({"target_start": _("The target start cannot be in the past.")})
    return {
        "protocol_id": protocol_id or "",
        "zones": zones,
        "technique_ids": technique_ids,
        "doses": doses,
        "sessions": sessions,
        "interval_min_days": interval_min_days,
        "interval_max_days": interval_max_days,
        "preferred_interval_days": preferred,
        "target_start": target_start,
    }


def _plan_rescreen(
    *,
    scope: Scope,
    plan: TreatmentPlan,
    consultation: Consultation | None,
    now: dt.datetime,
    today: dt.date,
) -> None:
    facts, procedures, _uncoded = screening_facts(scope=scope, patient=plan.patient)
    visit = engine.visit_facts(
        findings=consultation.findings if consultation else (),
        zones=plan.zones,
        procedures=procedures,
    )
    level, verdicts, version = engine.plan_screen(
        patient=facts,
        visit=visit,
        zones=plan.zones,
        technique_ids=plan.technique_ids,
        product_doses=plan.product_doses,
        sessions=plan.sessions,
        protocol_id=plan.protocol_id,
        today=today,
    )
    plan.screening_level = level
    plan.screening = engine.verdicts_json(verdicts)
    plan.screened_at = now
    plan.knowledge_version = version
    plan.risk_hash = engine.risk_hash(
        zones=plan.zones, technique_ids=plan.technique_ids, product_ids=plan.product_ids
    )


def _products_store(plan: TreatmentPlan, doses: dict[str, Decimal]) -> None:
    plan.products.all().delete()
    PlanProduct.objects.bulk_create(
        PlanProduct(organisation_id=plan.organisation_id, plan=plan, product_id=pid, dose_ml=dose)
        for pid, dose in doses.items()
    )


@transaction.atomic
def plan_create(
    *,
    scope: Scope,
    patient: Patient,
    now: dt.datetime,
    today: dt.date,
    zones: Sequence[str],
    technique_ids: Sequence[str],
    products: Sequence[tuple[str, object]],
    sessions: int,
    interval_min_days: int,
    interval_max_days: int,
    target_start: dt.date,
    preferred_interval_days: int | None = None,
    protocol_id: str = "",
    consultation: Consultation | None = None,
    request=None,
) -> TreatmentPlan:
    """Create a draft treatment plan (practitioners only) and screen it."""
    scope.require("plans.create")
    _same_org(scope, patient)
    if consultation is not None and consultation.patient_id != patient.pk:
        raise ValidationError("consultation of another patient")
    data = _plan_validate(
        patient=patient,
        protocol_id=protocol_id,
        zones=zones,
        technique_ids=technique_ids,
        products=products,
        sessions=sessions,
        interval_min_days=interval_min_days,
        interval_max_days=interval_max_days,
        preferred_interval_days=preferred_interval_days,
        target_start=target_start,
        today=today,
    )
    doses = data.pop("doses")
    plan = TreatmentPlan.objects.create(
        organisation_id=scope.organisation_id,
        clinic_id=scope.clinic_id or patient.home_clinic_id,
        patient=patient,
        consultation=consultation,
        practitioner_id=scope.user_id,
        created_at=now,
        updated_at=now,
        **data,
    )
    _products_store(plan, doses)
    _plan_rescreen(scope=scope, plan=plan, consultation=consultation, now=now, today=today)
    plan.save()
    audit_record(
        action=AuditAction.CREATE,
        request=request,
        scope=scope,
        obj=plan,
        detail={"screening": plan.screening_level},
    )
    return plan


@transaction.atomic
def plan_update(
    *,
    scope: Scope,
    plan: TreatmentPlan,
    now: dt.datetime,
    today: dt.date,
    zones: Sequence[str],
    technique_ids: Sequence[str],
    products: Sequence[tuple[str, object]],
    sessions: int,
    interval_min_days: int,
    interval_max_days: int,
    target_start: dt.date,
    preferred_interval_days: int | None = None,
    request=None,
) -> TreatmentPlan:
    """Change a draft plan and screen it again. A change of zones, techniques or
    products (the risks) makes any signed consent stale: a new one is needed."""
    _same_org(scope, plan)
    scope = scope.in_clinic(plan.clinic_id)
    scope.require("plans.create")
    plan = TreatmentPlan.objects.select_for_update().get(pk=plan.pk)
    if plan.status != PlanStatus.DRAFT:
        raise ValidationError(
            _("Only a draft plan can be changed; this one is %(s)s.")
            % {"s": plan.get_status_display()}
        )
    data = _plan_validate(
        patient=plan.patient,
        protocol_id=plan.protocol_id,
        zones=zones,
        technique_ids=technique_ids,
        products=products,
        sessions=sessions,
        interval_min_days=interval_min_days,
        interval_max_days=interval_max_days,
        preferred_interval_days=preferred_interval_days,
        target_start=target_start,
        today=today,
    )
    doses = data.pop("doses")
    old_risk = plan.risk_hash
    for name, value in data.items():
        setattr(plan, name, value)
    plan.updated_at = now
    _products_store(plan, doses)
    _plan_rescreen(scope=scope, plan=plan, consultation=plan.consultation, now=now, today=today)
    plan.save()
    audit_record(
        action=AuditAction.UPDATE,
        request=request,
        scope=scope,
        obj=plan,
        detail={"screening": plan.screening_level, "risks_changed": old_risk != plan.risk_hash},
    )
    return plan


def plan_current_consent(plan: TreatmentPlan) -> Consent | None:
    """The latest signed consent that still covers the plan's risks, if any."""
    return plan.consents.filter(risk_hash=plan.risk_hash).order_by("-signed_at", "-id").first()


@transaction.atomic
def plan_activate(
    *, scope: Scope, plan: TreatmentPlan, now: dt.datetime, today: dt.date, request=None
) -> TreatmentPlan:
    """Start a plan: screened again today, not blocked, with a signed, current consent."""
    _same_org(scope, plan)
    scope = scope.in_clinic(plan.clinic_id)
    scope.require("plans.create")
    plan = TreatmentPlan.objects.select_for_update().get(pk=plan.pk)
    if plan.status != PlanStatus.DRAFT:
        raise ValidationError(_("Only a draft plan can be started."))
    _plan_rescreen(scope=scope, plan=plan, consultation=plan.consultation, now=now, today=today)
    plan.save()
    if plan.screening_level == ScreeningLevel.BLOCK:
        raise ValidationError(
            _("The screening blocks this plan: it cannot be started. See the reasons above.")
        )
    if plan_current_consent(plan) is None:
        raise ValidationError(
            _("The patient has not signed a consent for this plan as it stands: sign one first.")
        )
    plan.status = PlanStatus.ACTIVE
    plan.activated_at = now
    plan.save()
    audit_record(
        action=AuditAction.UPDATE,
        request=request,
        scope=scope,
        obj=plan,
        detail={"status": "active"},
    )
    return plan


@transaction.atomic
def plan_cancel(
    *, scope: Scope, plan: TreatmentPlan, now: dt.datetime, request=None
) -> TreatmentPlan:
    """Cancel a draft or active plan, and the booked appointments of its course.

    The cancelled appointments are returned on the plan as `cancelled_appointments`
    so that the page can tell who must be told.
    """
    from mesoclinic.scheduling.services import plan_appointments_cancel

    _same_org(scope, plan)
    scope = scope.in_clinic(plan.clinic_id)
    scope.require("plans.create")
    if plan.status not in (PlanStatus.DRAFT, PlanStatus.ACTIVE):
        raise ValidationError(_("This plan is already closed."))
    plan.status = PlanStatus.CANCELLED
    plan.updated_at = now
    plan.save()
    plan.cancelled_appointments = plan_appointments_cancel(
        scope=scope, plan=plan, reason=_("Treatment plan cancelled"), request=request
    )
    audit_record(
        action=AuditAction.UPDATE,
        request=request,
        scope=scope,
        obj=plan,
        detail={"status": "cancelled"},
    )
    return plan


@transaction.atomic
def plan_complete_if_done(
    *, scope: Scope, plan: TreatmentPlan, signed_sessions: int, now: dt.datetime, request=None
) -> TreatmentPlan:
    """Close an active plan once all its sessions are signed (called when one is signed)."""
    _same_org(scope, plan)
    if signed_sessions < plan.sessions:
        return plan  # not the last session: nothing to lock or write
    plan = TreatmentPlan.objects.select_for_update().get(pk=plan.pk)
    if plan.status != PlanStatus.ACTIVE or signed_sessions < plan.sessions:
        return plan
    plan.status = PlanStatus.COMPLETED
    plan.updated_at = now
    plan.save()
    audit_record(
        action=AuditAction.UPDATE,
        request=request,
        scope=scope,
        obj=plan,
        detail={"status": "completed", "signed_sessions": signed_sessions},
    )
    return plan


def _signature_png(data_url: str) -> str:
    """Check a signature posted as a PNG data URL: a real PNG with some ink on it."""
    from PIL import Image, UnidentifiedImageError

    empty = ValidationError(
        {"signature": _("The signature is empty: ask the patient to sign in the box.")}
    )
    prefix = "data:image/png;base64,"
    if not data_url or not data_url.startswith(prefix):
        raise empty
    try:
        raw = base64.b64decode(data_url[len(prefix) :], validate=True)
    except (binascii.Error, ValueError) as exc:
        raise empty from exc
    if len(raw) > MAX_SIGNATURE_BYTES:
        raise ValidationError({"signature": _("The signature image is too large.")})
    try:
        image = Image.open(io.BytesIO(raw))
        image.load()
    except (UnidentifiedImageError, OSError) as exc:
        raise empty from exc
    alpha = image.convert("RGBA").getchannel("A")
    gray = image.convert("L")
    # Ink: opaque pixels darker than the paper. Fewer than a few dozen = no signature.
    inked = sum(
        1 for a, g in zip(alpha.tobytes(), gray.tobytes(), strict=True) if a > 128 and g < 160
    )
    if inked < 30:
        raise empty
    return data_url


@transaction.atomic
def consent_sign(
    *,
    scope: Scope,
    plan: TreatmentPlan,
    signer_name: str,
    signature: str,
    now: dt.datetime,
    today: dt.date,
    request=None,
) -> Consent:
    """Store the patient's signed consent to the plan as it stands now.

    The text is generated from the knowledge base in the patient's language and
    stored exactly, with its SHA-256, the plan's risk hash and the KB version.
    """
    _same_org(scope, plan)
    scope = scope.in_clinic(plan.clinic_id)
    scope.require("patients.edit_clinical")
    plan = TreatmentPlan.objects.select_for_update().get(pk=plan.pk)
    if plan.status != PlanStatus.DRAFT:
        raise ValidationError(_("Consent is collected before the plan starts."))
    if not signer_name.strip():
        raise ValidationError({"signer_name": _("Type the name of the person signing.")})
    png = _signature_png(signature)
    text = plan_consent_text(plan, today=today)
    consent = Consent(
        organisation_id=plan.organisation_id,
        patient_id=plan.patient_id,
        plan=plan,
        language=plan.patient.preferred_language,
        text=text,
        text_sha256=text_sha256(text),
        risk_hash=plan.risk_hash,
        knowledge_version=engine.kb().version,
        signer_name=signer_name.strip(),
        signature_png=png,
        collected_by_id=scope.user_id,
        signed_at=now,
    )
    consent.save()
    audit_record(
        action=AuditAction.SIGN,
        request=request,
        scope=scope,
        obj=consent,
        detail={"plan": plan.pk, "sha256": consent.text_sha256},
    )
    consent_document_draw_later(consent=consent)
    return consent
