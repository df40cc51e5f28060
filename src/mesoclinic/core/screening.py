"""Safety screening: patient facts + today's answers + planned session -> verdicts.

``screen()`` is a pure function over plain data: no clock, no database. It
evaluates every contraindication of the knowledge base (data-driven triggers)
and the engine rules (intervals, volumes, depth, course length, lots,
credentials, age, other procedures), and returns verdicts ordered by severity.
The overall level is the strictest verdict: ok < warn < postpone < block.

The request models here are the screening input format documented in
docs/screening.md; the HTTP API accepts the same JSON.
"""

from __future__ import annotations

import calendar
import weakref
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from mesoclinic.core.knowledge.loader import KnowledgeBase
from mesoclinic.core.knowledge.models import (
    LEVEL_RANK,
    AppliesTo,
    Contraindication,
    EvidenceLevel,
    Level,
    Rule,
    Text,
    Trigger,
)
from mesoclinic.core.knowledge.policy import Policy, policy_parse

# --- Input -------------------------------------------------------------------------


class _In(BaseModel):
    # Unknown keys are refused: a misspelt fact ("pregnent") must never be ignored.
    model_config = ConfigDict(extra="forbid", frozen=True)


class Medication(_In):
    """A medication the patient takes or took, coded by class."""

    classes: tuple[str, ...] = Field(min_length=1)
    name: str | None = None
    active: bool = True
    last_dose: date | None = None


class Surgery(_In):
    """An operation; zones are the treated zones it involved, if any."""

    date: date
    zones: tuple[str, ...] = ()
    description: str | None = None


class PatientFacts(_In):
    """Facts about the patient that hold across visits (re-confirmed every visit)."""

    birth_date: date
    sex: Literal["female", "male", "other"] | None = None
    conditions: tuple[str, ...] = ()
    allergies: tuple[str, ...] = ()
    medications: tuple[Medication, ...] = ()
    pregnant: bool = False
    breastfeeding: bool = False
    implanted_devices: tuple[str, ...] = ()
    surgeries: tuple[Surgery, ...] = ()
    skin_type: int | None = Field(default=None, ge=1, le=6)


class SiteFinding(_In):
    """A finding at check-in or on examination, in the zones where it is."""

    finding: str
    zones: tuple[str, ...] = Field(min_length=1)


class OtherProcedure(_In):
    """Another cosmetic procedure done or booked near the session date."""

    procedure: str
    date: date
    zones: tuple[str, ...] = ()


class VisitFacts(_In):
    """Today's check-in answers (the visit questions of the knowledge base)."""

    menstruation: bool = False
    acute_infection: bool = False
    fever: bool = False
    site_findings: tuple[SiteFinding, ...] = ()
    recent_procedures: tuple[OtherProcedure, ...] = ()


class Lot(_In):
    """The product lot to be used, as recorded in stock."""

    number: str | None = None
    expiry: date | None = None
    status: Literal["released", "quarantined", "recalled"] = "released"
    multi_dose: bool = False


class PlannedProduct(_In):
    """One product of the planned session with its total volume."""

    product: str
    volume_ml: float = Field(gt=0)
    volume_per_injection_ml: float | None = Field(default=None, gt=0)
    lot: Lot | None = None


class PreviousSession(_In):
    """A previous mesotherapy session of this patient."""

    date: date
    zones: tuple[str, ...] = Field(min_length=1)
    products: tuple[str, ...] = ()
    technique: str | None = None


class Practitioner(_In):
    """Who will perform the session and what they are credentialed for."""

    id: str | None = None
    physician: bool = False
    techniques: tuple[str, ...] = ()


class PlannedSession(_In):
    """The session to be screened."""

    technique: str
    zones: tuple[str, ...] = Field(min_length=1)
    depth_mm: float | tuple[float, float] | None = None
    products: tuple[PlannedProduct, ...] = ()
    protocol: str | None = None
    session_number: int = Field(default=1, ge=1)
    course_sessions_planned: int | None = Field(default=None, ge=1)
    previous_sessions: tuple[PreviousSession, ...] = ()
    practitioner: Practitioner

    @field_validator("depth_mm")
    @classmethod
    def _depth_positive(cls, value: float | tuple[float, float] | None) -> Any:
        if value is None:
            return value
        lo, hi = (value, value) if isinstance(value, float | int) else value
        if lo < 0 or hi < lo:
            raise ValueError("depth_mm must be >= 0 and a [min, max] pair must be ordered")
        return value

    @property
    def depth_range(self) -> tuple[float, float] | None:
        """The planned depth as a (min, max) pair in mm."""
        if self.depth_mm is None:
            return None
        if isinstance(self.depth_mm, tuple):
            return self.depth_mm
        return (float(self.depth_mm), float(self.depth_mm))


