"""Importing a FHIR Bundle: the demo patient moves to an empty organisation intact, as
patient-reported facts a clinician confirms; a bad bundle is refused whole."""

from __future__ import annotations

import copy
import datetime as dt
import json

import pytest

from mesoclinic.interop.fhir.export import bundle, patient_everything

NOW = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)
TODAY = NOW.date()


@pytest.fixture
def demo_bundle(db):
    """The bundle of the demo patient with a recorded allergy (as another system sends it)."""
    from mesoclinic.demo import demo_load
    from mesoclinic.patients.models import HistoryFact

    demo_load()
    fact = HistoryFact.objects.filter(kind="allergy").select_related("patient").first()
    patient = fact.patient
    # A fuller history than the demo's, so every importable kind travels.
    from mesoclinic.accounts.scope import scope_for
    from mesoclinic.patients.services import history_fact_record

    scope = scope_for(fact.recorded_by, clinic_id=patient.home_clinic_id)
    for kind, code, label in (
        ("condition", "condition.haemophilia", ""),
        ("medication", "medclass.anticoagulant", "Warfarin"),
        ("condition", "", "Migraine with aura"),
    ):
        history_fact_record(
            scope=scope, patient=patient, kind=kind, code=code, label=label, now=NOW, today=TODAY
        )
    return patient, bundle(patient_everything(patient, with_pdfs=False), now=NOW)


@pytest.fixture
def small_bundle(world, patient_of):
    """A registered patient with one allergy and one condition, as a bundle."""
    from mesoclinic.patients.services import history_fact_record

    patient = patient_of(world)
    for kind, code in (("allergy", "ingredient.lidocaine"), ("condition", "condition.haemophilia")):
        history_fact_record(
            scope=world.scope("nurse"), patient=patient, kind=kind, code=code, now=NOW, today=TODAY
        )
    return bundle(patient_everything(patient, with_pdfs=False), now=NOW)


def _current(patient):
    return sorted(
        (f.kind, f.code, f.label if not f.code or f.kind == "medication" else "")
        for f in patient.history.filter(superseded_by__isnull=True, retracted=False)
    )


@pytest.mark.django_db
def test_the_demo_patient_imports_into_an_empty_organisation_and_matches(demo_bundle, make_org):
    from mesoclinic.interop.models import ImportedFact
    from mesoclinic.interop.services import bundle_import, imported_fact_confirm
    from mesoclinic.patients.models import Patient

    source, data = demo_bundle
    empty = make_org("Empty clinic")
    nurse = empty.scope("nurse")
    patient = bundle_import(scope=nurse, data=json.dumps(data), now=NOW, today=TODAY)

    assert patient.organisation_id == empty.organisation.pk != source.organisation_id
    for field in ("family_name", "given_name", "middle_name", "birth_date", "sex", "phone"):
        assert getattr(patient, field) == getattr(source, field), field
    assert (patient.email, patient.preferred_language) == (source.email, source.preferred_language)
    # Reported, not yet history: nothing reaches screening before a clinician confirms it.
    assert not patient.history.exists()
    pending = list(ImportedFact.objects.filter(patient=patient))
    assert len(pending) == source.history.count() == 4
    for fact in pending:
        imported_fact_confirm(scope=nurse, fact=fact, now=NOW, today=TODAY)
    assert _current(patient) == _current(source)
    assert Patient.objects.filter(organisation=empty.organisation).count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    "spoil, reason",
    [
        (lambda b: b["entry"][0]["resource"].update(birthDate="1 April 1985"), "birthDate"),
        (lambda b: b["entry"][-1]["resource"].update(colour="blue"), "colour"),
        (lambda b: b["entry"].pop(0), "exactly one Patient"),
    ],
    ids=["bad-date", "unknown-field", "no-patient"],
)
def test_a_bad_bundle_is_refused_with_the_reason_and_nothing_is_imported(
    small_bundle, make_org, spoil, reason
):
    from mesoclinic.interop.models import ImportedFact
    from mesoclinic.interop.services import BundleRefused, bundle_import
    from mesoclinic.patients.models import Patient

    bad = copy.deepcopy(small_bundle)
    spoil(bad)
    empty = make_org()
    with pytest.raises(BundleRefused, match=reason):
        bundle_import(scope=empty.scope("nurse"), data=bad, now=NOW, today=TODAY)
    assert not Patient.objects.filter(organisation=empty.organisation).exists()
    assert not ImportedFact.objects.filter(organisation=empty.organisation).exists()


@pytest.mark.django_db
def test_a_fact_on_a_bad_row_rolls_the_whole_import_back(small_bundle, make_org):
    """Valid FHIR, but a condition that names nothing: the patient is not half-created."""
    from mesoclinic.interop.services import BundleRefused, bundle_import
    from mesoclinic.patients.models import Patient

    bad = copy.deepcopy(small_bundle)
    condition = next(e for e in bad["entry"] if e["resource"]["resourceType"] == "Condition")
    condition["resource"]["code"] = {"coding": [{"system": "urn:example", "display": ""}]}
    condition["resource"]["code"]["coding"][0].pop("display")
    empty = make_org()
    with pytest.raises(BundleRefused):
        bundle_import(scope=empty.scope("nurse"), data=bad, now=NOW, today=TODAY)
    assert not Patient.objects.filter(organisation=empty.organisation).exists()
