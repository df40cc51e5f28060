"""Aftercare instructions for a session, in the patient's language.

Durations are clinic policy: the knowledge base holds the seed values as
defaults and a clinic overrides them with ``policy.aftercare_hours``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from mesoclinic.core.knowledge.loader import KnowledgeBase
from mesoclinic.core.knowledge.models import AppliesTo, EvidenceLevel
from mesoclinic.core.knowledge.policy import Policy, policy_parse


class AftercareItem(BaseModel):
    """One aftercare instruction, rendered in one language."""

    model_config = ConfigDict(frozen=True)

    id: str
    name: str
    text: str
    hours: float | None
    evidence: EvidenceLevel
    sources: tuple[str, ...]


def aftercare_for(
    *,
    kb: KnowledgeBase,
    zones: Sequence[str],
    techniques: Sequence[str],
    language: Literal["en", "ru"] = "en",
    ingredients: Iterable[str] = (),
    policy: Policy | Mapping[str, Any] | None = None,
) -> list[AftercareItem]:
    """Return the aftercare rules that apply to a session, in the base's order.

    Raises ValueError for an unknown zone or technique, so a typo never yields
    a silently shorter aftercare sheet.
    """
    unknown = [z for z in zones if z not in kb.zone] + [
        t for t in techniques if t not in kb.technique
    ]
    if unknown:
        raise ValueError(f"unknown zone or technique: {', '.join(unknown)}")
    parsed = policy_parse(policy, kb=kb)
    zone_set = set(zones)
    regions = {kb.zone[z].region for z in zones}
    kinds = {kb.technique[t].kind for t in techniques}
    ingredient_set = set(ingredients)
    items = []
    for rule in kb.aftercare.values():
        if not _applies(rule.applies_to, zone_set, regions, kinds, ingredient_set):
            continue
        hours = parsed.aftercare_hours.get(rule.id, rule.default_hours)
        text = rule.text.get(language)
        if hours is not None:
            text = text.replace("{duration}", format_duration(hours, language))
        items.append(
            AftercareItem(
                id=rule.id,
                name=rule.name.get(language),
                text=text,
                hours=hours,
                evidence=rule.evidence,
                sources=rule.sources,
            )
        )
    return items


def _applies(
    applies: AppliesTo, zones: set[str], regions: set[str], kinds: set[str], ingredients: set[str]
) -> bool:
    if applies.zones and zones.isdisjoint(applies.zones):
        return False
    if applies.regions and regions.isdisjoint(applies.regions):
        return False
    if applies.technique_kinds and kinds.isdisjoint(applies.technique_kinds):
        return False
    return not (applies.ingredients and ingredients.isdisjoint(applies.ingredients))


def format_duration(hours: float, language: str) -> str:
    """A duration for the patient, as set: minutes under an hour, hours under 2 days, then days,
    then weeks. Fractions print as set ("2.5 hours", "2,5 часа"), never rounded away.

    Russian uses the genitive after "в течение" ("24 часов", "3 дней", "1 дня", "2,5 часа").
    """
    ru = language == "ru"
    if hours < 1:
        minutes = round(hours * 60)
        if ru:
            singular = minutes % 10 == 1 and minutes % 100 != 11
            return f"{minutes} {'минуты' if singular else 'минут'}"
        return f"{minutes} minute{'' if minutes == 1 else 's'}"
    if hours != int(hours):
        # A fraction of an hour: one decimal place, the reader's decimal separator.
        text = f"{hours:.2f}".rstrip("0").rstrip(".")
        return f"{text.replace('.', ',')} часа" if ru else f"{text} hours"
    if hours < 48 or hours % 24:
        value, unit = int(hours), "hour"
    elif hours % 168 == 0 and hours >= 336:
        value, unit = int(hours // 168), "week"
    else:
        value, unit = int(hours // 24), "day"
    if ru:
        singular = value % 10 == 1 and value % 100 != 11
        forms = {"hour": ("часа", "часов"), "day": ("дня", "дней"), "week": ("недели", "недель")}
        return f"{value} {forms[unit][0] if singular else forms[unit][1]}"
    return f"{value} {unit}{'' if value == 1 else 's'}"
