"""The shell's side of the safety engine: plans and consultations -> core requests.

Only this module builds screening requests for plans; every rule stays in the
core and its knowledge base.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Sequence

from mesoclinic.core.knowledge import LEVEL_RANK, KnowledgeBase, load_knowledge
from mesoclinic.core.protocols import Proposal, propose
from mesoclinic.core.screening import (
    Lot,
    PatientFacts,
    PlannedProduct,
    PlannedSession,
    Practitioner,
    ScreeningRequest,
    SiteFinding,
    Verdict,
    VisitFacts,
    screen,
)

# Rules about a concrete session (lot in hand, who holds the needle, the depth
# charted): they are screened at the session, not when a course is planned.
SESSION_TIME_RULES = (
    "rule.lot-",
    "rule.practitioner-",
    "rule.depth-",
    "rule.interval-",
    "rule.product-interval-min",
)


def kb() -> KnowledgeBase:
    return load_knowledge()


def visit_facts(*, findings: Sequence[str], zones: Sequence[str], procedures=()) -> VisitFacts:
    """Findings on examination (in the chosen zones) and recent procedures from history."""
    site = tuple(SiteFinding(finding=f, zones=tuple(zones)) for f in findings) if zones else ()
    return VisitFacts(site_findings=site, recent_procedures=tuple(procedures))


def plan_screen(
    *,
    patient: PatientFacts,
    visit: VisitFacts,
    zones: Sequence[str],
    technique_ids: Sequence[str],
    product_doses: dict[str, float],
    sessions: int,
    protocol_id: str | None,
    today: dt.date,
) -> tuple[str, list[Verdict], str]:
    """Screen a planned course: each technique with the cocktail, verdicts merged.

    Returns (strictest level, verdicts, knowledge-base version).
    """
    base = kb()
    practitioner = Practitioner(physician=True, techniques=tuple(base.technique))
    lot = Lot(number="plan", expiry=dt.date.max)
    products = tuple(
        PlannedProduct(product=pid, volume_ml=dose, lot=lot) for pid, dose in product_doses.items()
    )
    merged: dict[tuple, Verdict] = {}
    for technique in technique_ids:
        tech = base.technique[technique]
        depth = tech.clinic_depth_mm.min if tech.clinic_depth_mm is not None else None
        session = PlannedSession(
            technique=technique,
            zones=tuple(zones),
            depth_mm=depth,
            products=products,
            protocol=protocol_id or None,
            course_sessions_planned=sessions,
            practitioner=practitioner,
        )
        result = screen(
            ScreeningRequest(patient=patient, visit=visit, plan=session), kb=base, today=today
        )
        for v in result.verdicts:
            if v.rule_id.startswith(SESSION_TIME_RULES):
                continue
            merged.setdefault((v.rule_id, v.subject, v.message.en), v)
    verdicts = sorted(merged.values(), key=lambda v: (-LEVEL_RANK[v.level], v.rule_id))
    level = verdicts[0].level if verdicts else "ok"
    return level, verdicts, base.version


def verdicts_json(verdicts: Iterable[Verdict]) -> list[dict]:
    return [v.model_dump(mode="json") for v in verdicts]


def proposals_for(
    *,
    patient: PatientFacts,
    visit: VisitFacts,
    indications: Sequence[str],
    zones: Sequence[str],
    today: dt.date,
) -> list[Proposal]:
    if not indications:
        return []
    return propose(
        indications=list(indications),
        patient=patient,
        kb=kb(),
        today=today,
        zones=list(zones) or None,
        visit=visit,
    )


def plan_ingredients(product_ids: Iterable[str]) -> list[str]:
    base = kb()
    return sorted({i for pid in product_ids for i in base.product_ingredients[pid]})


def risk_hash(
    *, zones: Iterable[str], technique_ids: Iterable[str], product_ids: Iterable[str]
) -> str:
    """What the consent covers: a change here needs a new consent. Doses and dates do not."""
    products = sorted(product_ids)
    payload = {
        "zones": sorted(zones),
        "techniques": sorted(technique_ids),
        "products": products,
        "ingredients": plan_ingredients(products),
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()
