"""Side effects reported after a session, and the adverse-event signal they feed."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from mesoclinic.accounts.scope import Scope
from mesoclinic.audit.models import AuditAction
from mesoclinic.audit.services import audit_record
from mesoclinic.charting.models import (
    PatientFlag,
    SessionStatus,
    SideEffect,
    SideEffectOutcome,
    SideEffectPhase,
    SideEffectSeverity,
    TreatmentSession,
)
from mesoclinic.charting.services.common import clinic_today
from mesoclinic.consultations.engine import kb as knowledge
from mesoclinic.inventory.services import adverse_event_record


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
    if session.organisation_id != scope.organisation_id:
        raise ValidationError(_("Unknown session."))
    scope = scope.in_clinic(session.clinic_id)
    scope.require("patients.edit_clinical")
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
    if session.status == SessionStatus.SIGNED:
        side_effect_file_reports(scope=scope, session=session, effect=effect, request=request)
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


def side_effect_file_reports(
    *, scope: Scope, session: TreatmentSession, effect: SideEffect, request=None
) -> None:
    """File an adverse-event report for each lot given in the effect's zone (or session).

    Only a signed chart says which lots were given: a side effect noted before the
    signature is filed when the session is signed (`session_sign` calls this), so a
    draft chart's lot never collects reports (nor triggers a quarantine) by mistake.
    """
    entries = session.entries.filter(lot__isnull=False).select_related("lot__product")
    if effect.zone_id:
        entries = entries.filter(zone_id=effect.zone_id)
    seen = set()
    for entry in entries.order_by("position", "id"):
        if entry.lot_id in seen:
            continue
        seen.add(entry.lot_id)
        adverse_event_record(
            scope=scope,
            patient=session.patient,
            product=entry.lot.product,
            lot=entry.lot,
            kind=effect.kind,
            severity=effect.severity,
            recorded_at=effect.recorded_at,
            onset_on=effect.onset_on,
            note=effect.note,
            session_ref=session.pk,
            request=request,
        )
