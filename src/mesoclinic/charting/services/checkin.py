"""Check-in: the day's screening, overrides and postponements."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from mesoclinic.accounts.locales import current_language
from mesoclinic.accounts.scope import Scope
from mesoclinic.audit.models import AuditAction
from mesoclinic.audit.services import audit_record
from mesoclinic.charting import screening as sc
from mesoclinic.charting.models import (
    SessionStatus,
    TreatmentSession,
)
from mesoclinic.charting.services.common import (
    STOPPING,
    _fefo_lot,
    _is_physician,
    _locked,
    _lot_facts,
    _signed_history,
    clinic_today,
    practitioner_credentials,
)
from mesoclinic.charting.services.overrides import screening_policy_for
from mesoclinic.consultations.engine import kb as knowledge
from mesoclinic.consultations.models import PlanStatus, TreatmentPlan
from mesoclinic.consultations.services import plan_current_consent
from mesoclinic.core.screening import (
    PlannedProduct,
    PlannedSession,
    Practitioner,
    ScreeningInputError,
    ScreeningRequest,
    VisitFacts,
    screen,
)
from mesoclinic.patients.models import FactKind
from mesoclinic.patients.selectors import history_current, screening_facts
from mesoclinic.patients.services import history_fact_correct, history_fact_record
from mesoclinic.scheduling.models import Appointment, AppointmentStatus
from mesoclinic.scheduling.services import appointment_status_set


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
        lot = _fefo_lot(scope, pid, today, clinic_id=appointment.clinic_id)
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
            if any(
                f.kind == kind
                and f.code == answer.code
                and (answer.code or f.label == answer.text.strip())
                and f.present
                for f in current
            ):
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
                if not answer.text and answer.code:
                    fields["label"] = kb.medication_class[answer.code].name.get(current_language())
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
            if kind == FactKind.PROCEDURE and answer.zones:
                fields["zones"] = list(answer.zones)
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
    if appointment.organisation_id != scope.organisation_id:
        raise ValidationError(_("Unknown appointment."))
    scope = scope.in_clinic(appointment.clinic_id)
    scope.require("patients.edit_clinical")
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
            typed = kind in ("medication", "condition") and answer.text.strip()
            if answer.code not in codes and not (typed and not answer.code):
                errors[qid] = (
                    _("Choose what it is from the list or type its name.")
                    if kind in ("medication", "condition")
                    else _("Choose what it is from the list.")
                )
    if errors:
        raise ValidationError(errors)
    try:
        requests = checkin_request(
            scope=scope, appointment=appointment, plan=plan, answers=answers, today=today
        )
        policy = screening_policy_for(clinic_id=clinic.pk)
        results = [screen(r, kb=kb, today=today, policy=policy) for r in requests]
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
    session.override_cosign_required = None
    session.override_cosigned_by, session.override_cosigned_at = None, None
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
def session_postpone(
    *, scope: Scope, session: TreatmentSession, now: dt.datetime, request=None
) -> TreatmentSession:
    """Postpone the session as screened: the session and its appointment become postponed."""
    scope = scope.in_clinic(session.clinic_id)
    scope.require("patients.edit_clinical")
    session = _locked(scope, session)
    if session.status != SessionStatus.CHECKED_IN:
        raise ValidationError(_("Only a checked-in session that is not charted can be postponed."))
    rules = sorted(
        {
            v["rule_id"]
            for v in session.screening_result.get("verdicts", [])
            if v["level"] in STOPPING
        }
    )
    # Every role sees the appointment's reason: the clinical verdicts stay on the
    # session (its screening result), the calendar only says where to look.
    reason = _("Postponed at check-in after the safety screening; see the session record.")
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
        detail={"postponed": rules},
    )
    return session
