"""propose(): indications + patient facts -> ranked, explained protocol proposals."""

from __future__ import annotations

from datetime import date

import pytest

from mesoclinic.core.protocols import propose
from mesoclinic.core.screening import PatientFacts, ScreeningInputError
from tests.core.screening_data import KB, TODAY


def patient(**facts) -> PatientFacts:
    return PatientFacts(birth_date=date(1990, 6, 15), **facts)


def test_proposals_cover_the_indication_and_carry_course_values():
    proposals = propose(indications=["indication.cellulite"], patient=patient(), kb=KB, today=TODAY)
    assert [p.protocol_id for p in proposals] == ["protocol.cellulite"]
    cellulite = proposals[0]
    assert (cellulite.sessions.min, cellulite.sessions.max) == (10, 12)
    assert cellulite.max_volume_ml == 20
    assert cellulite.rank == 1 and not cellulite.contraindicated
    assert "Park" in cellulite.evidence_note.en  # the negative study is shown, not hidden


def test_ranking_prefers_more_indications_then_stronger_evidence():
    proposals = propose(
        indications=["indication.ageing-prevention", "indication.mimic-wrinkles"],
        patient=patient(),
        kb=KB,
        today=TODAY,
    )
    assert proposals[0].protocol_id == "protocol.face-rejuvenation"
    assert [p.rank for p in proposals] == list(range(1, len(proposals) + 1))


def test_electrical_methods_are_excluded_for_a_pacemaker():
    proposals = propose(
        indications=["indication.dehydration"],
        patient=patient(implanted_devices=("device.pacemaker",)),
        kb=KB,
        today=TODAY,
    )
    needle_free = next(p for p in proposals if p.protocol_id == "protocol.needle-free-face")
    excluded = {e.id for e in needle_free.excluded_techniques}
    assert {"technique.electroporation", "technique.iontophoresis"} <= excluded
    assert "technique.oxygen-infusion" in needle_free.techniques


def test_products_with_an_allergen_are_excluded():
    proposals = propose(
        indications=["indication.dehydration"],
        patient=patient(allergies=("allergen.amide-anaesthetic",)),
        kb=KB,
        today=TODAY,
    )
    booster = next(p for p in proposals if p.protocol_id == "protocol.skinbooster-ha")
    assert "product.ha-lidocaine" in {e.id for e in booster.excluded_products}
    assert "product.ha-lidocaine" not in booster.products


def test_pregnancy_marks_every_proposal_contraindicated():
    proposals = propose(
        indications=["indication.hair-loss"], patient=patient(pregnant=True), kb=KB, today=TODAY
    )
    assert proposals and all(p.contraindicated for p in proposals)
    assert all(not p.techniques for p in proposals)


def test_expected_results_follow_the_age_group():
    young = propose(indications=["indication.acne"], patient=patient(), kb=KB, today=TODAY)[0]
    assert young.expected_results == KB.age_group["age.30-39"].text
    older = propose(
        indications=["indication.acne"],
        patient=PatientFacts(birth_date=date(1970, 1, 1)),
        kb=KB,
        today=TODAY,
    )[0]
    assert older.expected_results == KB.age_group["age.40-65"].text
    assert any(
        c.rule_id == "rule.age-band"
        for c in propose(
            indications=["indication.acne"],
            patient=PatientFacts(birth_date=date(1950, 1, 1)),
            kb=KB,
            today=TODAY,
        )[0].cautions
    )


def test_zone_filter_limits_protocols_and_zones():
    proposals = propose(
        indications=["indication.local-fat"],
        patient=patient(),
        kb=KB,
        today=TODAY,
        zones=["zone.submental"],
    )
    assert [p.protocol_id for p in proposals] == ["protocol.submental-dca"]
    assert proposals[0].zones == ("zone.submental",)


def test_unknown_indication_is_an_error():
    with pytest.raises(ScreeningInputError):
        propose(indications=["indication.hiccups"], patient=patient(), kb=KB, today=TODAY)
    with pytest.raises(ScreeningInputError):
        propose(indications=[], patient=patient(), kb=KB, today=TODAY)


def test_every_indication_has_a_protocol():
    for indication in KB.indication:
        assert propose(indications=[indication], patient=patient(), kb=KB, today=TODAY), indication
