"""Writes of the session day: check-in, override, chart, sign, addenda, side effects.

Every write is scoped, transactional and audited. The chart is validated on the
server by the safety engine (charting.screening) on every save and again at the
signature, whatever the browser sent; the signature decrements stock through
inventory's `stock_use` in the same transaction, exactly once.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from mesoclinic.accounts.models import Clinic, Membership, Role
from mesoclinic.accounts.scope import Scope, scope_for
from mesoclinic.audit.models import AuditAction
from mesoclinic.audit.services import audit_record
from mesoclinic.charting import screening as sc
from mesoclinic.charting.models import (
    Addendum,
    AftercarePolicy,
    ChartEntry,
    PatientFlag,
    SessionStatus,
    SideEffect,
    SideEffectOutcome,
    SideEffectPhase,
    SideEffectSeverity,
    TreatmentSession,
)
from mesoclinic.consultations.engine import kb as knowledge
from mesoclinic.consultations.models import PlanStatus, TreatmentPlan
from mesoclinic.consultations.services import plan_current_consent
from mesoclinic.core.knowledge.policy import PolicyError, policy_parse
from mesoclinic.core.screening import (
    Lot as LotFacts,
)
from mesoclinic.core.screening import (
    PlannedProduct,
    PlannedSession,
    Practitioner,
    ScreeningInputError,
    ScreeningRequest,
    ScreeningResult,
    VisitFacts,
    screen,
)
from mesoclinic.inventory.models import Lot, LotStatus, StockBalance
from mesoclinic.inventory.services import adverse_event_record, stock_use
from mesoclinic.patients.models import FactKind
from mesoclinic.patients.selectors import history_current, screening_facts
from mesoclinic.patients.services import history_fact_correct, history_fact_record
from mesoclinic.scheduling.models import Appointment, AppointmentStatus, Credential, Device
from mesoclinic.scheduling.services import appointment_status_set

MAX_VOLUME_ML = Decimal("999.999")
GAUGE_RANGE = (18, 34)
STOPPING = ("block", "postpone")


def _lang() -> str:
    return "ru" if (get_language() or "en").startswith("ru") else "en"


def verdict_text(verdict: Mapping) -> str:
    """A stored verdict's message in the user's language."""
    return verdict["message"][_lang()]


def clinic_today(clinic: Clinic, now: dt.datetime) -> dt.date:
    return now.astimezone(clinic.zone).date()


def practitioner_credentials(*, organisation_id: int, user_id: int) -> tuple[str, ...]:
    return tuple(
        Credential.objects.filter(
            organisation_id=organisation_id, practitioner_id=user_id
        ).values_list("technique_id", flat=True)
    )


def _is_physician(user_id: int, clinic_id: int) -> bool:
    # The practitioner role is the clinician who may chart (see docs/user-guide.md).
    return Membership.objects.filter(
        user_id=user_id, clinic_id=clinic_id, role=Role.PRACTITIONER
    ).exists()


def _fefo_lot(scope: Scope, kb_product_id: str, on_date: dt.date) -> Lot | None:
    return (
        Lot.objects.filter(
            organisation_id=scope.organisation_id,
            product__kb_product_id=kb_product_id,
            product__active=True,
            status=LotStatus.AVAILABLE,
            expiry_date__gte=on_date,
            balances__clinic_id=scope.clinic_id,
            balances__quantity_ul__gt=0,
        )
        .select_related("product")
        .order_by("expiry_date", "received_on", "pk")
        .first()
    )


def _lot_facts(lot: Lot | None) -> LotFacts | None:
    if lot is None:
        return None
    status = {"available": "released"}.get(lot.status, lot.status)
    return LotFacts(
        number=lot.lot_number,
        expiry=lot.expiry_date,
        status=status,
        multi_dose=lot.product.is_multi_dose,
    )


def _signed_history(patient, *, exclude: int | None = None):
    qs = (
        TreatmentSession.objects.filter(patient=patient, status=SessionStatus.SIGNED)
        .prefetch_related("entries__product")
        .order_by("session_date")
    )
    if exclude:
        qs = qs.exclude(pk=exclude)
    return qs


def checkin_request(
    *,
    scope: Scope,
    appointment: Appointment,
    plan: TreatmentPlan,
    answers: Mapping[str, sc.Answer],
    today: dt.date,
) -> list[ScreeningRequest]:
    """The screening requests of a check-in: one per technique the appointment may use."""
    kb = knowledge()
    patient_facts, procedures, _uncoded = screening_facts(scope=scope, patient=appointment.patient)
    techniques = [appointment.technique_id] if appointment.technique_id else plan.technique_ids
    products = []
    for pid, dose in plan.product_doses.items():
        lot = _fefo_lot(scope, pid, today)
        products.append(PlannedProduct(product=pid, volume_ml=dose, lot=_lot_facts(lot)))
    practitioner = Practitioner(
        id=str(appointment.practitioner_id),
        physician=_is_physician(appointment.practitioner_id, appointment.clinic_id),
        techniques=practitioner_credentials(
            organisation_id=scope.organisation_id, user_id=appointment.practitioner_id
        ),
    )
    requests = []
    for technique_id in techniques:
        technique = kb.technique[technique_id]
        depth = None
        if technique.clinic_depth_mm is not None:
            depth = (technique.clinic_depth_mm.min, technique.clinic_depth_mm.max)
        session = PlannedSession(
            technique=technique_id,
            zones=tuple(plan.zones),
            depth_mm=depth,
            products=tuple(products),
            protocol=plan.protocol_id or None,
            session_number=appointment.session_number or 1,
            course_sessions_planned=plan.sessions,
            previous_sessions=sc.previous_sessions(_signed_history(appointment.patient)),
            practitioner=practitioner,
        )
        base = ScreeningRequest(
            patient=patient_facts, visit=VisitFacts(recent_procedures=procedures), plan=session
        )
        requests.append(sc.apply_answers(base, answers=answers, kb=kb, today=today))
    return requests


# Check-in answers that belong in the patient's history, by the fact they set.
_HISTORY_KINDS = {
    "patient.pregnant": FactKind.PREGNANCY,
    "patient.breastfeeding": FactKind.BREASTFEEDING,
    "patient.medications": FactKind.MEDICATION,
    "patient.allergies": FactKind.ALLERGY,
    "patient.conditions": FactKind.CONDITION,
    "patient.surgeries": FactKind.SURGERY,
    "visit.recent_procedures": FactKind.PROCEDURE,
}


def _history_from_checkin(
    *, scope: Scope, patient, answers: Mapping[str, sc.Answer], now, today, request=None
) -> list:
    """Write what the patient reported at check-in into their versioned history.

    Pregnancy and breastfeeding are recorded whatever the answer, as a new version of
    the current fact (the record then says what was answered and when it was asked);
    a reported medication, allergy or condition is added unless the record already has
    it; a reported surgery or procedure is added as a dated event. Visit-only answers
    (menstruation, fever, findings at the site) stay on the session.
    """
    kb = knowledge()
    current = list(history_current(scope=scope, patient=patient))
    note = _("Reported at check-in on %(date)s.") % {"date": today.isoformat()}
    recorded = []
    for qid, answer in answers.items():
        kind = _HISTORY_KINDS.get(kb.visit_question[qid].fact)
        if kind is None or (
            not answer.yes and kind not in (FactKind.PREGNANCY, FactKind.BREASTFEEDING)
        ):
            continue
        fields = {"present": answer.yes, "note": note, "now": now, "today": today}
        if kind in (FactKind.PREGNANCY, FactKind.BREASTFEEDING):
            fields["on_date"] = today
        elif kind in (FactKind.MEDICATION, FactKind.ALLERGY, FactKind.CONDITION):
            if any(f.kind == kind and f.code == answer.code and f.present for f in current):
                continue
            fields["code"] = answer.code
            fields["label"] = answer.text
            if kind == FactKind.MEDICATION:
                # The question asks about medicines started *or stopped*: recorded as
                # taken (the safe side for screening) until someone checks.
                fields["note"] = _(
                    "Reported at check-in on %(date)s as started or stopped since the last "
                    "visit: check with the patient and correct the record if stopped."
                ) % {"date": today.isoformat()}
                if not answer.text:
                    fields["label"] = kb.medication_class[answer.code].name.get(_lang())
        else:  # surgery, procedure: dated events
            on_date = answer.on_date or today
            label = answer.text or (
                _("Surgery reported at check-in") if kind == FactKind.SURGERY else ""
            )
            if any(
                f.kind == kind
                and f.on_date == on_date
                and (f.code, f.label) == (answer.code, label)
                for f in current
            ):
                continue
            fields.update(code=answer.code, label=label, on_date=on_date)
        try:
            previous = next((f for f in current if f.kind == kind), None)
            if kind in (FactKind.PREGNANCY, FactKind.BREASTFEEDING) and previous is not None:
                fact = history_fact_correct(scope=scope, fact=previous, request=request, **fields)
            else:
                fact = history_fact_record(
                    scope=scope, patient=patient, kind=kind, request=request, **fields
                )
        except ValidationError as exc:
            raise ValidationError({qid: exc.messages}) from exc
        recorded.append(fact)
    return recorded


@transaction.atomic
def session_checkin(
    *,
    scope: Scope,
    appointment: Appointment,
    answers: Mapping[str, sc.Answer],
    now: dt.datetime,
    request=None,
) -> TreatmentSession:
    """Screen today's appointment with the check-in answers and open (or re-screen) its session.

    Every applicable visit question must be answered. A block or postponement is
    stored as the session's screening; charting stays impossible until the session
    is postponed or an authorised practitioner overrides it with a reason.
    """
    scope.require("patients.edit_clinical")
    if appointment.organisation_id != scope.organisation_id:
        raise ValidationError(_("Unknown appointment."))
    appointment = Appointment.objects.select_for_update().get(pk=appointment.pk)
    clinic = appointment.clinic
    today = clinic_today(clinic, now)
    if clinic_today(clinic, appointment.starts_at) != today:
        raise ValidationError(_("Check-in is only possible on the day of the appointment."))
    if appointment.status not in ("booked", "confirmed", "arrived"):
        raise ValidationError(
            _("An appointment that is %(status)s cannot be checked in.")
            % {"status": appointment.get_status_display()}
        )
    if not appointment.plan_id:
        raise ValidationError(
            _("This appointment is not part of a treatment plan: activate a plan first.")
        )
    plan = TreatmentPlan.objects.get(pk=appointment.plan_id, organisation_id=scope.organisation_id)
    if plan.status != PlanStatus.ACTIVE:
        raise ValidationError(
            _("The treatment plan of this appointment is %(status)s: it cannot be treated.")
            % {"status": plan.get_status_display()}
        )
    if plan_current_consent(plan) is None:  # defence in depth: an active plan has one
        raise ValidationError(
            _("The patient has not signed a consent for this plan as it stands: sign one first.")
        )
    kb = knowledge()
    wanted = {q.id for q in sc.visit_questions(kb=kb, product_ids=plan.product_ids)}
    missing = wanted - set(answers)
    if missing:
        raise ValidationError(_("Answer every check-in question."))
    errors = {}
    for qid, answer in answers.items():
        question = kb.visit_question.get(qid)
        if question is None:
            raise ValidationError(_("Unknown check-in question."))
        kind = sc.detail_kind(question)
        if answer.yes and kind in ("medication", "allergy", "condition", "procedure"):
            codes = dict(sc.detail_choices(kb=kb, kind=kind, language="en"))
            if answer.code not in codes:
                errors[qid] = _("Choose what it is from the list.")
    if errors:
        raise ValidationError(errors)
    try:
        requests = checkin_request(
            scope=scope, appointment=appointment, plan=plan, answers=answers, today=today
        )
        results = [screen(r, kb=kb, today=today) for r in requests]
    except ScreeningInputError as exc:
        raise ValidationError(
            _("The record cannot be screened: %(problems)s") % {"problems": "; ".join(exc.problems)}
        ) from exc
    result = sc.result_merge(results, kb=kb, skip=sc.CHECKIN_SKIPPED_RULES)
    session = TreatmentSession.objects.select_for_update().filter(appointment=appointment).first()
    if session is not None and session.status not in (
        SessionStatus.CHECKED_IN,
        SessionStatus.CHARTING,
    ):
        raise ValidationError(
            _("This session is %(status)s; it cannot be checked in again.")
            % {"status": session.get_status_display()}
        )
    if session is None:
        session = TreatmentSession(
            organisation_id=scope.organisation_id,
            clinic=clinic,
            patient=appointment.patient,
            practitioner=appointment.practitioner,
            appointment=appointment,
            plan=plan,
            session_number=appointment.session_number or 1,
            created_at=now,
        )
    session.session_date = today
    session.checkin_answers = {k: a.as_json() for k, a in answers.items()}
    session.screening_request = requests[0].model_dump(mode="json")
    session.screening_result = result.model_dump(mode="json")
    session.screening_level = result.level
    session.screening_until = result.until
    session.screened_at = now
    session.screened_by_id = scope.user_id
    session.knowledge_version = kb.version
    # A new screening needs its own decision: an earlier override does not carry over.
    session.override_reason, session.override_by, session.override_at = "", None, None
    session.override_rules = []
    session.version += 0 if session.pk is None else 1
    session.save()
    _history_from_checkin(
        scope=scope,
        patient=appointment.patient,
        answers=answers,
        now=now,
        today=today,
        request=request,
    )
    if appointment.status in ("booked", "confirmed"):
        appointment_status_set(
            scope=scope,
            appointment=appointment,
            status=AppointmentStatus.ARRIVED,
            expected_version=appointment.version,
            request=request,
        )
    audit_record(
        action=AuditAction.CREATE,
        request=request,
        scope=scope,
        obj=session,
        detail={"checkin": result.level, "knowledge_version": kb.short_version},
    )
    return session


@transaction.atomic
def session_override(
    *, scope: Scope, session: TreatmentSession, reason: str, now: dt.datetime, request=None
) -> TreatmentSession:
    """Lift today's block or postponement with a written reason (authorised roles only)."""
    scope.require("screening.override")
    session = _locked(scope, session)
    if session.status != SessionStatus.CHECKED_IN or session.screening_level not in STOPPING:
        raise ValidationError(_("Only a blocked or postponed check-in can be overridden."))
    if not reason.strip():
        raise ValidationError(
            {"reason": _("Write why the session goes ahead despite the screening.")}
        )
    session.override_reason = reason.strip()
    session.override_by_id = scope.user_id
    session.override_at = now
    session.override_rules = sorted(
        {
            v["rule_id"]
            for v in session.screening_result.get("verdicts", [])
            if v["level"] in STOPPING
        }
    )
    session.version += 1
    session.save()
    audit_record(
        action=AuditAction.UPDATE,
        request=request,
        scope=scope,
        obj=session,
        detail={"override": session.override_rules, "reason": session.override_reason},
    )
    return session


