"""The session's side of the safety engine: check-in answers and charted zones -> requests.

Patient facts come from the record (patients.selectors.screening_facts), the
knowledge base from the same loader the consultations app uses; every rule stays
in the core. The check-in screens the planned session with today's answers; the
chart is screened again entry by entry (depth, lot, credential, label) and as a
whole (volumes per product and per session), whatever the browser sent.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from mesoclinic.consultations.engine import kb as knowledge
from mesoclinic.core.knowledge import LEVEL_RANK, KnowledgeBase
from mesoclinic.core.screening import (
    Lot,
    Medication,
    OtherProcedure,
    PlannedProduct,
    PlannedSession,
    Practitioner,
    PreviousSession,
    ScreeningRequest,
    ScreeningResult,
    SiteFinding,
    Surgery,
    Verdict,
    VisitFacts,
    screen,
)

# Which detail a "yes" to a visit question needs, by the fact it sets.
DETAIL_KINDS = {
    "patient.medications": "medication",
    "patient.allergies": "allergy",
    "patient.conditions": "condition",
    "patient.surgeries": "surgery",
    "visit.recent_procedures": "procedure",
}
DCA_NECK_FINDINGS = ("finding.thyromegaly", "finding.lymphadenopathy")

# At check-in the lot is not chosen yet: the chart requires one (rule.lot-missing
# is screened there), so its absence is not a reason to stop the check-in.
CHECKIN_SKIPPED_RULES = ("rule.lot-missing",)
# Verdicts of the whole-session screening that belong to the session as a whole;
# entry screenings report everything else.
SESSION_TOTAL_RULES = ("rule.session-volume-max", "rule.product-session-volume")


@dataclass(frozen=True)
class Answer:
    """One answer at check-in: yes/no and, for a yes that needs it, the coded detail."""

    yes: bool
    code: str = ""
    on_date: dt.date | None = None
    text: str = ""
    # Where a site finding or another procedure is; empty: the planned zones
    # (a finding) or every zone (a procedure).
    zones: tuple[str, ...] = ()

    def as_json(self) -> dict:
        return {
            "yes": self.yes,
            "code": self.code,
            "date": self.on_date.isoformat() if self.on_date else None,
            "text": self.text,
            "zones": list(self.zones),
        }


def visit_questions(*, kb: KnowledgeBase, product_ids: Iterable[str]) -> list:
    """The every-visit questions that apply to a session with these products."""
    ingredients = {i for pid in product_ids for i in kb.product_ingredients.get(pid, ())}
    questions = []
    for q in kb.visit_question.values():
        wanted = q.applies_to.ingredients
        if wanted and ingredients.isdisjoint(wanted):
            continue
        questions.append(q)
    return questions


def detail_kind(question) -> str:
    return DETAIL_KINDS.get(question.fact, "")


def detail_choices(*, kb: KnowledgeBase, kind: str, language: str) -> list[tuple[str, str]]:
    """Coded choices for a question's detail (medication class, allergen, ...)."""
    if kind == "medication":
        table = kb.medication_class
    elif kind == "condition":
        table = kb.condition
    elif kind == "procedure":
        table = kb.procedure
    elif kind == "allergy":
        table = {**kb.allergy_group, **kb.ingredient}
    else:
        return []
    return [(code, entry.name.get(language)) for code, entry in table.items()]


