"""Side effects at the session and at follow-up; a serious one flags the patient and the lot."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from mesoclinic.charting.models import PatientFlag, SideEffect
from mesoclinic.charting.services import session_sign, side_effect_record
from mesoclinic.inventory.models import AdverseEventReport
from mesoclinic.inventory.selectors import adverse_event_signals
from tests.charting.factories import NOW, TODAY, charted, make_day, row


@pytest.fixture
def day(world, active_plan):
    return make_day(world, active_plan)


def record(day, session, **kw):
    fields = {
        "kind": "se.bruising",
        "phase": "session",
        "severity": "mild",
        "outcome": "ongoing",
        "onset_on": TODAY,
        "now": NOW,
    }
    fields.update(kw)
    return side_effect_record(scope=day.nurse(), session=session, **fields)


def test_a_mild_side_effect_is_recorded_for_the_lots_of_its_zone_without_a_flag(day):
    session = session_sign(
        scope=day.scope,
        session=charted(day, [row("zone.cheeks", lot=day.lot), row("zone.neck", lot=day.lot)]),
        now=NOW,
    )
    effect = record(day, session, zone_id="zone.cheeks", pain_score=3)
    assert effect.pain_score == 3 and not effect.serious
    assert AdverseEventReport.objects.filter(lot=day.lot, kind="se.bruising").count() == 1
    assert not PatientFlag.objects.exists()


def test_a_severe_follow_up_infection_flags_the_patient_and_the_lot(day):
    session = session_sign(scope=day.scope, session=charted(day), now=NOW)
    later = NOW + dt.timedelta(days=12)
    effect = record(
        day,
        session,
        kind="se.infection",
        phase="follow_up",
        severity="severe",
        outcome="ongoing",
        onset_on=TODAY + dt.timedelta(days=10),
        now=later,
        note="Nodules with discharge",
    )
    assert effect.serious
    assert PatientFlag.objects.get(patient=day.patient).side_effect == effect
    report = AdverseEventReport.objects.get(lot=day.lot)
    assert report.severity == "severe" and report.session_ref == session.pk
    assert any(s.kind == "se.infection" for s in adverse_event_signals(scope=day.nurse()))


def test_bad_side_effect_input_is_refused_with_reasons(day):
    session = charted(day)
    with pytest.raises(ValidationError) as exc:
        record(day, session, kind="se.vampirism", severity="apocalyptic", pain_score=11)
    assert {"kind", "severity", "pain_score"} <= set(exc.value.message_dict)
    with pytest.raises(ValidationError) as exc:
        record(day, session, onset_on=TODAY + dt.timedelta(days=3))
    assert "onset_on" in exc.value.message_dict
    assert not SideEffect.objects.exists()


def test_a_side_effect_before_signing_is_filed_against_the_lots_signed_not_the_draft(day):
    from tests.charting.factories import receive

    other_lot = receive(day.world, day.product, number="LOT-B")
    session = charted(day, [row("zone.cheeks", lot=day.lot)])
    record(day, session, zone_id="zone.cheeks")
    # Nothing is given until the chart is signed: no lot carries the report yet.
    assert not AdverseEventReport.objects.exists()
    from mesoclinic.charting.services import chart_save

    session.refresh_from_db()
    session = chart_save(
        scope=day.scope,
        session=session,
        rows=[row("zone.cheeks", lot=other_lot)],
        expected_version=session.version,
        save_token="",
        now=NOW,
    )
    session_sign(scope=day.scope, session=session, now=NOW)
    assert not AdverseEventReport.objects.filter(lot=day.lot).exists()
    report = AdverseEventReport.objects.get(lot=other_lot)
    assert report.kind == "se.bruising" and report.session_ref == session.pk
