"""Medical history: coded, versioned, append-only; free text flagged; dates checked."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, InternalError, OperationalError, transaction
from django.utils import timezone

from mesoclinic.patients.models import HistoryFact
from mesoclinic.patients.selectors import history_current, history_versions
from mesoclinic.patients.services import (
    history_fact_correct,
    history_fact_record,
    history_fact_retract,
)

TODAY = dt.date(2026, 11, 23)


@pytest.fixture
def setup(world, patient_of):
    patient = patient_of(world, born="1985-04-01")
    scope = world.scope("practitioner")

    def record(**kw):
        return history_fact_record(
            scope=scope, patient=patient, now=timezone.now(), today=TODAY, **kw
        )

    return world, patient, scope, record


def test_fact_keeps_who_recorded_it_and_when(setup):
    world, _patient, _scope, record = setup
    fact = record(kind="condition", code="condition.haemophilia")
    assert fact.recorded_by == world.users["practitioner"]
    assert fact.recorded_at is not None
    assert not fact.needs_coding


def test_unknown_allergy_text_is_kept_and_flagged_for_coding(setup):
    _, _, _, record = setup
    fact = record(kind="allergy", label="Pollen of the Mongolian steppe")
    assert fact.needs_coding and fact.code == ""


def test_allergy_text_that_names_a_knowledge_base_entry_is_coded(setup):
    _, _, _, record = setup
    fact = record(kind="allergy", label="Лидокаин")
    assert fact.code == "ingredient.lidocaine"
    assert not fact.needs_coding


def test_a_code_of_the_wrong_kind_is_refused(setup):
    _, _, _, record = setup
    with pytest.raises(ValidationError) as exc:
        record(kind="allergy", code="condition.haemophilia")
    assert "code" in exc.value.message_dict


def test_surgery_before_birth_or_in_the_future_is_a_field_error(setup):
    _, _, _, record = setup
    with pytest.raises(ValidationError) as exc:
        record(kind="surgery", label="Blepharoplasty", on_date=dt.date(1980, 1, 1))
    assert "on_date" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        record(kind="surgery", label="Blepharoplasty", on_date=TODAY + dt.timedelta(days=3))
    assert "on_date" in exc.value.message_dict
    assert not HistoryFact.objects.exists()


def test_correction_keeps_the_old_version_and_replaces_it_in_the_current_history(setup):
    _, patient, scope, record = setup
    old = record(kind="medication", code="medclass.nsaid", label="Ibuprofen")
    new = history_fact_correct(
        scope=scope,
        fact=old,
        now=timezone.now(),
        today=TODAY,
        code="medclass.antiplatelet",
        label="Aspirin",
    )
    assert list(history_current(scope=scope, patient=patient)) == [new]
    assert list(history_versions(scope=scope, patient=patient)) == [old, new]
    with pytest.raises(ValidationError):
        history_fact_correct(scope=scope, fact=old, now=timezone.now(), today=TODAY, label="x")


def test_withdrawn_fact_leaves_the_current_history_but_stays_on_record(setup):
    _, patient, scope, record = setup
    fact = record(kind="pregnancy", present=True)
    assert fact.on_date == TODAY  # the day the question was asked
    history_fact_retract(scope=scope, fact=fact, now=timezone.now(), reason="recorded in error")
    assert not history_current(scope=scope, patient=patient).exists()
    assert history_versions(scope=scope, patient=patient).count() == 2


def test_the_database_refuses_to_update_a_fact(setup):
    _, _, _, record = setup
    record(kind="condition", code="condition.diabetes")
    with (
        pytest.raises((IntegrityError, InternalError, OperationalError)),
        transaction.atomic(),
    ):
        HistoryFact.objects.update(code="condition.haemophilia")
    assert HistoryFact.objects.get().code == "condition.diabetes"


def test_receptionist_can_neither_record_nor_read_history(setup):
    world, patient, _, _ = setup
    scope = world.scope("receptionist")
    with pytest.raises(PermissionDenied):
        history_fact_record(
            scope=scope, patient=patient, kind="note", note="x", now=timezone.now(), today=TODAY
        )
    with pytest.raises(PermissionDenied):
        history_current(scope=scope, patient=patient)
