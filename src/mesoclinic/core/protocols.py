"""Protocol proposals: indications + patient facts -> ranked course proposals.

``propose()`` reuses the screening engine: for every candidate protocol it
screens each technique and each suggested product against the patient's
facts, drops what is contraindicated, and ranks what is left. It never
decides for the clinician; every proposal carries its reasons, cautions,
evidence note and sources.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict

from mesoclinic.core.knowledge.loader import KnowledgeBase
from mesoclinic.core.knowledge.models import (
    EVIDENCE_RANK,
    EvidenceLevel,
    IntRange,
    Protocol,
    Text,
)
from mesoclinic.core.knowledge.policy import Policy, policy_parse
from mesoclinic.core.screening import (
    Lot,
    PatientFacts,
    PlannedProduct,
    PlannedSession,
    Practitioner,
    ScreeningInputError,
    ScreeningRequest,
    Verdict,
    VisitFacts,
    age_on,
    screen,
)


class Exclusion(BaseModel):
    """A technique or product left out of a proposal, and why."""

    model_config = ConfigDict(frozen=True)

    id: str
    reasons: tuple[Text, ...]


class Proposal(BaseModel):
    """One proposed course, ready to show to the clinician."""

    model_config = ConfigDict(frozen=True)

    rank: int
    protocol_id: str
    name: Text
    contraindicated: bool
    indications: tuple[str, ...]
    zones: tuple[str, ...]
    techniques: tuple[str, ...]
    excluded_techniques: tuple[Exclusion, ...]
    ingredient_classes: tuple[str, ...]
    products: tuple[str, ...]
    excluded_products: tuple[Exclusion, ...]
    sessions: IntRange
    interval_days: IntRange
    max_volume_ml: float | None
    session_minutes: int | None
    course_days: tuple[int, int]
    expected_results: Text | None
    evidence: EvidenceLevel
    evidence_note: Text
    sources: tuple[str, ...]
    reasons: tuple[Text, ...]
    cautions: tuple[Verdict, ...]


# Verdicts about the patient, not about the mechanics of a concrete session.
_PATIENT_RULES = ("rule.age-band",)


def propose(
    *,
    indications: Sequence[str],
    patient: PatientFacts,
    kb: KnowledgeBase,
    today: date,
    zones: Sequence[str] | None = None,
    visit: VisitFacts | None = None,
    policy: Policy | Mapping[str, Any] | None = None,
) -> list[Proposal]:
    """Rank the protocols that treat `indications` for this patient.

    Candidate protocols cover at least one indication (and, if `zones` is
    given, at least one of those zones). Techniques and products the patient's
    facts block are excluded with the reasons; a protocol with no technique
    left is kept but marked ``contraindicated`` and ranked last. Ranking:
    not contraindicated, more requested indications covered, stronger
    evidence, fewer cautions, then id.
    """
    problems = [f"indications: unknown {i!r}" for i in indications if i not in kb.indication]
    problems += [f"zones: unknown {z!r}" for z in zones or () if z not in kb.zone]
    if not indications:
        problems.append("indications: at least one is required")
    if problems:
        raise ScreeningInputError(problems)
    parsed = policy_parse(policy, kb=kb)
    visit = visit or VisitFacts()
    wanted = set(indications)
    candidates: list[tuple[tuple[Any, ...], dict[str, Any]]] = []
    for protocol in kb.protocol.values():
        covered = [i for i in protocol.indications if i in wanted]
        chosen_zones = [z for z in protocol.zones if zones is None or z in zones]
        if not covered or not chosen_zones:
            continue
        fields = _evaluate(kb, protocol, patient, visit, chosen_zones, today, parsed)
        fields["indications"] = tuple(covered)
        fields["reasons"] = (
            Text(
                en="Covers: " + ", ".join(kb.indication[i].name.en for i in covered),
                ru="Показания: " + ", ".join(kb.indication[i].name.ru for i in covered),
            ),
            *fields["reasons"],
        )
        key = (
            fields["contraindicated"],
            -len(covered),
            -EVIDENCE_RANK[protocol.evidence],
            len(fields["cautions"]),
            protocol.id,
        )
        candidates.append((key, fields))
    candidates.sort(key=lambda pair: pair[0])
    return [Proposal(rank=n, **fields) for n, (_key, fields) in enumerate(candidates, start=1)]


def _evaluate(
    kb: KnowledgeBase,
    protocol: Protocol,
    patient: PatientFacts,
    visit: VisitFacts,
    zones: list[str],
    today: date,
    policy: Policy,
) -> dict[str, Any]:
    # Screen as a fully credentialed physician with a valid lot, so only the
    # patient's own facts can exclude a technique or product.
    practitioner = Practitioner(physician=True, techniques=tuple(kb.technique))
    lot = Lot(number="proposal", expiry=date.max)

    def run(technique: str, products: tuple[PlannedProduct, ...]) -> list[Verdict]:
        tech = kb.technique[technique]
        depth = tech.clinic_depth_mm.min if tech.clinic_depth_mm is not None else None
        plan = PlannedSession(
            technique=technique,
            zones=tuple(zones),
            depth_mm=depth,
            products=products,
            practitioner=practitioner,
        )
        request = ScreeningRequest(patient=patient, visit=visit, plan=plan)
        result = screen(request, kb=kb, today=today, policy=policy)
        return [
            v for v in result.verdicts if v.rule_id.startswith("ci.") or v.rule_id in _PATIENT_RULES
        ]

    allowed, excluded, cautions = [], [], {}
    for technique in protocol.techniques:
        verdicts = run(technique, ())
        blocking = [v for v in verdicts if v.level == "block"]
        if blocking:
            excluded.append(Exclusion(id=technique, reasons=tuple(v.message for v in blocking)))
            continue
        allowed.append(technique)
        for v in verdicts:
            cautions.setdefault((v.rule_id, v.subject), v)
    products, excluded_products = [], []
    for pid in protocol.products:
        if not allowed:
            break
        item = PlannedProduct(product=pid, volume_ml=0.1, lot=lot)
        verdicts = run(_product_technique(kb, pid, allowed), (item,))
        blocking = [v for v in verdicts if v.level == "block" and _ingredient_scoped(kb, v)]
        if blocking:
            excluded_products.append(Exclusion(id=pid, reasons=tuple(v.message for v in blocking)))
        else:
            products.append(pid)
            for v in verdicts:
                cautions.setdefault((v.rule_id, v.subject), v)
    reasons = [protocol.evidence_note]
    for ex in excluded:
        name = kb.technique[ex.id].name
        reasons.append(Text(en=f"Not suitable: {name.en}", ru=f"Не подходит: {name.ru}"))
    for ex in excluded_products:
        name = kb.product[ex.id].name
        reasons.append(Text(en=f"Excluded product: {name.en}", ru=f"Исключён препарат: {name.ru}"))
    age = age_on(patient.birth_date, today)
    group = next((g for g in kb.age_group.values() if g.min_age <= age <= g.max_age), None)
    return {
        "protocol_id": protocol.id,
        "name": protocol.name,
        "contraindicated": not allowed,
        "zones": tuple(zones),
        "techniques": tuple(allowed),
        "excluded_techniques": tuple(excluded),
        "ingredient_classes": protocol.ingredient_classes,
        "products": tuple(products),
        "excluded_products": tuple(excluded_products),
        "sessions": protocol.sessions,
        "interval_days": protocol.interval_days,
        "max_volume_ml": protocol.max_volume_ml,
        "session_minutes": protocol.session_minutes,
        "course_days": protocol.course_days,
        "expected_results": group.text if group is not None else None,
        "evidence": protocol.evidence,
        "evidence_note": protocol.evidence_note,
        "sources": protocol.sources,
        "reasons": tuple(reasons),
        "cautions": tuple(sorted(cautions.values(), key=lambda v: (v.rule_id, v.subject or ""))),
    }


def _product_technique(kb: KnowledgeBase, product_id: str, allowed: list[str]) -> str:
    label = kb.product[product_id].label
    if label is not None and label.techniques:
        for technique in label.techniques:
            if technique in allowed:
                return technique
    return allowed[0]


def _ingredient_scoped(kb: KnowledgeBase, verdict: Verdict) -> bool:
    ci = kb.contraindication.get(verdict.rule_id)
    return ci is not None and (ci.scope == "ingredient" or bool(ci.applies_to.ingredients))
