"""patient_create: validation, duplicates across scripts, search keys, audit."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from mesoclinic.audit.models import AuditEvent
from mesoclinic.patients.models import Patient
from mesoclinic.patients.services import DuplicatePatientError, patient_create

TODAY = dt.date(2026, 11, 23)


def _create(world, **kw):
    args = {
        "scope": world.scope("receptionist"),
        "family_name": "Иванова",
        "given_name": "Елена",
        "birth_date": dt.date(1986, 3, 14),
        "today": TODAY,
    }
    args.update(kw)
    return patient_create(**args)


def test_birth_date_in_the_future_is_a_field_error_and_nothing_is_saved(world):
    with pytest.raises(ValidationError) as exc:
        _create(world, birth_date=TODAY + dt.timedelta(days=1))
    assert "birth_date" in exc.value.message_dict
    assert not Patient.objects.exists()
    assert not AuditEvent.objects.filter(object_type="patients.Patient").exists()


def test_same_name_in_another_script_and_same_birth_date_is_offered_not_created(world):
    first = _create(world)
    with pytest.raises(DuplicatePatientError) as exc:
        _create(world, family_name="IVANOVA", given_name="Yelena")
    assert exc.value.existing == [first]
    assert Patient.objects.count() == 1


def test_confirmed_different_person_with_same_name_is_created(world):
    _create(world)
    _create(world, allow_duplicate=True)
    assert Patient.objects.count() == 2


def test_same_name_other_birth_date_or_other_organisation_is_not_a_duplicate(make_org):
    ours, theirs = make_org(), make_org()
    _create(ours)
    _create(ours, birth_date=dt.date(1990, 1, 1))
    _create(theirs)
    assert Patient.objects.count() == 3


def test_fitzpatrick_and_consents_are_stored(world):
    p = _create(world, fitzpatrick=4, data_consent=True)
    p.refresh_from_db()
    assert (p.fitzpatrick, p.data_consent) == (4, True)
    # Photographs need the signed photo consent: registration has no yes/no for them.
    with pytest.raises(TypeError):
        _create(world, photo_consent=True, data_consent=True)


def test_fitzpatrick_out_of_range_is_refused(world):
    with pytest.raises(ValidationError):
        _create(world, fitzpatrick=7)


def test_receptionist_may_register_but_a_scope_without_the_permission_may_not(world):
    from dataclasses import replace

    scope = replace(world.scope("receptionist"), roles=frozenset())
    with pytest.raises(PermissionDenied):
        _create(world, scope=scope)


def test_body_weight_is_recorded_with_its_date_and_reaches_screening(world):
    import datetime as dt

    from django.core.exceptions import ValidationError as DjangoValidationError

    from mesoclinic.patients.selectors import screening_facts
    from mesoclinic.patients.services import patient_create, patient_update

    scope = world.scope("practitioner")
    today = dt.date(2026, 11, 23)
    patient = patient_create(
        scope=scope,
        family_name="Weight",
        given_name="Case",
        birth_date=dt.date(1990, 1, 1),
        today=today,
        weight_kg=62.5,
        weight_date=today,
    )
    facts, _procedures, _uncoded = screening_facts(scope=scope, patient=patient)
    assert facts.weight_kg == 62.5 and facts.weight_date == today
    with pytest.raises(DjangoValidationError):
        patient_update(scope=scope, patient=patient, today=today, weight_date=None)
    with pytest.raises(DjangoValidationError):
        patient_update(scope=scope, patient=patient, today=today, weight_kg=-3)
