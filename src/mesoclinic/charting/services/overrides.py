"""Overrides of a stopping check-in screening, their co-signature, and the clinic's rules for them.

An absolute contraindication (and a stop the knowledge base declares final, such as
pregnancy) is never overridden. Any other block or postponement may be overridden by
a physician with a written reason; where the clinic asks for it, the override lifts
the stop only once a second clinician has co-signed it. Every step is audited and
kept on the session record.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from mesoclinic.accounts.models import Clinic
from mesoclinic.accounts.scope import Scope
from mesoclinic.audit.models import AuditAction
from mesoclinic.audit.services import audit_record
from mesoclinic.charting.models import ScreeningSettings, SessionStatus, TreatmentSession
from mesoclinic.charting.services.common import (
    STOPPING,
    _is_physician,
    _locked,
    verdict_text,
)
from mesoclinic.consultations.engine import kb as knowledge


def screening_settings_for(*, clinic_id: int) -> ScreeningSettings:
    """The clinic's screening settings, or an unsaved row holding the defaults."""
    found = ScreeningSettings.objects.filter(clinic_id=clinic_id).first()
    if found is None:
        clinic = Clinic.objects.get(pk=clinic_id)
        found = ScreeningSettings(clinic=clinic, organisation_id=clinic.organisation_id)
    return found


def screening_policy_for(*, clinic_id: int) -> dict:
    """The clinic's settings as the screening engine's policy (see core.knowledge.policy)."""
    # One column read; a clinic without a settings row has the field's default.
    stored = (
        ScreeningSettings.objects.filter(clinic_id=clinic_id)
        .values_list("off_label_by_physician", flat=True)
        .first()
    )
    if stored is None:
        stored = ScreeningSettings._meta.get_field("off_label_by_physician").get_default()
    return {"off_label_by_physician": stored}


@transaction.atomic
def screening_settings_update(
    *,
    scope: Scope,
    clinic: Clinic,
    now: dt.datetime,
    override_cosign_required: bool | None = None,
    off_label_by_physician: bool | None = None,
    request=None,
) -> ScreeningSettings:
    """Set the clinic's override co-signature and off-label rules (owners only; audited)."""
    scope.require("clinic.manage")
    if clinic.organisation_id != scope.organisation_id:
        raise PermissionDenied("clinic.manage")
    row, _created = ScreeningSettings.objects.select_for_update().get_or_create(
        clinic=clinic, defaults={"organisation_id": clinic.organisation_id}
    )
    before = {
        "override_cosign_required": row.override_cosign_required,
        "off_label_by_physician": row.off_label_by_physician,
    }
    if override_cosign_required is not None:
        row.override_cosign_required = override_cosign_required
    if off_label_by_physician is not None:
        row.off_label_by_physician = off_label_by_physician
    row.updated_at, row.updated_by_id = now, scope.user_id
    row.save()
    audit_record(
        action=AuditAction.UPDATE,
        request=request,
        scope=scope,
        obj=row,
        detail={
            "before": before,
            "after": {
                "override_cosign_required": row.override_cosign_required,
                "off_label_by_physician": row.off_label_by_physician,
            },
        },
    )
    return row


def _final_stops(session: TreatmentSession) -> list[dict]:
    # Results stored before verdicts carried `overridable` are judged by today's base.
    kb = knowledge()
    final = []
    for v in session.screening_result.get("verdicts", []):
        if v["level"] not in STOPPING:
            continue
        overridable = v.get("overridable")
        if overridable is None:
            entry = kb.contraindication.get(v["rule_id"]) or kb.rule.get(v["rule_id"])
            overridable = entry.may_override if entry is not None else True
        if not overridable:
            final.append(v)
    return final


@transaction.atomic
def session_override(
    *, scope: Scope, session: TreatmentSession, reason: str, now: dt.datetime, request=None
) -> TreatmentSession:
    """Lift today's block or postponement with a written reason (a physician; never absolute)."""
    scope = scope.in_clinic(session.clinic_id)
    scope.require("screening.override")
    session = _locked(scope, session)
    if session.status != SessionStatus.CHECKED_IN or session.screening_level not in STOPPING:
        raise ValidationError(_("Only a blocked or postponed check-in can be overridden."))
    final = _final_stops(session)
    if final:
        raise ValidationError(
            _("This cannot be overridden (absolute contraindication): %(items)s")
            % {"items": "; ".join(verdict_text(v) for v in final)}
        )
    if not _is_physician(scope.user_id, session.clinic_id):
        raise ValidationError(_("Only a physician of this clinic may override the screening."))
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
    settings_row = screening_settings_for(clinic_id=session.clinic_id)
    session.override_cosign_required = settings_row.override_cosign_required
    session.override_cosigned_by, session.override_cosigned_at = None, None
    session.version += 1
    session.save()
    audit_record(
        action=AuditAction.OVERRIDE,
        request=request,
        scope=scope,
        obj=session,
        detail={
            "override": session.override_rules,
            "reason": session.override_reason,
            "cosign_required": session.override_cosign_required,
        },
    )
    return session


@transaction.atomic
def session_override_cosign(
    *, scope: Scope, session: TreatmentSession, now: dt.datetime, request=None
) -> TreatmentSession:
    """A second clinician co-signs an override the clinic requires co-signed."""
    scope = scope.in_clinic(session.clinic_id)
    scope.require("patients.edit_clinical")
    session = _locked(scope, session)
    if not session.overridden or not session.override_cosign_required:
        raise ValidationError(_("There is no override waiting for a co-signature."))
    if session.override_cosigned_by_id is not None:
        raise ValidationError(_("This override is already co-signed."))
    if scope.user_id == session.override_by_id:
        raise ValidationError(
            _("A second clinician must co-sign: the physician who overrode cannot.")
        )
    session.override_cosigned_by_id = scope.user_id
    session.override_cosigned_at = now
    session.version += 1
    session.save()
    audit_record(
        action=AuditAction.OVERRIDE,
        request=request,
        scope=scope,
        obj=session,
        detail={"override": session.override_rules, "cosigned_by": scope.user_id},
    )
    return session