@transaction.atomic
def session_postpone(
    *, scope: Scope, session: TreatmentSession, now: dt.datetime, request=None
) -> TreatmentSession:
    """Postpone the session as screened: the session and its appointment become postponed."""
    scope.require("patients.edit_clinical")
    session = _locked(scope, session)
    if session.status != SessionStatus.CHECKED_IN:
        raise ValidationError(_("Only a checked-in session that is not charted can be postponed."))
    reasons = [
        verdict_text(v)
        for v in session.screening_result.get("verdicts", [])
        if v["level"] in STOPPING
    ]
    reason = ("; ".join(reasons) or _("Postponed at check-in"))[:300]
    session.status = SessionStatus.POSTPONED
    session.version += 1
    session.save()
    if session.appointment_id:
        appointment = Appointment.objects.get(pk=session.appointment_id)
        if appointment.status in ("booked", "confirmed", "arrived"):
            appointment_status_set(
                scope=scope,
                appointment=appointment,
                status=AppointmentStatus.POSTPONED,
                expected_version=appointment.version,
                reason=reason,
                request=request,
            )
    audit_record(
        action=AuditAction.UPDATE,
        request=request,
        scope=scope,
        obj=session,
        detail={"postponed": reason},
    )
    return session


def _locked(scope: Scope, session: TreatmentSession) -> TreatmentSession:
    try:
        return TreatmentSession.objects.select_for_update().get(
            pk=session.pk, organisation_id=scope.organisation_id
        )
    except TreatmentSession.DoesNotExist as exc:
        raise ValidationError(_("Unknown session.")) from exc