class ScreeningRequest(_In):
    """Everything screening needs: patient, today's answers, the planned session."""

    patient: PatientFacts
    visit: VisitFacts = VisitFacts()
    plan: PlannedSession


# --- Output ------------------------------------------------------------------------


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True)


class SourceRef(_Out):
    """A cited source as shown with a verdict."""

    id: str
    citation: str
    evidence: EvidenceLevel


class Verdict(_Out):
    """One finding of the screening, with its rule, level, sources and message."""

    rule_id: str
    level: Level
    subject: str | None = None
    message: Text
    evidence: EvidenceLevel
    sources: tuple[SourceRef, ...]
    until: date | None = None
    until_condition: Text | None = None


class ScreeningResult(_Out):
    """All verdicts, the strictest level, and the knowledge-base version used."""

    level: Level
    verdicts: tuple[Verdict, ...]
    knowledge_version: str
    until: date | None = None


class ScreeningInputError(ValueError):
    """The request refers to codes the knowledge base does not know, or is inconsistent.

    ``problems`` lists every problem with its path in the request.
    """

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("invalid screening request: " + "; ".join(problems))


_GENERIC_UNTIL = Text(
    en="until the responsible physician clears the session",
    ru="до разрешения ответственного врача",
)

# Rule ids the engine itself can fire (contraindications come from the data).
ENGINE_RULE_IDS = (
    "rule.interval-min",
    "rule.interval-max",
    "rule.product-interval-min",
    "rule.product-sessions-max",
    "rule.session-volume-max",
    "rule.product-session-volume",
    "rule.product-injection-volume",
    "rule.product-injection-volume-unknown",
    "rule.product-zone-label",
    "rule.product-technique-label",
    "rule.product-regulatory",
    "rule.depth-unsupported",
    "rule.depth-outside-default",
    "rule.depth-missing",
    "rule.course-length",
    "rule.protocol-zone",
    "rule.protocol-technique",
    "rule.lot-missing",
    "rule.lot-expired",
    "rule.lot-recalled",
    "rule.lot-quarantined",
    "rule.lot-multi-dose",
    "rule.practitioner-technique",
    "rule.practitioner-physician-product",
    "rule.practitioner-physician",
    "rule.age-band",
    "rule.procedure-gap-before",
    "rule.procedure-gap-after",
)


# --- Public API --------------------------------------------------------------------


def screen(
    request: ScreeningRequest,
    *,
    kb: KnowledgeBase,
    today: date,
    policy: Policy | Mapping[str, Any] | None = None,
) -> ScreeningResult:
    """Screen a planned session and return the verdicts.

    `today` is passed in (no clock read) so a screening can be replayed.
    `policy` holds clinic overrides (see knowledge.policy). Raises
    ScreeningInputError for unknown codes or inconsistent dates, PolicyError
    for an invalid policy.
    """
    request_check(request, kb=kb, today=today)
    ctx = _Context(request, kb, today, policy_parse(policy, kb=kb))
    for ci in kb.contraindication.values():
        _screen_contraindication(ctx, ci)
    _screen_intervals(ctx)
    _screen_products(ctx)
    _screen_technique(ctx)
    _screen_course(ctx)
    _screen_practitioner(ctx)
    _screen_age(ctx)
    _screen_other_procedures(ctx)
    return ctx.result()


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


def age_on(birth_date: date, today: date) -> int:
    """Age in completed years on `today`."""
    before_birthday = (today.month, today.day) < (birth_date.month, birth_date.day)
    return today.year - birth_date.year - before_birthday


