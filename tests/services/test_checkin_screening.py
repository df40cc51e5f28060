"""Check-in: today's answers screened with the whole record; block or postpone stops charting."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from mesoclinic.charting.models import SessionStatus
from mesoclinic.charting.screening import Answer
from mesoclinic.charting.services import (
    chart_save,
    session_checkin,
    session_override,
    session_postpone,
)
from mesoclinic.scheduling.models import Appointment
from tests.charting.factories import NOW, checked_in, make_day, no_answers, row


@pytest.fixture
def day(world, active_plan):
    return make_day(world, active_plan)


def test_a_clean_check_in_stores_the_full_result_and_marks_the_patient_arrived(day):
    session = checked_in(day)
    assert session.status == SessionStatus.CHECKED_IN
    assert session.screening_level in ("ok", "warn")
    assert session.screening_result["knowledge_version"] == session.knowledge_version
    assert set(session.checkin_answers) >= {"vq.pregnancy", "vq.menstruation", "vq.active-herpes"}
    assert session.screened_by_id == day.world.users["nurse"].pk
    assert Appointment.objects.get(pk=day.appointment.pk).status == "arrived"


def test_menstruation_postpones_and_charting_is_refused(day):
    answers = {**no_answers(), "vq.menstruation": Answer(yes=True)}
    session = checked_in(day, answers=answers)
    assert session.screening_level == "postpone"
    assert any(v["rule_id"] == "ci.menstruation" for v in session.screening_result["verdicts"])
    with pytest.raises(ValidationError, match="stops this session"):
        chart_save(
            scope=day.scope,
            session=session,
            rows=[row(lot=day.lot)],
            expected_version=session.version,
            save_token="",
            now=NOW,
        )


def test_postponing_at_check_in_postpones_the_appointment_with_the_reason(day):
    session = checked_in(day, answers={**no_answers(), "vq.fever": Answer(yes=True)})
    session = session_postpone(scope=day.nurse(), session=session, now=NOW)
    assert session.status == SessionStatus.POSTPONED
    appointment = Appointment.objects.get(pk=day.appointment.pk)
    assert appointment.status == "postponed"
    assert "fever" in appointment.status_reason.lower() or appointment.status_reason


def test_an_anticoagulant_blocks_and_only_an_authorised_role_may_override_with_a_reason(day):
    warfarin = Answer(yes=True, code="medclass.anticoagulant", text="Warfarin")
    session = checked_in(day, answers={**no_answers(), "vq.new-medications": warfarin})
    assert session.screening_level == "block"
    with pytest.raises(Exception) as refused:
        session_override(scope=day.nurse(), session=session, reason="Patient insists", now=NOW)
    assert refused.type.__name__ == "PermissionDenied"
    with pytest.raises(ValidationError):
        session_override(scope=day.scope, session=session, reason="  ", now=NOW)
    session = session_override(
        scope=day.scope, session=session, reason="INR checked; cardiologist agreed", now=NOW
    )
    assert session.override_by_id == day.world.users["practitioner"].pk
    assert "ci.anticoagulant" in session.override_rules
    assert not session.screening_stops


def test_every_question_must_be_answered(day):
    answers = no_answers()
    answers.pop("vq.pregnancy")
    with pytest.raises(ValidationError, match="Answer every"):
        checked_in(day, answers=answers)


def test_a_new_medication_needs_a_coded_class_and_is_screened(day):
    with pytest.raises(ValidationError):
        checked_in(day, answers={**no_answers(), "vq.new-medications": Answer(yes=True)})
    session = checked_in(
        day,
        answers={
            **no_answers(),
            "vq.new-medications": Answer(yes=True, code="medclass.anticoagulant", text="Warfarin"),
        },
    )
    assert any(v["rule_id"] == "ci.anticoagulant" for v in session.screening_result["verdicts"])


def test_check_in_is_refused_on_another_day(day):
    import datetime as dt

    with pytest.raises(ValidationError, match="day of the appointment"):
        session_checkin(
            scope=day.nurse(),
            appointment=day.appointment,
            answers=no_answers(),
            now=NOW + dt.timedelta(days=1),
        )


def _history(patient):
    from mesoclinic.patients.models import HistoryFact

    return HistoryFact.objects.filter(patient=patient).order_by("recorded_at", "id")


def test_what_the_patient_reports_at_check_in_is_written_into_their_history(day):
    import datetime as dt

    from mesoclinic.patients.selectors import history_current, screening_facts

    answers = {
        **no_answers(),
        "vq.new-medications": Answer(yes=True, code="medclass.anticoagulant", text="Warfarin"),
        "vq.recent-surgery": Answer(yes=True, on_date=dt.date(2026, 11, 2), text="Appendix"),
        "vq.menstruation": Answer(yes=True),  # a visit fact: stays on the session
    }
    checked_in(day, answers=answers)
    practitioner = day.scope
    current = {f.kind: f for f in history_current(scope=practitioner, patient=day.patient)}
    assert set(current) == {"pregnancy", "breastfeeding", "medication", "surgery"}
    assert (current["medication"].code, current["medication"].label) == (
        "medclass.anticoagulant",
        "Warfarin",
    )
    assert "check-in" in current["medication"].note
    assert current["medication"].recorded_by_id == day.world.users["nurse"].pk
    assert (current["surgery"].label, current["surgery"].on_date) == (
        "Appendix",
        dt.date(2026, 11, 2),
    )
    assert current["pregnancy"].present is False
    assert current["pregnancy"].on_date == NOW.date()  # the day it was asked
    # The next screening (a new plan, the next visit) sees the record.
    facts, _procedures, _uncoded = screening_facts(scope=practitioner, patient=day.patient)
    assert [m.classes for m in facts.medications] == [("medclass.anticoagulant",)]


def test_checking_in_again_adds_versions_not_duplicates(day):
    answers = {
        **no_answers(),
        "vq.new-medications": Answer(yes=True, code="medclass.nsaid", text="Ibuprofen"),
    }
    checked_in(day, answers=answers)
    checked_in(day, answers={**answers, "vq.pregnancy": Answer(yes=True)})
    facts = list(_history(day.patient))
    assert [f.kind for f in facts].count("medication") == 1
    pregnancy = [f for f in facts if f.kind == "pregnancy"]
    assert [f.present for f in pregnancy] == [False, True]
    assert pregnancy[1].supersedes_id == pregnancy[0].pk  # a new version, the old one kept


def test_an_impossible_date_at_check_in_is_an_error_on_that_question_and_nothing_is_kept(day):
    from mesoclinic.charting.models import TreatmentSession

    answers = {
        **no_answers(),
        "vq.recent-surgery": Answer(yes=True, on_date=NOW.date().replace(year=2030), text="Knee"),
    }
    with pytest.raises(ValidationError) as refused:
        checked_in(day, answers=answers)
    assert "future" in " ".join(refused.value.message_dict["vq.recent-surgery"])
    assert not _history(day.patient).exists()
    assert not TreatmentSession.objects.filter(appointment=day.appointment).exists()


@pytest.mark.parametrize("status", ["draft", "cancelled", "completed"])
def test_an_appointment_of_a_plan_that_is_not_running_cannot_be_checked_in(day, status):
    from mesoclinic.consultations.models import TreatmentPlan

    TreatmentPlan.objects.filter(pk=day.plan.pk).update(status=status)
    with pytest.raises(ValidationError, match="it cannot be treated"):
        checked_in(day)
    assert not _history(day.patient).exists()


def test_the_zone_of_a_recent_procedure_decides_whether_its_window_applies(day):
    import datetime as dt

    from mesoclinic.charting.services import clinic_today

    today = clinic_today(day.appointment.clinic, NOW)
    laser = dict(yes=True, code="procedure.laser", on_date=today - dt.timedelta(days=5))
    far = checked_in(
        day,
        answers={**no_answers(), "vq.recent-procedures": Answer(**laser, zones=("zone.thighs",))},
    )
    rules = {v["rule_id"] for v in far.screening_result["verdicts"]}
    assert "rule.procedure-window" not in rules
    assert far.checkin_answers["vq.recent-procedures"]["zones"] == ["zone.thighs"]
    near = checked_in(
        day,
        answers={**no_answers(), "vq.recent-procedures": Answer(**laser, zones=("zone.cheeks",))},
    )
    assert "rule.procedure-window" in {v["rule_id"] for v in near.screening_result["verdicts"]}


def test_a_typed_medicine_or_condition_needs_no_class_and_unknown_text_warns(day):
    session = checked_in(
        day,
        answers={
            **no_answers(),
            "vq.new-medications": Answer(yes=True, text="Эликвис 5 мг"),
            "vq.new-conditions": Answer(yes=True, text="Болезнь Фабри"),
        },
    )
    levels = {v["rule_id"]: v["level"] for v in session.screening_result["verdicts"]}
    assert levels["ci.anticoagulant"] == "block"
    assert levels["rule.condition-unrecognised"] == "warn"
