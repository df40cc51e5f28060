"""A patient with a full record: history, consents, a signed session with a lot, a side effect."""

from __future__ import annotations

import pytest

from tests.charting.factories import NOW, TODAY, charted, make_day
from tests.scheduling.conftest import active_plan, clinic_setup  # noqa: F401  (shared)


@pytest.fixture
def record(world, active_plan):  # noqa: F811
    """The course patient of `active_plan`, after one signed session and its follow-up."""
    from mesoclinic.charting.services import session_sign
    from mesoclinic.charting.services.side_effects import side_effect_record
    from mesoclinic.patients.services import history_fact_record, patient_update

    day = make_day(world, active_plan)
    session = session_sign(scope=day.scope, session=charted(day), now=NOW)
    side_effect_record(
        scope=day.scope,
        session=session,
        kind="se.bruising",
        phase="session",
        severity="mild",
        outcome="resolved",
        onset_on=TODAY,
        now=NOW,
        zone_id="zone.cheeks",
    )
    patient = day.patient
    nurse = world.scope("nurse")
    for kind, code, label in (
        ("allergy", "ingredient.lidocaine", ""),
        ("condition", "condition.haemophilia", ""),
        ("condition", "", "Seasonal hay fever"),
        ("medication", "medclass.anticoagulant", "Warfarin 5 mg"),
    ):
        history_fact_record(
            scope=nurse, patient=patient, kind=kind, code=code, label=label, now=NOW, today=TODAY
        )
    patient_update(
        scope=world.scope("receptionist"),
        patient=patient,
        today=TODAY,
        **{
            "phone": "+7 900 123-45-67",
            "email": "course@example.org",
            "sex": "female",
            "data_consent": True,
        },
    )
    patient.refresh_from_db()
    return patient


@pytest.fixture
def photographed(world, record):
    """`record` with a photo consent, a photograph of the signed session, a practitioner's
    score read from it and the patient's own score, all through the services."""
    from mesoclinic.charting.models import TreatmentSession
    from mesoclinic.outcomes.services import score_record
    from tests.photos.conftest import capture, consent_for
    from tests.photos.images import sharp_jpeg

    session = TreatmentSession.objects.get(patient=record, status="signed")
    consent_for(world, record)
    photo = capture(world, record, sharp_jpeg(900, 1200), session=session, keep=True, now=NOW)
    common = {"patient": record, "session": session, "timepoint": "session", "now": NOW}
    scope = world.scope("practitioner")
    score_record(
        scope=scope,
        scale_id="scale.wsrs",
        value="3",
        rater="investigator",
        zone_id="zone.cheeks",
        scored_on=TODAY,
        photo_id=photo.pk,
        **common,
    )
    score_record(
        scope=scope,
        scale_id="scale.pain-vas",
        value="2",
        rater="subject",
        scored_on=TODAY,
        **common,
    )
    return record
