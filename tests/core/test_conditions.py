"""Typed conditions: recognised by their synonyms, coded with ICD-10, warned when unknown."""

from __future__ import annotations

import pytest

from mesoclinic.core.knowledge.lexicon import conditions_find
from tests.core.screening_data import KB, clean_request, mutate, run


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("сахарный диабет 2 типа", "condition.diabetes"),
        ("Diabetes mellitus type 2", "condition.diabetes"),
        ("Гемофилия А", "condition.haemophilia"),
        ("hemophilia", "condition.haemophilia"),
        ("Эпилепсия", "condition.epilepsy"),
        ("seizure disorder", "condition.epilepsy"),
        ("системная красная волчанка", "condition.autoimmune-disease"),
        ("келоидные рубцы", "condition.keloid-tendency"),
        ("ИБС", "condition.chronic-cardiovascular"),
    ],
)
def test_condition_text_is_recognised(text, code):
    assert conditions_find(KB, text) == [code]


def test_every_condition_has_icd10_and_synonyms_in_both_scripts():
    for condition in KB.condition.values():
        assert condition.icd10, condition.id
        assert any(s.isascii() for s in condition.synonyms), condition.id
        assert any(not s.isascii() for s in condition.synonyms), condition.id


def test_the_needle_free_electrical_techniques_know_epilepsy():
    assert "condition.epilepsy" in KB.condition
    data = mutate(clean_request(), "patient.condition_texts", ["эпилепсия"])
    data = mutate(data, "plan.technique", "technique.iontophoresis")
    data = mutate(data, "plan.depth_mm", None)
    levels = {v.rule_id: v.level for v in run(data).verdicts}
    assert levels.get("ci.epilepsy-electrical") == "warn"


@pytest.mark.parametrize(
    ("text", "rule", "level"),
    [
        ("гемофилия", "ci.bleeding-disorder", "block"),
        ("keloid scars", "ci.keloid-tendency", "block"),
        ("сахарный диабет", "ci.diabetes", "warn"),
    ],
)
def test_typed_conditions_reach_their_rules(text, rule, level):
    result = run(mutate(clean_request(), "patient.condition_texts", [text]))
    assert {v.rule_id: v.level for v in result.verdicts}.get(rule) == level


def test_unrecognised_condition_text_warns_until_coded():
    result = run(mutate(clean_request(), "patient.condition_texts", ["Болезнь Фабри"]))
    assert result.level == "warn"
    verdict = next(v for v in result.verdicts if v.rule_id == "rule.condition-unrecognised")
    assert "Болезнь Фабри" in verdict.message.ru
