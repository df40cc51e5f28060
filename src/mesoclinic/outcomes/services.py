"""Recording outcome scores: validated against the scale, the rater, the zone and the day."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from mesoclinic.accounts.locales import current_language
from mesoclinic.accounts.models import Clinic
from mesoclinic.accounts.scope import Scope
from mesoclinic.audit.models import AuditAction
from mesoclinic.audit.services import audit_record
from mesoclinic.charting.models import TreatmentSession
from mesoclinic.charting.services.common import clinic_today
from mesoclinic.consultations.engine import kb as knowledge
from mesoclinic.consultations.models import TreatmentPlan
from mesoclinic.outcomes.models import OutcomeScore, Rater, Timepoint
from mesoclinic.patients.models import Patient

# Who scores a scale, as the knowledge base says it.
RATER_OF = {"clinician": Rater.INVESTIGATOR, "patient": Rater.SUBJECT}


@transaction.atomic
def score_record(
    *,
    scope: Scope,
    patient: Patient,
    scale_id: str,
    value: str,
    rater: str,
    timepoint: str,
    scored_on: dt.date,
    now: dt.datetime,
    zone_id: str = "",
    plan: TreatmentPlan | None = None,
    session: TreatmentSession | None = None,
    clinic_id: int | None = None,
    photo_id: int | None = None,
    note: str = "",
    request=None,
) -> OutcomeScore:
    """Record one score of a validated scale for a patient, audited.

    The clinic is the session's, else the plan's, else `clinic_id` (the user's own);
    the user's roles in that clinic decide. A practitioner's scale (WSRS, GAIS) is
    scored by a practitioner; a patient's scale (satisfaction, subject GAIS) is the
    patient's own answer, entered by a member of the clinical staff and attributed
    to both. The value must be a level of the scale, the zone one the scale is for.
    """
    if patient.organisation_id != scope.organisation_id:
        raise ValidationError(_("Unknown patient."))
    if session is not None:
        if session.patient_id != patient.pk or session.organisation_id != scope.organisation_id:
            raise ValidationError(_("That session is not this patient's."))
        plan = plan or session.plan
    if plan is not None and (
        plan.patient_id != patient.pk or plan.organisation_id != scope.organisation_id
    ):
        raise ValidationError(_("That course is not this patient's."))
    if session is not None:
        clinic = session.clinic
    elif plan is not None:
        clinic = plan.clinic
    else:
        clinic = Clinic.objects.filter(pk=clinic_id).first() if scope.works_in(clinic_id) else None
    if clinic is None:
        raise ValidationError(_("Choose the clinic the score belongs to."))
    scope = scope.in_clinic(clinic.pk)
    scope.require("patients.edit_clinical")
    kb = knowledge()
    errors: dict[str, str] = {}
    scale = kb.scale.get(scale_id)
    if scale is None:
        raise ValidationError({"level": _("Choose a scale and its score from the list.")})
    level = scale.level(value)
    if level is None:
        errors["level"] = _("%(value)s is not a level of %(scale)s.") % {
            "value": value,
            "scale": scale.short.get(current_language()),
        }
    expected = RATER_OF[scale.rated_by]
    if rater not in Rater.values:
        errors["rater"] = _("Say who gave the score.")
    elif rater != expected:
        errors["rater"] = (
            _("%(scale)s is scored by the patient, not the practitioner.")
            if expected == Rater.SUBJECT
            else _("%(scale)s is scored by the practitioner, not the patient.")
        ) % {"scale": scale.short.get(current_language())}
    elif expected == Rater.INVESTIGATOR and not scope.can("sessions.chart"):
        errors["rater"] = _("Only a practitioner may give the practitioner's score.")
    if zone_id and zone_id not in kb.zone:
        errors["zone_id"] = _("Choose a zone from the list.")
    elif scale.zones and not zone_id:
        errors["zone_id"] = _("Choose the zone this score is for.")
    elif zone_id and not scale.applies_to(zone_id=zone_id):
        errors["zone_id"] = _("%(scale)s is not scored on %(zone)s.") % {
            "scale": scale.short.get(current_language()),
            "zone": kb.zone[zone_id].name.get(current_language()),
        }
    if timepoint not in Timepoint.values:
        errors["timepoint"] = _("Say when the score was given.")
    elif timepoint == Timepoint.SESSION and session is None:
        errors["timepoint"] = _("A score at a session is recorded from the session's page.")
    elif timepoint != Timepoint.BASELINE and plan is None:
        errors["timepoint"] = _("Follow-up scores belong to a course: choose the course.")
    if scored_on > clinic_today(clinic, now):
        errors["scored_on"] = _("The date cannot be in the future.")
    elif session is not None and scored_on < session.session_date:
        errors["scored_on"] = _("The date cannot be before the session.")
    if photo_id is not None:
        from mesoclinic.photos.models import Photo

        # Only a photograph of this patient, from this organisation, that this user may
        # see, taken under a consent still current, of the zone scored.
        photo = Photo.objects.filter(
            pk=photo_id, patient=patient, organisation_id=scope.organisation_id
        ).first()
        if photo is None or not scope.can_in("patients.view_clinical", photo.clinic_id):
            errors["photo"] = _("Unknown photo.")
        elif photo.consent.withdrawn_at is not None:
            errors["photo"] = _(
                "The patient withdrew the consent to this photograph: choose another one."
            )
        elif zone_id and photo.zone_id != zone_id:
            errors["photo"] = _("Choose a photograph of the zone scored.")
    if errors:
        raise ValidationError(errors)
    score = OutcomeScore.objects.create(
        organisation_id=scope.organisation_id,
        clinic=clinic,
        patient=patient,
        plan=plan,
        session=session,
        scale_id=scale.id,
        zone_id=zone_id,
        timepoint=timepoint,
        value=level.value,
        score=level.score,
        rater=rater,
        photo_id=photo_id,
        scored_on=scored_on,
        note=note.strip(),
        recorded_by_id=scope.user_id,
        recorded_at=now,
        knowledge_version=kb.version,
    )
    audit_record(
        action=AuditAction.CREATE,
        request=request,
        scope=scope,
        obj=score,
        detail={
            "scale": scale.id,
            "value": level.value,
            "rater": rater,
            "timepoint": timepoint,
            "zone": zone_id,
        },
    )
    return score
