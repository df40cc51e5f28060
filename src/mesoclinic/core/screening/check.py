"""Input checks: every code known to the knowledge base, no impossible dates."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from mesoclinic.core.knowledge.loader import KnowledgeBase
from mesoclinic.core.screening.request import ScreeningRequest
from mesoclinic.core.screening.result import ScreeningInputError


def request_check(request: ScreeningRequest, *, kb: KnowledgeBase, today: date) -> None:
    """Raise ScreeningInputError listing every unknown code or impossible date."""
    problems: list[str] = []

    def known(path: str, values: Iterable[str], table: str, what: str) -> None:
        for i, value in enumerate(values):
            if value not in kb.tables[table]:
                problems.append(f"{path}[{i}]: unknown {what} {value!r}")

    p, v, s = request.patient, request.visit, request.plan
    if p.birth_date > today:
        problems.append("patient.birth_date: in the future")
    known("patient.conditions", p.conditions, "condition", "condition")
    if p.weight_date is not None and p.weight_date > today:
        problems.append("patient.weight_date: in the future")
    for i, code in enumerate(p.allergies):
        if code not in kb.ingredient and code not in kb.allergy_group:
            problems.append(
                f"patient.allergies[{i}]: unknown allergen {code!r} "
                "(use an ingredient.* or allergen.* code)"
            )
    for i, med in enumerate(p.medications):
        known(f"patient.medications[{i}].classes", med.classes, "medication_class", "class")
        if med.last_dose is not None and med.last_dose > today:
            problems.append(f"patient.medications[{i}].last_dose: in the future")
    known("patient.implanted_devices", p.implanted_devices, "device", "device")
    for i, surgery in enumerate(p.surgeries):
        known(f"patient.surgeries[{i}].zones", surgery.zones, "zone", "zone")
    for i, finding in enumerate(v.site_findings):
        if finding.finding not in kb.finding:
            problems.append(f"visit.site_findings[{i}].finding: unknown {finding.finding!r}")
        known(f"visit.site_findings[{i}].zones", finding.zones, "zone", "zone")
    for i, proc in enumerate(v.recent_procedures):
        if proc.procedure not in kb.procedure:
            problems.append(
                f"visit.recent_procedures[{i}].procedure: unknown procedure {proc.procedure!r}"
            )
        known(f"visit.recent_procedures[{i}].zones", proc.zones, "zone", "zone")
    technique = kb.technique.get(s.technique)
    if technique is None:
        problems.append(f"plan.technique: unknown technique {s.technique!r}")
    elif technique.kind == "needle-free" and s.depth_mm is not None:
        problems.append(f"plan.depth_mm: not applicable to the needle-free {s.technique}")
    known("plan.zones", s.zones, "zone", "zone")
    if s.protocol is not None and s.protocol not in kb.protocol:
        problems.append(f"plan.protocol: unknown protocol {s.protocol!r}")
    for i, item in enumerate(s.products):
        if item.product not in kb.product:
            problems.append(f"plan.products[{i}].product: unknown product {item.product!r}")
    for i, prev in enumerate(s.previous_sessions):
        if prev.date > today:
            problems.append(f"plan.previous_sessions[{i}].date: in the future")
        known(f"plan.previous_sessions[{i}].zones", prev.zones, "zone", "zone")
        known(f"plan.previous_sessions[{i}].products", prev.products, "product", "product")
        if prev.technique is not None and prev.technique not in kb.technique:
            problems.append(f"plan.previous_sessions[{i}].technique: unknown {prev.technique!r}")
    known("plan.practitioner.techniques", s.practitioner.techniques, "technique", "technique")
    if problems:
        raise ScreeningInputError(problems)
