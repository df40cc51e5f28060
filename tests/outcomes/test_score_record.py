"""score_record: the right scale value, the right rater, the right zone, audited, scoped."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from mesoclinic.audit.models import AuditAction, AuditEvent
from mesoclinic.outcomes.models import OutcomeScore
from mesoclinic.outcomes.services import score_record
from tests.charting.factories import NOW, TODAY

pytestmark = pytest.mark.django_db


def _record(scope, session, **kw):
    args = {
        "scope": scope,
        "patient": session.patient,
        "session": session,
        "scale_id": "scale.wsrs",
        "value": "3",
        "rater": "investigator",
        "timepoint": "session",
        "scored_on": TODAY,
        "zone_id": "zone.cheeks",
        "now": NOW,
    }
    args.update(kw)
    return score_record(**args)


def test_a_practitioners_score_is_stored_with_its_level_number_and_audited(world, signed):
    score = _record(
        world.scope("practitioner"),
        signed,
        scale_id="scale.hamilton-norwood",
        value="IV",
        zone_id="zone.scalp",
    )
    assert (score.score, score.rater, score.plan_id) == (4, "investigator", signed.plan_id)
    assert score.clinic_id == signed.clinic_id and score.photo_id is None
    event = AuditEvent.objects.get(
        action=AuditAction.CREATE, object_type="outcomes.OutcomeScore", object_id=str(score.pk)
    )
    assert event.patient_id == signed.patient_id
    assert event.detail["scale"] == "scale.hamilton-norwood"


def test_a_value_zone_or_date_the_scale_does_not_allow_is_refused_and_nothing_stored(world, signed):
    with pytest.raises(ValidationError) as exc:
        _record(world.scope("practitioner"), signed, value="6")
    assert "6 is not a level of WSRS" in str(exc.value)
    with pytest.raises(ValidationError):
        _record(
            world.scope("practitioner"),
            signed,
            scale_id="scale.hexsel-css",
            value="16",
            zone_id="zone.thighs",
        )
    with pytest.raises(ValidationError, match="not scored on"):
        _record(
            world.scope("practitioner"),
            signed,
            scale_id="scale.ludwig",
            value="II",
            zone_id="zone.cheeks",
        )
    for day in (TODAY + dt.timedelta(days=1), TODAY - dt.timedelta(days=1)):
        with pytest.raises(ValidationError):
            _record(world.scope("practitioner"), signed, scored_on=day)
    assert not OutcomeScore.objects.exists()


def test_the_patient_scores_their_own_scales_and_the_practitioner_theirs(world, signed):
    practitioner = world.scope("practitioner")
    with pytest.raises(ValidationError, match="scored by the patient"):
        _record(
            practitioner, signed, scale_id="scale.gais-subject", value="2", rater="investigator"
        )
    with pytest.raises(ValidationError, match="scored by the practitioner"):
        _record(practitioner, signed, scale_id="scale.gais", value="2", rater="subject")
    # A nurse enters the patient's own answer; she cannot give the practitioner's grade.
    nurse = world.scope("nurse")
    own = _record(
        nurse, signed, scale_id="scale.patient-satisfaction", value="4", rater="subject", zone_id=""
    )
    assert own.patient_reported and own.recorded_by_id == world.users["nurse"].pk
    with pytest.raises(ValidationError, match="Only a practitioner"):
        _record(nurse, signed, scale_id="scale.gais", value="2")


def test_follow_up_needs_a_course_and_only_clinical_staff_of_the_organisation_score(
    world, make_org, signed
):
    with pytest.raises(ValidationError, match="belong to a course"):
        score_record(
            scope=world.scope("practitioner"),
            patient=signed.patient,
            scale_id="scale.wsrs",
            value="2",
            rater="investigator",
            timepoint="follow_up",
            scored_on=TODAY,
            zone_id="zone.cheeks",
            clinic_id=world.clinic.pk,
            now=NOW,
        )
    with pytest.raises(PermissionDenied):
        _record(world.scope("receptionist"), signed)
    other = make_org("Elsewhere")
    with pytest.raises(ValidationError):
        _record(other.scope("practitioner"), signed)
