"""The patient alert banner as data: what shows, named from the knowledge base."""

from __future__ import annotations

from datetime import date

import pytest

from mesoclinic.core.alerts import ANTICOAGULANT_CLASSES, patient_alerts
from mesoclinic.core.knowledge import load_knowledge
from mesoclinic.core.screening import Medication, PatientFacts

TODAY = date(2026, 11, 30)


@pytest.fixture(scope="module")
def kb():
    return load_knowledge()


def _facts(**kw) -> PatientFacts:
    return PatientFacts(birth_date=date(1985, 4, 1), **kw)


def _texts(alerts, language="en"):
    return {a.kind: a.text(language) for a in alerts}


def test_a_clean_record_has_no_alerts(kb):
    assert patient_alerts(kb=kb, facts=_facts(), today=TODAY) == []


def test_anticoagulant_classes_exist_in_the_knowledge_base(kb):
    assert all(c in kb.medication_class for c in ANTICOAGULANT_CLASSES)


def test_allergies_pregnancy_and_anticoagulants_show_by_name_in_both_languages(kb):
    facts = _facts(
        allergies=("allergen.soy",),
        pregnant=True,
        breastfeeding=True,
        medications=(Medication(classes=("medclass.anticoagulant",), name="Warfarin"),),
    )
    alerts = patient_alerts(kb=kb, facts=facts, today=TODAY, uncoded_allergies=["Latex"])
    en, ru = _texts(alerts, "en"), _texts(alerts, "ru")
    soy = kb.get("allergen.soy").name
    assert en["allergy"] == f"Allergies: {soy.en}, Latex"
    assert ru["allergy"] == f"Аллергии: {soy.ru}, Latex"
    assert en["pregnancy"] == "Pregnancy" and ru["pregnancy"] == "Беременность"
    assert en["breastfeeding"] == "Breastfeeding"
    assert en["anticoagulant"] == "Anticoagulants: Warfarin"
    assert ru["anticoagulant"] == "Антикоагулянты: Warfarin"
    for text in (*en.values(), *ru.values()):
        assert "allergen." not in text and "medclass." not in text


def test_a_stopped_anticoagulant_or_an_antiplatelet_is_not_an_anticoagulant_alert(kb):
    facts = _facts(
        medications=(
            Medication(classes=("medclass.anticoagulant",), active=False),
            Medication(classes=("medclass.antiplatelet",)),
        )
    )
    assert "anticoagulant" not in _texts(patient_alerts(kb=kb, facts=facts, today=TODAY))


def test_an_unnamed_anticoagulant_shows_its_class_name(kb):
    facts = _facts(medications=(Medication(classes=("medclass.thrombolytic",)),))
    alerts = patient_alerts(kb=kb, facts=facts, today=TODAY)
    name = kb.medication_class["medclass.thrombolytic"].name
    assert _texts(alerts, "ru")["anticoagulant"] == f"Антикоагулянты: {name.ru}"


def test_absolute_contraindications_from_the_record_show_with_their_cause(kb):
    facts = _facts(conditions=("condition.bleeding-disorder", "condition.diabetes"))
    alerts = [a for a in patient_alerts(kb=kb, facts=facts, today=TODAY)]
    absolute = [a for a in alerts if a.kind == "contraindication"]
    assert [a.name for a in absolute] == [kb.contraindication["ci.bleeding-disorder"].name]
    assert kb.condition["condition.bleeding-disorder"].name.en in absolute[0].text("en")
    # Diabetes is a relative contraindication: the screening warns, the banner does not.
    assert all("iabet" not in a.text("en") for a in alerts)


def test_a_minor_triggers_the_age_contraindication(kb):
    facts = PatientFacts(birth_date=date(2010, 1, 1))
    alerts = patient_alerts(kb=kb, facts=facts, today=TODAY)
    assert [a.name for a in alerts] == [kb.contraindication["ci.minor"].name]