def apply_answers(
    request: ScreeningRequest,
    *,
    answers: Mapping[str, Answer],
    kb: KnowledgeBase,
    today: dt.date,
) -> ScreeningRequest:
    """The request with today's answers added to the patient's facts and the visit."""
    p, zones = request.patient, request.plan.zones
    patient: dict[str, Any] = {}
    visit: dict[str, Any] = {"site_findings": [], "recent_procedures": []}
    medications = list(p.medications)
    allergies, conditions, surgeries = list(p.allergies), list(p.conditions), list(p.surgeries)
    condition_texts = list(p.condition_texts)
    for qid, answer in answers.items():
        question = kb.visit_question[qid]
        if not answer.yes:
            continue
        fact = question.fact
        if fact in ("patient.pregnant", "patient.breastfeeding"):
            patient[fact.split(".", 1)[1]] = True
        elif fact in ("visit.menstruation", "visit.acute_infection", "visit.fever"):
            visit[fact.split(".", 1)[1]] = True
        elif fact == "visit.site_findings":
            findings = (question.finding,) if question.finding else DCA_NECK_FINDINGS
            for finding in findings:
                where = tuple(answer.zones) or zones
                visit["site_findings"].append(SiteFinding(finding=finding, zones=where))
        elif fact == "patient.medications":
            # A typed name is recognised by the engine; its classes add to the chosen one.
            medications.append(
                Medication(
                    classes=(answer.code,) if answer.code else (),
                    name=answer.text.strip() or None,
                    active=True,
                )
            )
        elif fact == "patient.allergies":
            allergies.append(answer.code)
        elif fact == "patient.conditions":
            if answer.code:
                conditions.append(answer.code)
            if answer.text.strip():
                condition_texts.append(answer.text.strip())
        elif fact == "patient.surgeries":
            surgeries.append(Surgery(date=answer.on_date or today, description=answer.text or None))
        elif fact == "visit.recent_procedures":
            visit["recent_procedures"].append(
                OtherProcedure(
                    procedure=answer.code, date=answer.on_date or today, zones=tuple(answer.zones)
                )
            )
    patient_facts = p.model_copy(
        update={
            **patient,
            "medications": tuple(medications),
            "allergies": tuple(dict.fromkeys(allergies)),
            "conditions": tuple(dict.fromkeys(conditions)),
            "condition_texts": tuple(dict.fromkeys(condition_texts)),
            "surgeries": tuple(surgeries),
        }
    )
    visit_facts = VisitFacts(
        menstruation=visit.get("menstruation", False),
        acute_infection=visit.get("acute_infection", False),
        fever=visit.get("fever", False),
        site_findings=tuple(request.visit.site_findings) + tuple(visit["site_findings"]),
        recent_procedures=tuple(request.visit.recent_procedures)
        + tuple(visit["recent_procedures"]),
    )
    return request.model_copy(update={"patient": patient_facts, "visit": visit_facts})


def result_merge(
    results: Sequence[ScreeningResult],
    *,
    kb: KnowledgeBase,
    skip: Sequence[str] = (),
    only: Sequence[str] | None = None,
    extra: Sequence[Verdict] = (),
) -> ScreeningResult:
    """Several screenings as one result: verdicts deduplicated, strictest first."""
    merged: dict[tuple, Verdict] = {}
    for result in results:
        for v in result.verdicts:
            if v.rule_id in skip or (only is not None and v.rule_id not in only):
                continue
            merged.setdefault((v.rule_id, v.subject, v.message.en), v)
    for v in extra:
        merged.setdefault((v.rule_id, v.subject, v.message.en), v)
    verdicts = sorted(
        merged.values(),
        key=lambda v: (-LEVEL_RANK[v.level], v.rule_id, v.subject or "", v.message.en),
    )
    level = verdicts[0].level if verdicts else "ok"
    until = None
    if level == "postpone":
        dates = [v.until for v in verdicts if v.level == "postpone" and v.until is not None]
        until = max(dates) if dates else None
    return ScreeningResult(
        level=level, verdicts=tuple(verdicts), knowledge_version=kb.version, until=until
    )


def depth_range(technique, depths: Sequence[Decimal | None]) -> tuple[float, float] | None:
    known = [float(d) for d in depths if d is not None]
    if technique.kind != "needle" or not known:
        return None
    return (min(known), max(known))