# --- Charting ------------------------------------------------------------------


@dataclass
class EntryForm:
    """One charted row as posted (strings), before validation."""

    zone_id: str = ""
    technique_id: str = ""
    depth_mm: str = ""
    needle_gauge: str = ""
    needle_length_mm: str = ""
    points: str = ""
    spacing_mm: str = ""
    lot_id: str = ""
    volume_ml: str = ""
    device_id: str = ""
    device_params: str = ""


@dataclass
class ChartCheck:
    """The outcome of validating a chart: row errors, engine verdicts, totals."""

    entries: list[ChartEntry] = field(default_factory=list)
    row_errors: dict[int, list[str]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    result: ScreeningResult | None = None
    blocking: list = field(default_factory=list)
    totals: list[dict] = field(default_factory=list)
    total_ml: Decimal = Decimal(0)
    session_limit_ml: float | None = None

    @property
    def ok(self) -> bool:
        return not (self.row_errors or self.errors or self.blocking)

    def messages(self) -> list[str]:
        out = list(self.errors)
        for index, errs in sorted(self.row_errors.items()):
            out += [_("Row %(n)s: %(error)s") % {"n": index + 1, "error": e} for e in errs]
        out += [v.message.get(_lang()) for v in self.blocking]
        return out


def _decimal(value: str) -> Decimal | None:
    value = (value or "").strip().replace(",", ".")
    if not value:
        return None
    try:
        number = Decimal(value)
    except InvalidOperation as exc:
        raise ValueError(value) from exc
    if not number.is_finite():
        raise ValueError(value)
    return number


def _int(value: str) -> int | None:
    value = (value or "").strip()
    if not value:
        return None
    return int(value)


def session_limit(session: TreatmentSession) -> float:
    """The session volume limit shown with the totals (the engine enforces it)."""
    kb = knowledge()
    protocol = kb.protocol.get(session.plan.protocol_id) if session.plan_id else None
    if protocol is not None and protocol.max_volume_ml is not None:
        return protocol.max_volume_ml
    return kb.rule["rule.session-volume-max"].params["default_max_ml"]


def chart_check(
    *, scope: Scope, session: TreatmentSession, rows: Sequence[EntryForm], today: dt.date
) -> ChartCheck:
    """Validate posted rows: fields, lots at this clinic, then the engine on the whole chart."""
    kb = knowledge()
    check = ChartCheck(session_limit_ml=session_limit(session))
    if not rows:
        check.errors.append(_("Chart at least one zone."))
        return check
    lot_ids = {r.lot_id for r in rows if r.lot_id.strip().isdigit()}
    lots = {
        str(lot.pk): lot
        for lot in Lot.objects.filter(
            pk__in=[int(i) for i in lot_ids], organisation_id=scope.organisation_id
        ).select_related("product")
    }
    here = dict(
        StockBalance.objects.filter(
            lot_id__in=[lot.pk for lot in lots.values()], clinic_id=session.clinic_id
        ).values_list("lot_id", "quantity_ul")
    )
    device_ids = {r.device_id for r in rows if r.device_id.strip().isdigit()}
    devices = {
        str(d.pk): d
        for d in Device.objects.filter(
            pk__in=[int(i) for i in device_ids], organisation_id=scope.organisation_id
        )
    }
    per_lot: dict[int, Decimal] = defaultdict(Decimal)
    engine_entries: list[sc.EntryIn] = []
    for index, row in enumerate(rows):
        errs: list[str] = []
        zone = kb.zone.get(row.zone_id)
        technique = kb.technique.get(row.technique_id)
        if zone is None:
            errs.append(_("Choose a zone on the map."))
        if technique is None:
            errs.append(_("Choose a technique."))
        values: dict = {}
        for name in ("depth_mm", "needle_length_mm", "spacing_mm", "volume_ml"):
            try:
                values[name] = _decimal(getattr(row, name))
            except ValueError:
                errs.append(_("%(value)s is not a number.") % {"value": getattr(row, name)})
                values[name] = None
        for name in ("needle_gauge", "points"):
            try:
                values[name] = _int(getattr(row, name))
            except ValueError:
                errs.append(_("%(value)s is not a whole number.") % {"value": getattr(row, name)})
                values[name] = None
        volume = values["volume_ml"]
        if volume is not None and volume <= 0:
            errs.append(_("The volume must be more than 0 mL."))
        elif volume is not None and (volume > MAX_VOLUME_ML or volume.as_tuple().exponent < -3):
            errs.append(_("%(value)s mL is not a possible volume.") % {"value": volume})
        depth = values["depth_mm"]
        if depth is not None and (depth < 0 or depth > Decimal("99.9")):
            errs.append(_("The depth must be between 0 and 99.9 mm."))
        for name in ("needle_length_mm", "spacing_mm"):
            if values[name] is not None and not (0 < values[name] <= Decimal("99.9")):
                errs.append(_("Needle length and spacing must be between 0 and 99.9 mm."))
        gauge = values["needle_gauge"]
        if gauge is not None and not GAUGE_RANGE[0] <= gauge <= GAUGE_RANGE[1]:
            errs.append(
                _("The needle gauge must be between %(min)s G and %(max)s G.")
                % {"min": GAUGE_RANGE[0], "max": GAUGE_RANGE[1]}
            )
        if values["points"] is not None and not 0 < values["points"] <= 10000:
            errs.append(_("The number of points must be between 1 and 10000."))
        if technique is not None:
            if technique.kind == "needle" and depth is None:
                errs.append(_("Record the depth of a needle technique."))
            if technique.kind == "needle-free" and (depth is not None or gauge is not None):
                errs.append(_("A needle-free technique has no depth or needle."))
        lot = None
        if row.lot_id.strip():
            lot = lots.get(row.lot_id.strip())
            if lot is None:
                errs.append(_("Unknown lot."))
            elif lot.pk not in here:
                errs.append(
                    _("Lot %(lot)s is not stocked at this clinic.") % {"lot": lot.lot_number}
                )
            elif lot.status != LotStatus.AVAILABLE:
                errs.append(
                    _("Lot %(lot)s is %(status)s and cannot be used.")
                    % {"lot": lot.lot_number, "status": lot.get_status_display().lower()}
                )
            elif lot.expiry_date < today:
                errs.append(
                    _("Lot %(lot)s expired on %(date)s and cannot be used.")
                    % {"lot": lot.lot_number, "date": lot.expiry_date.isoformat()}
                )
            if volume is None:
                errs.append(_("Record the volume injected from the lot."))
            elif lot is not None and volume > 0:
                per_lot[lot.pk] += volume
        elif volume is not None:
            errs.append(_("Choose the product lot the volume came from."))
        device = None
        if row.device_id.strip():
            device = devices.get(row.device_id.strip())
            if device is None or device.clinic_id != session.clinic_id:
                errs.append(_("Unknown device."))
                device = None
        if errs:
            check.row_errors[index] = errs
        check.entries.append(
            ChartEntry(
                organisation_id=scope.organisation_id,
                session=session,
                position=index,
                zone_id=row.zone_id,
                technique_id=row.technique_id,
                depth_mm=depth,
                needle_gauge=gauge,
                needle_length_mm=values["needle_length_mm"],
                points=values["points"],
                spacing_mm=values["spacing_mm"],
                product=lot.product if lot else None,
                lot=lot,
                volume_ml=volume if lot else None,
                device=device,
                device_params=row.device_params.strip()[:300],
            )
        )
        if zone is not None and technique is not None and not errs:
            engine_entries.append(_entry_in(check.entries[-1]))
    for lot_pk, volume in per_lot.items():
        left = Decimal(here.get(lot_pk, 0)).scaleb(-3)
        if volume > left:
            lot = next(lot for lot in lots.values() if lot.pk == lot_pk)
            check.errors.append(
                _("Only %(left)s mL of lot %(lot)s left at this clinic.")
                % {"left": left.normalize(), "lot": lot.lot_number}
            )
    check.totals, check.total_ml = _totals(check.entries)
    if check.row_errors or not engine_entries:
        return check
    check.result = sc.chart_screen(
        base_request=ScreeningRequest.model_validate(session.screening_request),
        entries=engine_entries,
        practitioner_techniques=practitioner_credentials(
            organisation_id=scope.organisation_id, user_id=scope.user_id
        ),
        practitioner_id=str(scope.user_id),
        physician=_is_physician(scope.user_id, session.clinic_id),
        today=today,
        kb=kb,
    )
    lifted = set(session.override_rules or [])
    check.blocking = [
        v for v in check.result.verdicts if v.level in STOPPING and v.rule_id not in lifted
    ]
    return check


def _entry_in(entry: ChartEntry) -> sc.EntryIn:
    lot = entry.lot
    return sc.EntryIn(
        zone_id=entry.zone_id,
        technique_id=entry.technique_id,
        depth_mm=entry.depth_mm,
        points=entry.points,
        kb_product_id=lot.product.kb_product_id if lot else "",
        volume_ml=entry.volume_ml,
        lot_number=lot.lot_number if lot else "",
        lot_expiry=lot.expiry_date if lot else None,
        lot_status={"available": "released"}.get(lot.status, lot.status) if lot else "released",
        multi_dose=lot.product.is_multi_dose if lot else False,
    )


def _totals(entries: Sequence[ChartEntry]) -> tuple[list[dict], Decimal]:
    kb = knowledge()
    by_product: dict[int, dict] = {}
    total = Decimal(0)
    for entry in entries:
        if entry.lot is None or entry.volume_ml is None or entry.volume_ml <= 0:
            continue
        product = entry.lot.product
        row = by_product.setdefault(
            product.pk, {"product": product, "volume_ml": Decimal(0), "limit_ml": None}
        )
        row["volume_ml"] += entry.volume_ml
        total += entry.volume_ml
        label = (
            kb.product[product.kb_product_id].label if product.kb_product_id in kb.product else None
        )
        limit = label.per_session_ml if label is not None else None
        if limit is None and product.per_session_ml is not None:
            limit = float(product.per_session_ml)
        row["limit_ml"] = limit
        row["over"] = limit is not None and float(row["volume_ml"]) > limit + 1e-9
    return list(by_product.values()), total


def _require_chartable(session: TreatmentSession, today: dt.date) -> None:
    if session.status == SessionStatus.SIGNED:
        raise ValidationError(
            _("This session is signed and cannot be changed; add an addendum instead.")
        )
    if session.status == SessionStatus.POSTPONED:
        raise ValidationError(_("This session was postponed."))
    if clinic_today(session.clinic, session.screened_at) != today:
        raise ValidationError(_("Screen the patient at check-in today before charting."))
    if session.screening_stops:
        raise ValidationError(
            _(
                "Today's screening stops this session: postpone it, or an authorised "
                "practitioner overrides it with a reason."
            )
        )


@transaction.atomic
def chart_save(
    *,
    scope: Scope,
    session: TreatmentSession,
    rows: Sequence[EntryForm],
    expected_version: int,
    save_token: str,
    now: dt.datetime,
    request=None,
) -> TreatmentSession:
    """Replace the draft chart with the posted rows, after the engine accepts them.

    All or nothing: the rows are validated and screened first, then written in
    one transaction. A retried POST (same `save_token`) returns the saved session
    unchanged; a save based on an older version is refused.
    """
    scope.require("sessions.chart")
    session = _locked(scope, session)
    if save_token and session.last_save_token == save_token:
        return session
    today = clinic_today(session.clinic, now)
    _require_chartable(session, today)
    if session.version != expected_version:
        raise ValidationError(
            _("Someone else saved this chart a moment ago. Reload it and chart again.")
        )
    check = chart_check(scope=scope, session=session, rows=rows, today=today)
    if not check.ok:
        raise ValidationError(check.messages())
    ChartEntry.objects.filter(session=session).delete()
    ChartEntry.objects.bulk_create(check.entries)
    session.chart_screening = check.result.model_dump(mode="json")
    session.chart_level = check.result.level
    session.status = SessionStatus.CHARTING
    session.last_save_token = save_token[:64]
    session.version += 1
    session.save()
    audit_record(
        action=AuditAction.UPDATE,
        request=request,
        scope=scope,
        obj=session,
        detail={"chart": len(check.entries), "total_ml": str(check.total_ml)},
    )
    return session


def _entry_rows(session: TreatmentSession) -> list[EntryForm]:
    return [
        EntryForm(
            zone_id=e.zone_id,
            technique_id=e.technique_id,
            depth_mm=str(e.depth_mm) if e.depth_mm is not None else "",
            needle_gauge=str(e.needle_gauge or ""),
            needle_length_mm=str(e.needle_length_mm) if e.needle_length_mm is not None else "",
            points=str(e.points or ""),
            spacing_mm=str(e.spacing_mm) if e.spacing_mm is not None else "",
            lot_id=str(e.lot_id or ""),
            volume_ml=str(e.volume_ml) if e.volume_ml is not None else "",
            device_id=str(e.device_id or ""),
            device_params=e.device_params,
        )
        for e in session.entries.select_related("lot__product").order_by("position", "id")
    ]


def entry_rows(session: TreatmentSession) -> list[EntryForm]:
    """The saved chart as form rows (for the charting page and for re-checking)."""
    return _entry_rows(session)


@transaction.atomic
def session_sign(
    *, scope: Scope, session: TreatmentSession, now: dt.datetime, request=None
) -> TreatmentSession:
    """Sign the chart: re-screen it, decrement stock of every lot used, make it immutable.

    The session row is locked first, so of two people signing at once one signs and
    the other is told it is already signed; stock is decremented once, inside this
    transaction, so a refused use (not enough left, lot recalled meanwhile) signs nothing.
    """
    scope.require("sessions.chart")
    session = _locked(scope, session)
    if session.status == SessionStatus.SIGNED:
        signer = session.signed_by
        raise ValidationError(
            _("This session was already signed by %(name)s at %(time)s.")
            % {
                "name": signer.display_name or signer.username,
                "time": timezone.localtime(session.signed_at).strftime("%H:%M"),
            }
        )
    today = clinic_today(session.clinic, now)
    _require_chartable(session, today)
    if session.status != SessionStatus.CHARTING:
        raise ValidationError(_("Chart the session before signing it."))
    check = chart_check(scope=scope, session=session, rows=_entry_rows(session), today=today)
    if not check.ok:
        raise ValidationError(check.messages())
    kb = knowledge()
    practitioner = scope_user(scope)
    for entry in session.entries.select_related("lot__product").order_by("position", "id"):
        if entry.lot_id is None:
            continue
        stock_use(
            scope=scope,
            lot=entry.lot,
            quantity_ml=entry.volume_ml,
            patient=session.patient,
            practitioner=practitioner,
            zone_id=entry.zone_id,
            administered_at=now,
            session_ref=session.pk,
            request=request,
        )
    plan = session.plan
    if plan is not None and session.session_number < plan.sessions:
        session.next_earliest = session.session_date + dt.timedelta(days=plan.interval_min_days)
        session.next_latest = session.session_date + dt.timedelta(days=plan.interval_max_days)
    session.chart_screening = check.result.model_dump(mode="json")
    session.chart_level = check.result.level
    session.status = SessionStatus.SIGNED
    session.signed_at = now
    session.signed_by_id = scope.user_id
    session.signed_knowledge_version = kb.version
    session.version += 1
    session.save()
    if session.appointment_id:
        appointment = Appointment.objects.select_for_update().get(pk=session.appointment_id)
        for status in ("arrived", "done"):
            if status in _next_statuses(appointment.status):
                appointment = appointment_status_set(
                    scope=scope,
                    appointment=appointment,
                    status=status,
                    expected_version=appointment.version,
                    request=request,
                )
    if plan is not None:
        from mesoclinic.consultations.services import plan_complete_if_done

        plan_complete_if_done(
            scope=scope,
            plan=plan,
            signed_sessions=TreatmentSession.objects.filter(
                plan=plan, status=SessionStatus.SIGNED
            ).count(),
            now=now,
            request=request,
        )
    audit_record(
        action=AuditAction.UPDATE,
        request=request,
        scope=scope,
        obj=session,
        detail={"signed": True, "knowledge_version": kb.short_version},
    )
    return session


def _next_statuses(status: str) -> set[str]:
    from mesoclinic.scheduling.services import TRANSITIONS

    return TRANSITIONS.get(status, set())


def scope_user(scope: Scope):
    from mesoclinic.accounts.models import User

    return User.objects.get(pk=scope.user_id)


@transaction.atomic
def addendum_create(
    *, scope: Scope, session: TreatmentSession, text: str, now: dt.datetime, request=None
) -> Addendum:
    """Add a correction or note to a signed session (the record itself never changes)."""
    scope.require("patients.edit_clinical")
    if session.organisation_id != scope.organisation_id:
        raise ValidationError(_("Unknown session."))
    if session.status != SessionStatus.SIGNED:
        raise ValidationError(_("Addenda are for signed sessions; edit the draft chart instead."))
    text = text.strip()
    if not text:
        raise ValidationError({"text": _("Write the addendum.")})
    if len(text) > 5000:
        raise ValidationError({"text": _("Keep an addendum under 5000 characters.")})
    addendum = Addendum.objects.create(
        organisation_id=scope.organisation_id,
        session=session,
        author_id=scope.user_id,
        created_at=now,
        text=text,
    )
    audit_record(
        action=AuditAction.CREATE,
        request=request,
        scope=scope,
        obj=addendum,
        patient_id=session.patient_id,
    )
    return addendum


@transaction.atomic
def side_effect_record(
    *,
    scope: Scope,
    session: TreatmentSession,
    kind: str,
    phase: str,
    severity: str,
    outcome: str,
    onset_on: dt.date,
    now: dt.datetime,
    zone_id: str = "",
    pain_score: int | None = None,
    serious: bool = False,
    note: str = "",
    request=None,
) -> SideEffect:
    """Record a side effect at the session or at follow-up.

    Every product lot used in the zone (or in the session, without a zone) gets an
    adverse-event report for inventory's signal detection; a serious side effect
    (severe, or marked serious) also flags the patient's record.
    """
    scope.require("patients.edit_clinical")
    if session.organisation_id != scope.organisation_id:
        raise ValidationError(_("Unknown session."))
    kb = knowledge()
    errors = {}
    if kind not in kb.side_effect:
        errors["kind"] = _("Choose a side effect from the list.")
    if phase not in SideEffectPhase.values:
        errors["phase"] = _("Say whether it was seen at the session or at follow-up.")
    if severity not in SideEffectSeverity.values:
        errors["severity"] = _("Choose mild, moderate or severe.")
    if outcome not in SideEffectOutcome.values:
        errors["outcome"] = _("Choose the outcome.")
    if pain_score is not None and not 0 <= pain_score <= 10:
        errors["pain_score"] = _("The pain score goes from 0 to 10.")
    if zone_id and zone_id not in kb.zone:
        errors["zone_id"] = _("Choose a zone of the session.")
    if onset_on < session.session_date:
        errors["onset_on"] = _("The onset cannot be before the session.")
    if onset_on > clinic_today(session.clinic, now):
        errors["onset_on"] = _("The onset cannot be in the future.")
    if errors:
        raise ValidationError(errors)
    serious = serious or severity == SideEffectSeverity.SEVERE
    effect = SideEffect.objects.create(
        organisation_id=scope.organisation_id,
        session=session,
        patient=session.patient,
        kind=kind,
        zone_id=zone_id,
        phase=phase,
        severity=severity,
        pain_score=pain_score,
        outcome=outcome,
        serious=serious,
        onset_on=onset_on,
        note=note.strip(),
        recorded_by_id=scope.user_id,
        recorded_at=now,
    )
    entries = session.entries.filter(lot__isnull=False).select_related("lot__product")
    if zone_id:
        entries = entries.filter(zone_id=zone_id)
    seen = set()
    for entry in entries:
        if entry.lot_id in seen:
            continue
        seen.add(entry.lot_id)
        adverse_event_record(
            scope=scope,
            patient=session.patient,
            product=entry.lot.product,
            lot=entry.lot,
            kind=kind,
            severity=severity,
            recorded_at=now,
            onset_on=onset_on,
            note=note.strip(),
            session_ref=session.pk,
            request=request,
        )
    if serious:
        PatientFlag.objects.create(
            organisation_id=scope.organisation_id,
            patient=session.patient,
            side_effect=effect,
            created_at=now,
        )
    audit_record(
        action=AuditAction.CREATE,
        request=request,
        scope=scope,
        obj=effect,
        detail={"kind": kind, "severity": severity, "serious": serious},
    )
    return effect


@transaction.atomic
def aftercare_policy_set(
    *, scope: Scope, clinic: Clinic, hours: Mapping[str, float], now: dt.datetime, request=None
) -> AftercarePolicy:
    """Set the clinic's own aftercare durations (hours per aftercare id of the base)."""
    scope.require("clinic.manage")
    if clinic.organisation_id != scope.organisation_id:
        raise ValidationError(_("Unknown clinic."))
    try:
        policy_parse({"aftercare_hours": dict(hours)}, kb=knowledge())
    except PolicyError as exc:
        raise ValidationError({"hours": str(exc)}) from exc
    policy, _created = AftercarePolicy.objects.update_or_create(
        clinic=clinic,
        defaults={
            "organisation_id": scope.organisation_id,
            "hours": {k: float(v) for k, v in hours.items()},
            "updated_at": now,
        },
    )
    audit_record(
        action=AuditAction.UPDATE, request=request, scope=scope, obj=policy, detail=policy.hours
    )
    return policy


def aftercare_email(*, scope: Scope, session: TreatmentSession, request=None) -> None:
    """Queue the aftercare sheet (PDF, in the patient's language) to the patient's e-mail."""
    scope.require("patients.view_clinical")
    if session.organisation_id != scope.organisation_id:
        raise ValidationError(_("Unknown session."))
    if session.status != SessionStatus.SIGNED:
        raise ValidationError(_("Aftercare is sent once the session is signed."))
    if not session.patient.email:
        raise ValidationError(_("The patient has no e-mail address on record."))
    from mesoclinic.charting.tasks import aftercare_email_send

    pk, user_id = session.pk, scope.user_id
    transaction.on_commit(lambda: aftercare_email_send.enqueue(pk, user_id))


def scope_of(user, clinic_id: int) -> Scope | None:
    return scope_for(user, clinic_id=clinic_id)
