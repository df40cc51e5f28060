"""Typed medicines: recognised from the dictionary, wash-out periods, unrecognised text."""

from __future__ import annotations

from datetime import timedelta

import pytest

from mesoclinic.core.knowledge.lexicon import medicines_find, medicines_split
from tests.core.screening_data import KB, TODAY, clean_request, mutate, run

AGO = lambda days: (TODAY - timedelta(days=days)).isoformat()  # noqa: E731


def _with_medicine(**medication) -> dict:
    return mutate(clean_request(), "patient.medications", [medication])


def _rules(result) -> dict[str, str]:
    return {v.rule_id: v.level for v in result.verdicts}


@pytest.mark.parametrize(
    ("text", "medicine"),
    [
        ("Ксарелто 20 мг", "medicine.rivaroxaban"),
        ("Xarelto 20mg tablets", "medicine.rivaroxaban"),
        ("rivaroxaban", "medicine.rivaroxaban"),
        ("ривароксабан 15 мг 1 раз в день", "medicine.rivaroxaban"),
        ("Eliquis 5 mg", "medicine.apixaban"),
        ("Эликвис", "medicine.apixaban"),
        ("warfarin 5mg", "medicine.warfarin"),
        ("Варфарин", "medicine.warfarin"),
        ("Clexane 40 mg/0.4 ml", "medicine.enoxaparin"),
        ("Клексан", "medicine.enoxaparin"),
        ("Кардиомагнил 75 мг", "medicine.acetylsalicylic-acid"),
        ("Thrombo ASS 100", "medicine.acetylsalicylic-acid"),
        ("Плавикс", "medicine.clopidogrel"),
        ("Нурофен форте", "medicine.ibuprofen"),
        ("Roaccutane 20 mg capsules", "medicine.isotretinoin"),
        ("Роаккутан", "medicine.isotretinoin"),
        ("Акнекутан 16 мг", "medicine.isotretinoin"),
        ("метотрексат", "medicine.methotrexate"),
        ("Prednisolone 5 mg", "medicine.prednisolone"),
        ("Омега-3", "medicine.omega-3"),
        ("fish oil", "medicine.omega-3"),
        ("Гинкго билоба", "medicine.ginkgo"),
        ("витамин Е", "medicine.vitamin-e"),
    ],
)
def test_medicine_text_is_recognised(text, medicine):
    assert [m.id for m in medicines_find(KB, text)] == [medicine]


@pytest.mark.parametrize("text", ["", "20 мг", "tablets", "something unheard of"])
def test_text_without_a_known_medicine_finds_nothing(text):
    assert medicines_find(KB, text) == []


def test_a_list_of_medicines_is_split_and_each_recognised():
    parts = medicines_split("Ксарелто 20 мг; аспирин, Omacor\nметотрексат")
    assert [[m.id for m in medicines_find(KB, p)] for p in parts] == [
        ["medicine.rivaroxaban"],
        ["medicine.acetylsalicylic-acid"],
        ["medicine.omega-3"],
        ["medicine.methotrexate"],
    ]


def test_every_medicine_maps_to_known_classes_and_has_an_atc_code():
    assert len(KB.medicine) >= 40
    for medicine in KB.medicine.values():
        assert medicine.atc and medicine.classes
        assert set(medicine.classes) <= set(KB.medication_class)
        assert any(not name.isascii() for name in medicine.names), medicine.id
        assert any(name.isascii() for name in medicine.names), medicine.id


def test_brand_name_anticoagulant_without_a_class_blocks():
    result = run(_with_medicine(name="Ксарелто 20 мг"))
    assert result.level == "block"
    assert _rules(result)["ci.anticoagulant"] == "block"
    blocked = next(v for v in result.verdicts if v.rule_id == "ci.anticoagulant")
    assert "Ксарелто 20 мг" in blocked.message.ru


def test_a_medicine_coded_other_but_named_as_an_anticoagulant_blocks():
    result = run(_with_medicine(classes=["medclass.other"], name="Eliquis 5 mg"))
    assert _rules(result).get("ci.anticoagulant") == "block"


@pytest.mark.parametrize(
    ("name", "rule", "level"),
    [
        ("Плавикс 75 мг", "ci.antiplatelet", "block"),
        ("ibuprofen 400 mg", "ci.nsaid", "warn"),
        ("Метотрексат 10 мг в неделю", "ci.immunosuppression", "block"),
        ("Преднизолон 20 мг", "ci.immunosuppression", "block"),
        ("Omacor", "ci.bleeding-supplement", "warn"),
        ("Танакан", "ci.bleeding-supplement", "warn"),
    ],
)
def test_typed_medicines_reach_their_class_rules(name, rule, level):
    assert _rules(run(_with_medicine(name=name))).get(rule) == level


def test_unrecognised_medicine_text_is_never_plain_ok():
    result = run(_with_medicine(name="Зелёный чай экстракт"))
    assert result.level == "warn"
    verdict = next(v for v in result.verdicts if v.rule_id == "rule.medicine-unrecognised")
    assert "Зелёный чай экстракт" in verdict.message.ru
    assert "review and code" in verdict.message.en


def test_a_medication_needs_a_class_or_a_name():
    from pydantic import ValidationError

    with pytest.raises(ValidationError):
        run(_with_medicine(active=True))


@pytest.mark.parametrize(
    ("name", "rule", "stopped_days_ago", "fires"),
    [
        ("warfarin", "ci.anticoagulant", 3, True),
        ("warfarin", "ci.anticoagulant", 6, False),
        ("Плавикс", "ci.antiplatelet", 4, True),
        ("aspirin", "ci.antiplatelet", 6, True),
        ("aspirin", "ci.antiplatelet", 8, False),
        ("Роаккутан", "ci.isotretinoin", 150, True),
        ("Роаккутан", "ci.isotretinoin", 200, False),
    ],
)
def test_stopped_medicines_count_within_their_class_wash_out(name, rule, stopped_days_ago, fires):
    data = _with_medicine(name=name, active=False, last_dose=AGO(stopped_days_ago))
    result = run(data)
    assert (rule in _rules(result)) is fires
    if fires:
        verdict = next(v for v in result.verdicts if v.rule_id == rule)
        assert verdict.level in ("block", "postpone", "warn")


def test_every_screened_medication_class_has_a_sourced_wash_out():
    screened = {c for ci in KB.contraindication.values() for t in ci.triggers for c in t.classes}
    for class_id in screened:
        washout = KB.medication_class[class_id].washout
        assert washout is not None, class_id
        assert washout.days > 0 and washout.sources