@dataclass
class EntryIn:
    """One charted zone as the engine sees it (products by knowledge-base id)."""

    zone_id: str
    technique_id: str
    depth_mm: Decimal | None = None
    points: int | None = None
    kb_product_id: str = ""
    volume_ml: Decimal | None = None
    lot_number: str = ""
    lot_expiry: dt.date | None = None
    lot_status: str = "released"
    multi_dose: bool = False
    extra: dict = field(default_factory=dict)

    def planned_product(self) -> PlannedProduct | None:
        if not self.kb_product_id or not self.volume_ml:
            return None
        per = None
        if self.points:
            per = float(self.volume_ml) / self.points
        return PlannedProduct(
            product=self.kb_product_id,
            volume_ml=float(self.volume_ml),
            volume_per_injection_ml=per,
            lot=Lot(
                number=self.lot_number or None,
                expiry=self.lot_expiry,
                status=self.lot_status,  # type: ignore[arg-type]
                multi_dose=self.multi_dose,
            ),
        )


def chart_screen(
    *,
    base_request: ScreeningRequest,
    entries: Sequence[EntryIn],
    practitioner_techniques: Sequence[str],
    practitioner_id: str,
    physician: bool,
    today: dt.date,
    kb: KnowledgeBase | None = None,
    policy: Mapping[str, Any] | None = None,
) -> ScreeningResult:
    """Screen what was charted: each technique with its zones, depths and lots, then totals.

    `base_request` is the check-in request (patient facts and today's answers are
    replayed from it); only the planned session is replaced by the chart.
    """
    kb = kb or knowledge()
    plan = base_request.plan
    practitioner = Practitioner(
        id=practitioner_id, physician=physician, techniques=tuple(practitioner_techniques)
    )
    groups: dict[str, list[EntryIn]] = {}
    for entry in entries:
        groups.setdefault(entry.technique_id, []).append(entry)
    results = []
    all_products: list[PlannedProduct] = []
    for technique_id, group in groups.items():
        technique = kb.technique[technique_id]
        products = tuple(
            p
            for p in (e.planned_product() for e in group)
            if p is not None and p.product in kb.product
        )
        all_products.extend(products)
        session = plan.model_copy(
            update={
                "technique": technique_id,
                "zones": tuple(dict.fromkeys(e.zone_id for e in group)),
                "depth_mm": depth_range(technique, [e.depth_mm for e in group]),
                "products": products,
                "practitioner": practitioner,
            }
        )
        request = base_request.model_copy(update={"plan": PlannedSession(**dict(session))})
        results.append(screen(request, kb=kb, today=today, policy=policy))
    if len(groups) <= 1:
        return result_merge(results, kb=kb)
    # Volumes per product and per session add up over every technique of the session.
    first = next(iter(groups))
    whole = plan.model_copy(
        update={
            "technique": first,
            "zones": tuple(dict.fromkeys(e.zone_id for e in entries)),
            "depth_mm": None,
            "products": tuple(all_products),
            "practitioner": practitioner,
        }
    )
    request = base_request.model_copy(update={"plan": PlannedSession(**dict(whole))})
    totals = screen(request, kb=kb, today=today, policy=policy)
    merged = result_merge(results, kb=kb, skip=SESSION_TOTAL_RULES)
    session_verdicts = [v for v in totals.verdicts if v.rule_id in SESSION_TOTAL_RULES]
    return result_merge([merged], kb=kb, extra=session_verdicts)


def previous_sessions(sessions: Iterable) -> tuple[PreviousSession, ...]:
    """Signed sessions of the patient as the engine's previous sessions."""
    out = []
    for s in sessions:
        entries = list(s.entries.all())
        zones = tuple(dict.fromkeys(e.zone_id for e in entries))
        if not zones:
            continue
        products = tuple(
            dict.fromkeys(
                e.product.kb_product_id for e in entries if e.product_id and e.product.kb_product_id
            )
        )
        out.append(
            PreviousSession(
                date=s.session_date,
                zones=zones,
                products=products,
                technique=entries[0].technique_id,
            )
        )
    return tuple(out)
