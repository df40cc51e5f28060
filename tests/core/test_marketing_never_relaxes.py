"""Property tests of the second-generation engine (hypothesis, bounded and derandomized).

- a marketing-only source may add a warning, never relax a limit or a verdict:
  screening with every marketing-only entry removed is never stricter;
- removing a protocol that could govern the session never makes the verdict less strict;
- a medicine gives the same verdict typed by brand, generic, Cyrillic or Latin name;
- typed risk facts (medicine names, condition texts) never relax a verdict.
"""

from __future__ import annotations

import copy

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mesoclinic.core.knowledge import LEVEL_RANK
from mesoclinic.core.screening import ScreeningRequest, screen
from mesoclinic.core.screening.defaults import applicable_protocols
from tests.core.screening_data import KB, TODAY
from tests.core.test_screening_properties import requests

SETTINGS = settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)


def _without_marketing(kb):
    """The same base with every marketing-only entry and depth range taken out."""
    other = copy.copy(kb)
    other.technique = {
        tid: t.model_copy(
            update={
                "depth_mm": tuple(r for r in t.depth_mm if r.evidence != "marketing") or t.depth_mm
            }
        )
        for tid, t in kb.technique.items()
    }
    other.depth_limit = {k: v for k, v in kb.depth_limit.items() if v.evidence != "marketing"}
    other.contraindication = {
        k: v for k, v in kb.contraindication.items() if v.evidence != "marketing"
    }
    return other


KB_NO_MARKETING = _without_marketing(KB)


def run(data: dict, kb=KB):
    return screen(ScreeningRequest.model_validate(data), kb=kb, today=TODAY)


@SETTINGS
@given(data=requests())
def test_marketing_only_entries_never_relax_a_verdict(data):
    with_marketing, without = run(data), run(data, KB_NO_MARKETING)
    assert LEVEL_RANK[with_marketing.level] >= LEVEL_RANK[without.level]


def test_no_marketing_only_entry_is_stricter_than_a_warning():
    for table in ("contraindication", "rule", "depth_limit"):
        for entry in KB.tables[table].values():
            if entry.evidence == "marketing":
                assert LEVEL_RANK[entry.level] <= LEVEL_RANK["warn"], entry.id
    for technique in KB.technique.values():
        if technique.kind == "needle":
            cited = [r for r in technique.depth_mm if r.evidence != "marketing"]
            if cited:
                assert technique.limit_depth() == (
                    min(r.min for r in cited),
                    max(r.max for r in cited),
                )


@SETTINGS
@given(data=requests())
def test_removing_the_protocol_never_makes_the_verdict_less_strict(data):
    plan = data["plan"]
    products = tuple(p["product"] for p in plan["products"])
    candidates = applicable_protocols(KB, plan["technique"], products)
    if not candidates:
        return
    with_protocol = copy.deepcopy(data)
    with_protocol["plan"]["protocol"] = candidates[len(plan["zones"]) % len(candidates)].id
    without = copy.deepcopy(data)
    without["plan"]["protocol"] = None
    assert LEVEL_RANK[run(without).level] >= LEVEL_RANK[run(with_protocol).level]


SPELLINGS = {
    "medicine.rivaroxaban": ["Xarelto 20 mg", "Ксарелто 20 мг", "rivaroxaban", "ривароксабан"],
    "medicine.clopidogrel": ["Plavix 75mg", "Плавикс", "clopidogrel", "клопидогрел"],
    "medicine.isotretinoin": ["Roaccutane 20 mg", "Роаккутан", "isotretinoin", "изотретиноин"],
    "medicine.ibuprofen": ["Nurofen forte", "Нурофен", "ibuprofen", "ибупрофен 400 мг"],
    "medicine.methotrexate": ["Metoject", "Методжект", "methotrexate", "метотрексат"],
    "medicine.omega-3": ["Omacor", "Омакор", "fish oil", "рыбий жир"],
}


@SETTINGS
@given(data=requests(), medicine=st.sampled_from(sorted(SPELLINGS)), active=st.booleans())
def test_the_verdict_is_the_same_for_brand_generic_cyrillic_and_latin_names(data, medicine, active):
    levels, rules = set(), set()
    for name in SPELLINGS[medicine]:
        typed = copy.deepcopy(data)
        typed["patient"]["medications"] = [{"name": name, "active": active}]
        result = run(typed)
        levels.add(result.level)
        rules.add(tuple(sorted({(v.rule_id, v.level) for v in result.verdicts})))
    assert len(levels) == 1
    assert len(rules) == 1


typed_facts = st.one_of(
    st.tuples(
        st.just("medication"),
        st.sampled_from(
            [n for names in SPELLINGS.values() for n in names] + ["Unheard-of tonic 5 ml"]
        ),
    ),
    st.tuples(
        st.just("condition"),
        st.sampled_from(["гемофилия", "keloid scars", "сахарный диабет", "эпилепсия", "vampirism"]),
    ),
)


@SETTINGS
@given(data=requests(), facts=st.lists(typed_facts, min_size=1, max_size=3))
def test_adding_a_typed_risk_fact_never_makes_the_verdict_less_strict(data, facts):
    before = run(data)
    riskier = copy.deepcopy(data)
    for kind, value in facts:
        if kind == "medication":
            riskier["patient"].setdefault("medications", []).append({"name": value})
        else:
            riskier["patient"].setdefault("condition_texts", []).append(value)
    after = run(riskier)
    assert LEVEL_RANK[after.level] >= LEVEL_RANK[before.level]
    assert {v.rule_id for v in before.verdicts} <= {v.rule_id for v in after.verdicts}
