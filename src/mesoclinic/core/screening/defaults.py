"""Limits when no protocol is chosen: never looser than any protocol that could apply.

The interval window, course length and session volume fall back to the strictest
of the engine rules' defaults and of every protocol of the knowledge base that
lists the planned technique (and, when the protocol names products, one of the
planned products). Each limit keeps the sources and evidence of the entry that
sets it, so a limit only marketing supports still only warns.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Limit:
    """One candidate limit with the evidence and sources of the entry that sets it."""

    value: float
    evidence: str | None
    sources: tuple[str, ...]


@dataclass(frozen=True)
class Fallback:
    # Every candidate minimum interval / maximum volume: the engine applies each, so a
    # marketing-only candidate can only warn while a cited one keeps its level.
    min_candidates: tuple[Limit, ...]
    volume_candidates: tuple[Limit, ...]
    min_days: int
    min_evidence: str | None
    min_sources: tuple[str, ...]
    max_days: int
    max_evidence: str | None
    max_sources: tuple[str, ...]
    max_sessions: int
    sessions_evidence: str | None
    sessions_sources: tuple[str, ...]
    max_volume: float
    volume_evidence: str | None
    volume_sources: tuple[str, ...]


def applicable_protocols(kb: Any, technique: str, products: tuple[str, ...]) -> list[Any]:
    """Protocols that could govern a session of this technique with these products."""
    planned = set(products)
    return [
        p
        for p in kb.protocol.values()
        if technique in p.techniques and (not p.products or planned & set(p.products))
    ]


def fallback_for(ctx: Any) -> Fallback:
    """The strictest limits of the rule defaults and the applicable protocols."""
    kb, plan = ctx.kb, ctx.plan
    rule_min, rule_max = ctx.rule("rule.interval-min"), ctx.rule("rule.interval-max")
    course, volume = ctx.rule("rule.course-length"), ctx.rule("rule.session-volume-max")
    protocols = applicable_protocols(kb, plan.technique, tuple(i.product for i in plan.products))

    def ev(p: Any) -> str:
        return p.interval_evidence or p.evidence

    min_candidates = [Limit(ctx.param(rule_min, "default_min_days"), None, ())]
    volume_candidates = [Limit(ctx.param(volume, "default_max_ml"), None, ())]
    for p in protocols:
        min_candidates.append(Limit(p.interval_days.min, ev(p), p.sources))
        if p.max_volume_ml is not None:
            volume_candidates.append(Limit(p.max_volume_ml, p.evidence, p.sources))
    min_days, min_ev, min_src = int(ctx.param(rule_min, "default_min_days")), None, ()
    max_days, max_ev, max_src = int(ctx.param(rule_max, "default_max_days")), None, ()
    sessions, s_ev, s_src = int(ctx.param(course, "default_max_sessions")), None, ()
    vol, v_ev, v_src = float(ctx.param(volume, "default_max_ml")), None, ()
    for p in protocols:
        if p.interval_days.min > min_days:
            min_days, min_ev, min_src = p.interval_days.min, ev(p), p.sources
        if p.interval_days.max < max_days:
            max_days, max_ev, max_src = p.interval_days.max, ev(p), p.sources
        if p.sessions.max < sessions:
            sessions, s_ev, s_src = p.sessions.max, p.evidence, p.sources
        if p.max_volume_ml is not None and p.max_volume_ml < vol:
            vol, v_ev, v_src = p.max_volume_ml, p.evidence, p.sources
    # A window whose bounds came from different protocols may be inverted: the
    # minimum wins (too early is the safety question), the maximum moves with it.
    max_days = max(max_days, min_days)
    return Fallback(
        tuple(min_candidates), tuple(volume_candidates),
        min_days, min_ev, min_src, max_days, max_ev, max_src,
        sessions, s_ev, s_src, vol, v_ev, v_src,
    )  # fmt: skip