def add_months(day: date, months: int) -> date:
    """`day` plus calendar months, clamped to the month's last day."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


# --- Engine internals --------------------------------------------------------------


@dataclass
class _Context:
    request: ScreeningRequest
    kb: KnowledgeBase
    today: date
    policy: Policy
    verdicts: list[Verdict] = field(default_factory=list)

    def __post_init__(self) -> None:
        plan = self.request.plan
        self.patient = self.request.patient
        self.visit = self.request.visit
        self.plan = plan
        self.technique = self.kb.technique[plan.technique]
        self.zones = frozenset(plan.zones)
        self.regions = frozenset(self.kb.zone[z].region for z in plan.zones)
        self.protocol = self.kb.protocol.get(plan.protocol) if plan.protocol else None
        self.age = age_on(self.patient.birth_date, self.today)
        self.ingredients = frozenset(
            i for item in plan.products for i in self.kb.product_ingredients[item.product]
        )

    # Names for messages.
    def name(self, code: str) -> Text:
        entry = self.kb.get(code)
        return entry.name

    def zone_names(self, zones: Iterable[str]) -> tuple[str, str]:
        ordered = [z for z in self.plan.zones if z in set(zones)] or sorted(zones)
        return _join([self.kb.zone[z].name for z in ordered])

    def param(self, entry: Rule | Contraindication, key: str) -> float:
        override = self.policy.params.get(entry.id, {})
        return override.get(key, entry.params[key])

    def level(self, entry: Rule | Contraindication, evidence: str) -> Level:
        if entry.id in self.policy.levels:
            return self.policy.levels[entry.id]
        # A limit that only marketing supports may at most warn (README of the base).
        if evidence == "marketing" and LEVEL_RANK[entry.level] > LEVEL_RANK["warn"]:
            return "warn"
        return entry.level

    def sources(self, ids: tuple[str, ...]) -> tuple[SourceRef, ...]:
        cache = _source_refs(self.kb)
        refs = cache.get(ids)
        if refs is None:
            refs = tuple(cache[sid] for sid in dict.fromkeys(ids))
            cache[ids] = refs
        return refs

    def fire(
        self,
        entry: Rule | Contraindication,
        *,
        subject: str | None = None,
        params: Mapping[str, Any] | None = None,
        until: date | None = None,
        extra_sources: Iterable[str] = (),
        evidence: str | None = None,
    ) -> None:
        evidence = evidence or entry.evidence
        level = self.level(entry, evidence)
        values = dict(params or {})
        if until is not None:
            values.setdefault("until", until.isoformat())
        en, ru = {}, {}
        for key, value in values.items():
            if isinstance(value, Text):
                en[key], ru[key] = value.en, value.ru
            elif isinstance(value, tuple):
                en[key], ru[key] = value
            else:
                en[key] = ru[key] = value
        message = Text(en=entry.message.en.format_map(en), ru=entry.message.ru.format_map(ru))
        until_condition = None
        if level == "postpone":
            if isinstance(entry, Contraindication) and entry.until_condition is not None:
                until_condition = entry.until_condition
            elif until is None:
                until_condition = _GENERIC_UNTIL
        else:
            until = None
        self.verdicts.append(
            Verdict(
                rule_id=entry.id,
                level=level,
                subject=subject,
                message=message,
                evidence=evidence,
                sources=self.sources((*entry.sources, *extra_sources)),
                until=until,
                until_condition=until_condition,
            )
        )

    def rule(self, rule_id: str) -> Rule:
        return self.kb.rule[rule_id]

    def result(self) -> ScreeningResult:
        verdicts = sorted(
            self.verdicts,
            key=lambda v: (-LEVEL_RANK[v.level], v.rule_id, v.subject or "", v.message.en),
        )
        level: Level = verdicts[0].level if verdicts else "ok"
        until = None
        if level == "postpone":
            dates = [v.until for v in verdicts if v.level == "postpone" and v.until is not None]
            until = max(dates) if dates else None
        return ScreeningResult(
            level=level,
            verdicts=tuple(verdicts),
            knowledge_version=self.kb.version,
            until=until,
        )


_SOURCE_REFS: weakref.WeakKeyDictionary[KnowledgeBase, dict[Any, Any]] = weakref.WeakKeyDictionary()


def _source_refs(kb: KnowledgeBase) -> dict[Any, Any]:
    # Built once per knowledge base and keyed by source id, then also by tuples of
    # ids as verdicts ask for them; verdicts share the immutable references.
    refs = _SOURCE_REFS.get(kb)
    if refs is None:
        refs = {
            sid: SourceRef(id=sid, citation=src.citation, evidence=src.evidence)
            for sid, src in kb.source.items()
        }
        _SOURCE_REFS[kb] = refs
    return refs


def _join(texts: list[Text]) -> tuple[str, str]:
    # Message parameters are plain (en, ru) pairs; only the final message is a Text.
    return (", ".join(t.en for t in texts) or "-", ", ".join(t.ru for t in texts) or "-")


def _fmt_num(value: float) -> str:
    return f"{value:g}"


# --- Contraindications -------------------------------------------------------------


def _applies(ctx: _Context, applies: AppliesTo) -> bool:
    if applies.techniques and ctx.plan.technique not in applies.techniques:
        return False
    if applies.technique_kinds and ctx.technique.kind not in applies.technique_kinds:
        return False
    if applies.energies and ctx.technique.energy not in applies.energies:
        return False
    if applies.ingredients and ctx.ingredients.isdisjoint(applies.ingredients):
        return False
    if applies.zones and ctx.zones.isdisjoint(applies.zones):
        return False
    return not (applies.regions and ctx.regions.isdisjoint(applies.regions))


@dataclass
class _Match:
    items: list[Text] = field(default_factory=list)
    zones: set[str] = field(default_factory=set)
    until: date | None = None
    days: float | None = None


def _screen_contraindication(ctx: _Context, ci: Contraindication) -> None:
    if not _applies(ctx, ci.applies_to):
        return
    match: _Match | None = None
    for trigger in ci.triggers:
        found = _trigger(ctx, ci, trigger)
        if found is None:
            continue
        if match is None:
            match = found
        else:
            match.items += found.items
            match.zones |= found.zones
            if found.until and (match.until is None or found.until > match.until):
                match.until = found.until
    if match is None:
        return
    zones = match.zones or (ctx.zones & set(ci.applies_to.zones)) or ctx.zones
    params = {
        "items": _join(match.items),
        "zones": ctx.zone_names(zones),
        "days": _fmt_num(match.days) if match.days is not None else "",
        "until": match.until.isoformat() if match.until else "",
    }
    ctx.fire(ci, params=params, until=match.until)


def _trigger(ctx: _Context, ci: Contraindication, trig: Trigger) -> _Match | None:
    p, kind = ctx.patient, trig.kind
    if kind == "condition":
        hits = [c for c in p.conditions if c in trig.codes]
        return _Match(items=[ctx.name(c) for c in dict.fromkeys(hits)]) if hits else None
    if kind == "medication":
        return _medication_match(ctx, ci, trig)
    if kind == "flag":
        hits = [f for f in trig.flags if _flag(ctx, f)]
        return _Match() if hits else None
    if kind == "finding":
        match = _Match()
        for finding in ctx.visit.site_findings:
            if finding.finding not in trig.findings:
                continue
            zones = set(finding.zones) if trig.anywhere else ctx.zones & set(finding.zones)
            if zones:
                match.zones |= zones if not trig.anywhere else set()
                if ctx.name(finding.finding) not in match.items:
                    match.items.append(ctx.name(finding.finding))
        return match if match.items else None
    if kind == "device":
        hits = [d for d in p.implanted_devices if ctx.kb.device[d].category in trig.categories]
        return _Match(items=[ctx.name(d) for d in dict.fromkeys(hits)]) if hits else None
    if kind == "surgery-recent":
        wait = ctx.param(ci, trig.param or "")
        match = _Match(days=wait)
        for surgery in p.surgeries:
            elapsed = (ctx.today - surgery.date).days
            if 0 <= elapsed < wait:
                end = surgery.date + timedelta(days=int(wait))
                match.until = max(match.until or end, end)
        return match if match.until else None
    if kind == "surgery-in-zone":
        zones = set()
        for surgery in p.surgeries:
            if surgery.date <= ctx.today:
                zones |= ctx.zones & set(surgery.zones)
        return _Match(zones=zones) if zones else None
    if kind == "age-below":
        limit = ctx.param(ci, trig.param or "")
        return _Match(days=limit) if ctx.age < limit else None
    if kind == "allergy":
        return _allergy_match(ctx)
    if kind == "skin-type":
        return _Match() if p.skin_type is not None and p.skin_type >= (trig.min or 7) else None
    raise AssertionError(f"unhandled trigger kind {kind!r}")  # the model restricts kinds


def _flag(ctx: _Context, flag: str) -> bool:
    owner, attr = flag.split(".", 1)
    return bool(getattr(ctx.patient if owner == "patient" else ctx.visit, attr))


def _medication_match(ctx: _Context, ci: Contraindication, trig: Trigger) -> _Match | None:
    window = ctx.param(ci, trig.window_param) if trig.window_param else None
    match = _Match(days=window)
    for med in ctx.patient.medications:
        hit = [c for c in med.classes if c in trig.classes]
        if not hit:
            continue
        counts = med.active
        end = None
        if window is not None and med.last_dose is not None:
            end = med.last_dose + timedelta(days=int(window))
            # Stopped recently still counts; a current course counts whatever the date.
            counts = counts or ctx.today < end
        if counts:
            label = Text(en=med.name, ru=med.name) if med.name else ctx.name(hit[0])
            match.items.append(label)
            if end is not None and end > ctx.today:
                match.until = max(match.until or end, end)
    return match if match.items else None


def _allergy_match(ctx: _Context) -> _Match | None:
    allergies = set(ctx.patient.allergies)
    if not allergies:
        return None
    match = _Match()
    for item in ctx.plan.products:
        for ingredient_id in ctx.kb.product_ingredients[item.product]:
            ingredient = ctx.kb.ingredient[ingredient_id]
            culprits = [ingredient_id, *ingredient.allergy_groups]
            hit = [c for c in culprits if c in allergies]
            if hit:
                product = ctx.kb.product[item.product].name
                ing = ingredient.name
                match.items.append(
                    Text(en=f"{ing.en} ({product.en})", ru=f"{ing.ru} ({product.ru})")
                )
    # One product may appear with several lots: report each component once.
    unique = list({(t.en, t.ru): t for t in match.items}.values())
    return _Match(items=unique) if unique else None


# --- Engine rules ------------------------------------------------------------------


def _last_in_zone(ctx: _Context, zone: str) -> date | None:
    dates = [s.date for s in ctx.plan.previous_sessions if zone in s.zones]
    return max(dates) if dates else None


def _screen_intervals(ctx: _Context) -> None:
    protocol = ctx.protocol
    rule_min, rule_max = ctx.rule("rule.interval-min"), ctx.rule("rule.interval-max")
    if protocol is not None:
        min_days = protocol.interval_days.min
        max_days = protocol.interval_days.max
        evidence = protocol.interval_evidence or protocol.evidence
        extra = protocol.sources
    else:
        min_days = int(ctx.param(rule_min, "default_min_days"))
        max_days = int(ctx.param(rule_max, "default_max_days"))
        evidence, extra = None, ()
    for zone in ctx.plan.zones:
        last = _last_in_zone(ctx, zone)
        if last is None:
            continue
        days = (ctx.today - last).days
        params = {"zones": ctx.kb.zone[zone].name, "days": days, "min": min_days, "max": max_days}
        if days < min_days:
            ctx.fire(
                rule_min,
                subject=zone,
                params=params,
                until=last + timedelta(days=min_days),
                extra_sources=extra,
                evidence=_weaker(rule_min.evidence, evidence),
            )
        elif days > max_days and ctx.plan.session_number > 1 and protocol is not None:
            ctx.fire(rule_max, subject=zone, params=params, extra_sources=extra, evidence=evidence)


def _weaker(rule_evidence: str, data_evidence: str | None) -> str:
    # The verdict is only as strong as the data that sets the limit.
    return data_evidence if data_evidence is not None else rule_evidence


def _screen_products(ctx: _Context) -> None:
    kb, plan = ctx.kb, ctx.plan
    volumes: dict[str, float] = {}
    for item in plan.products:
        volumes[item.product] = volumes.get(item.product, 0.0) + item.volume_ml
    total = sum(volumes.values())
    rule = ctx.rule("rule.session-volume-max")
    default_max = ctx.param(rule, "default_max_ml")
    if ctx.protocol is not None and ctx.protocol.max_volume_ml is not None:
        limit = ctx.protocol.max_volume_ml
        if "default_max_ml" in ctx.policy.params.get(rule.id, {}):
            limit = min(limit, default_max)  # a clinic cap is never loosened by a protocol
        extra, evidence = ctx.protocol.sources, ctx.protocol.evidence
    else:
        limit, extra, evidence = default_max, (), None
    if total > limit + 1e-9:
        ctx.fire(
            rule,
            params={"value": _fmt_num(round(total, 3)), "max": _fmt_num(limit)},
            extra_sources=extra,
            evidence=evidence,
        )

    for pid in dict.fromkeys(i.product for i in plan.products):
        product = kb.product[pid]
        names = {"product": product.name}
        if product.regulatory_warning is not None:
            ctx.fire(
                ctx.rule("rule.product-regulatory"),
                subject=pid,
                params={**names, "value": product.regulatory_warning},
                extra_sources=product.sources,
            )
        if product.requires_physician and not plan.practitioner.physician:
            ctx.fire(ctx.rule("rule.practitioner-physician-product"), subject=pid, params=names)
        label = product.label
        if label is None:
            continue
        lsrc = label.sources
        if label.per_session_ml is not None and volumes[pid] > label.per_session_ml + 1e-9:
            ctx.fire(
                ctx.rule("rule.product-session-volume"),
                subject=pid,
                params={
                    **names,
                    "value": _fmt_num(volumes[pid]),
                    "max": _fmt_num(label.per_session_ml),
                },
                extra_sources=lsrc,
            )
        if label.per_injection_ml is not None:
            for item in (i for i in plan.products if i.product == pid):
                per = item.volume_per_injection_ml
                params = {**names, "max": _fmt_num(label.per_injection_ml)}
                if per is None:
                    ctx.fire(
                        ctx.rule("rule.product-injection-volume-unknown"),
                        subject=pid,
                        params=params,
                        extra_sources=lsrc,
                    )
                elif per > label.per_injection_ml + 1e-9:
                    ctx.fire(
                        ctx.rule("rule.product-injection-volume"),
                        subject=pid,
                        params={**params, "value": _fmt_num(per)},
                        extra_sources=lsrc,
                    )
        if label.zones:
            outside = [z for z in plan.zones if z not in label.zones]
            if outside:
                ctx.fire(
                    ctx.rule("rule.product-zone-label"),
                    subject=pid,
                    params={**names, "zones": ctx.zone_names(outside)},
                    extra_sources=lsrc,
                )
        if label.techniques and plan.technique not in label.techniques:
            ctx.fire(
                ctx.rule("rule.product-technique-label"),
                subject=pid,
                params={
                    **names,
                    "technique": ctx.technique.name,
                    "value": _join([kb.technique[t].name for t in label.techniques]),
                },
                extra_sources=lsrc,
            )
        _screen_product_course(ctx, pid, names, label)
    _screen_lots(ctx)


def _screen_product_course(ctx: _Context, pid: str, names: dict[str, Any], label: Any) -> None:
    previous = sorted(s.date for s in ctx.plan.previous_sessions if pid in s.products)
    if label.max_sessions is not None and len(previous) + 1 > label.max_sessions:
        ctx.fire(
            ctx.rule("rule.product-sessions-max"),
            subject=pid,
            params={**names, "value": len(previous) + 1, "max": label.max_sessions},
            extra_sources=label.sources,
        )
    if not previous:
        return
    last = previous[-1]
    if label.min_interval_months is not None:
        next_date = add_months(last, label.min_interval_months)
        gap = Text(
            en=f"{label.min_interval_months} month(s)", ru=f"{label.min_interval_months} мес."
        )
    elif label.min_interval_days is not None:
        next_date = last + timedelta(days=label.min_interval_days)
        gap = Text(en=f"{label.min_interval_days} days", ru=f"{label.min_interval_days} дн.")
    else:
        return
    if ctx.today < next_date:
        ctx.fire(
            ctx.rule("rule.product-interval-min"),
            subject=pid,
            params={**names, "date": last.isoformat(), "min": gap},
            until=next_date,
            extra_sources=label.sources,
        )


def _screen_lots(ctx: _Context) -> None:
    for item in ctx.plan.products:
        names = {"product": ctx.kb.product[item.product].name}
        lot = item.lot
        if lot is None or not (lot.number or "").strip() or lot.expiry is None:
            ctx.fire(ctx.rule("rule.lot-missing"), subject=item.product, params=names)
            continue
        params = {**names, "lot": lot.number, "date": lot.expiry.isoformat()}
        subject = f"{item.product}#{lot.number}"
        if lot.expiry < ctx.today:
            ctx.fire(ctx.rule("rule.lot-expired"), subject=subject, params=params)
        if lot.status == "recalled":
            ctx.fire(ctx.rule("rule.lot-recalled"), subject=subject, params=params)
        elif lot.status == "quarantined":
            ctx.fire(ctx.rule("rule.lot-quarantined"), subject=subject, params=params)
        if lot.multi_dose:
            ctx.fire(ctx.rule("rule.lot-multi-dose"), subject=subject, params=params)


def _screen_technique(ctx: _Context) -> None:
    technique = ctx.technique
    if technique.kind != "needle":
        return
    names = {"technique": technique.name}
    lo_all, hi_all = technique.supported_depth()
    default = ctx.policy.depth_mm.get(technique.id, technique.clinic_depth_mm)
    depth = ctx.plan.depth_range
    if depth is None:
        ctx.fire(
            ctx.rule("rule.depth-missing"),
            params={**names, "min": _fmt_num(default.min), "max": _fmt_num(default.max)},
        )
        return
    lo, hi = depth
    value = _fmt_num(lo) if lo == hi else f"{_fmt_num(lo)}-{_fmt_num(hi)}"
    if lo < lo_all or hi > hi_all:
        ctx.fire(
            ctx.rule("rule.depth-unsupported"),
            params={**names, "value": value, "min": _fmt_num(lo_all), "max": _fmt_num(hi_all)},
        )
    elif lo < default.min or hi > default.max:
        ctx.fire(
            ctx.rule("rule.depth-outside-default"),
            params={
                **names,
                "value": value,
                "min": _fmt_num(default.min),
                "max": _fmt_num(default.max),
            },
        )


def _screen_course(ctx: _Context) -> None:
    protocol = ctx.protocol
    if protocol is None:
        return
    names = {"protocol": protocol.name, "technique": ctx.technique.name}
    planned = max(ctx.plan.session_number, ctx.plan.course_sessions_planned or 0)
    if planned > protocol.sessions.max:
        ctx.fire(
            ctx.rule("rule.course-length"),
            params={**names, "value": planned, "max": protocol.sessions.max},
            extra_sources=protocol.sources,
        )
    outside = [z for z in ctx.plan.zones if z not in protocol.zones]
    if outside:
        ctx.fire(
            ctx.rule("rule.protocol-zone"),
            params={**names, "zones": ctx.zone_names(outside)},
            extra_sources=protocol.sources,
        )
    if ctx.plan.technique not in protocol.techniques:
        ctx.fire(ctx.rule("rule.protocol-technique"), params=names, extra_sources=protocol.sources)


def _screen_practitioner(ctx: _Context) -> None:
    practitioner = ctx.plan.practitioner
    if ctx.plan.technique not in practitioner.techniques:
        ctx.fire(
            ctx.rule("rule.practitioner-technique"),
            subject=practitioner.id,
            params={"technique": ctx.technique.name},
        )
    if not practitioner.physician:
        ctx.fire(ctx.rule("rule.practitioner-physician"), subject=practitioner.id)


def _screen_age(ctx: _Context) -> None:
    rule = ctx.rule("rule.age-band")
    lo, hi = ctx.param(rule, "min_age"), ctx.param(rule, "max_age")
    if not lo <= ctx.age <= hi:
        ctx.fire(rule, params={"value": ctx.age, "min": _fmt_num(lo), "max": _fmt_num(hi)})


def _screen_other_procedures(ctx: _Context) -> None:
    before, after = ctx.rule("rule.procedure-gap-before"), ctx.rule("rule.procedure-gap-after")
    for proc in ctx.visit.recent_procedures:
        elapsed = (ctx.today - proc.date).days
        params = {"procedure": ctx.name(proc.procedure), "date": proc.date.isoformat()}
        gap = int(ctx.param(before, "gap_days"))
        if 0 <= elapsed <= gap:
            ctx.fire(
                before,
                subject=proc.procedure,
                params={**params, "days": gap},
                until=proc.date + timedelta(days=gap + 1),
            )
        gap_after = int(ctx.param(after, "gap_days"))
        if -gap_after <= elapsed < 0:
            ctx.fire(after, subject=proc.procedure, params={**params, "days": gap_after})
