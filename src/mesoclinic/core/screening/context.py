"""The engine's working state for one request and the helpers every check uses."""

from __future__ import annotations

import calendar
import functools
import weakref
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from mesoclinic.core.knowledge.lexicon import conditions_find, medicines_find
from mesoclinic.core.knowledge.loader import KnowledgeBase
from mesoclinic.core.knowledge.models import LEVEL_RANK, Contraindication, Level, Rule, Text
from mesoclinic.core.knowledge.policy import Policy
from mesoclinic.core.screening.defaults import Fallback, fallback_for
from mesoclinic.core.screening.request import Medication, ScreeningRequest
from mesoclinic.core.screening.result import ScreeningResult, SourceRef, Verdict

_GENERIC_UNTIL = Text(
    en="until the responsible physician clears the session",
    ru="до разрешения ответственного врача",
)


def age_on(birth_date: date, today: date) -> int:
    """Age in completed years on `today`."""
    before_birthday = (today.month, today.day) < (birth_date.month, birth_date.day)
    return today.year - birth_date.year - before_birthday


def add_months(day: date, months: int) -> date:
    """`day` plus calendar months, clamped to the month's last day."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


@dataclass(frozen=True)
class ResolvedMedication:
    """A medication with the classes its codes and its name give, and a display label."""

    medication: Medication
    classes: tuple[str, ...]
    label: Text | None
    recognised: bool


def _medication_resolve(kb: KnowledgeBase, med: Medication) -> ResolvedMedication:
    found = medicines_find(kb, med.name) if med.name else []
    classes = tuple(dict.fromkeys((*med.classes, *(c for m in found for c in m.classes))))
    label = None
    if med.name:
        generic = [m.name for m in found]
        if generic:
            en = ", ".join(g.en for g in generic)
            ru = ", ".join(g.ru for g in generic)
            label = Text(en=f"{med.name} ({en})", ru=f"{med.name} ({ru})")
        else:
            label = Text(en=med.name, ru=med.name)
    return ResolvedMedication(med, classes, label, recognised=bool(found or med.classes))


@dataclass
class Context:
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
        self.medications = [_medication_resolve(self.kb, m) for m in self.patient.medications]
        conditions = list(self.patient.conditions)
        self.unrecognised_conditions: list[str] = []
        for text in self.patient.condition_texts:
            found = conditions_find(self.kb, text)
            if found:
                conditions.extend(found)
            elif text.strip():
                self.unrecognised_conditions.append(text.strip())
        self.conditions = tuple(dict.fromkeys(conditions))

    @functools.cached_property
    def fallback(self) -> Fallback:
        """Limits used when no protocol is chosen (see screening.defaults)."""
        return fallback_for(self)

    # Names for messages.
    def name(self, code: str) -> Text:
        entry = self.kb.get(code)
        return entry.name

    def zone_names(self, zones: Iterable[str]) -> tuple[str, str]:
        ordered = [z for z in self.plan.zones if z in set(zones)] or sorted(zones)
        return join([self.kb.zone[z].name for z in ordered])

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
                overridable=entry.may_override,
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


def join(texts: list[Text]) -> tuple[str, str]:
    # Message parameters are plain (en, ru) pairs; only the final message is a Text.
    return (", ".join(t.en for t in texts) or "-", ", ".join(t.ru for t in texts) or "-")


def fmt_num(value: float) -> str:
    return f"{value:g}"
