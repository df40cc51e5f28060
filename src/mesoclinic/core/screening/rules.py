"""Engine rules beyond the contraindication table: intervals, depth, course,
practitioner, age and other procedures."""

from __future__ import annotations

from datetime import date, timedelta

from mesoclinic.core.knowledge.models import LEVEL_RANK
from mesoclinic.core.screening.context import Context, fmt_num
from mesoclinic.core.screening.defaults import Limit


def _last_in_zone(ctx: Context, zone: str) -> date | None:
    dates = [s.date for s in ctx.plan.previous_sessions if zone in s.zones]
    return max(dates) if dates else None


def screen_intervals(ctx: Context) -> None:
    protocol = ctx.protocol
    rule_min, rule_max = ctx.rule("rule.interval-min"), ctx.rule("rule.interval-max")
    fb = ctx.fallback
    if protocol is not None:
        min_days = protocol.interval_days.min
        max_days = protocol.interval_days.max
        evidence = protocol.interval_evidence or protocol.evidence
        extra = protocol.sources
        max_evidence, max_extra = evidence, extra
    else:
        # Absence of a protocol never loosens: the strictest of the rule defaults
        # and of every protocol for this technique (and products).
        min_days, evidence, extra = fb.min_days, fb.min_evidence, fb.min_sources
        max_days, max_evidence, max_extra = fb.max_days, fb.max_evidence, fb.max_sources
    candidates = (
        [Limit(min_days, evidence, extra)] if protocol is not None else list(fb.min_candidates)
    )
    for zone in ctx.plan.zones:
        last = _last_in_zone(ctx, zone)
        if last is None:
            continue
        days = (ctx.today - last).days
        params = {"zones": ctx.kb.zone[zone].name, "days": days, "min": min_days, "max": max_days}
        violated = [c for c in candidates if days < c.value]
        if violated:
            # The strictest verdict among the limits this interval breaks, then the longest.
            def rank(c: Limit) -> tuple[int, float]:
                ev = _weaker(rule_min.evidence, c.evidence)
                return (LEVEL_RANK[ctx.level(rule_min, ev)], c.value)

            worst = max(violated, key=rank)
            ctx.fire(
                rule_min,
                subject=zone,
                params={**params, "min": int(worst.value)},
                until=last + timedelta(days=int(worst.value)),
                extra_sources=worst.sources,
                evidence=_weaker(rule_min.evidence, worst.evidence),
            )
        elif days > max_days and ctx.plan.session_number > 1:
            ctx.fire(
                rule_max,
                subject=zone,
                params=params,
                extra_sources=max_extra,
                evidence=max_evidence,
            )


def _weaker(rule_evidence: str, data_evidence: str | None) -> str:
    # The verdict is only as strong as the data that sets the limit.
    return data_evidence if data_evidence is not None else rule_evidence


def screen_technique(ctx: Context) -> None:
    technique = ctx.technique
    if technique.kind != "needle":
        return
    names = {"technique": technique.name}
    lo_all, hi_all = technique.limit_depth()
    default = ctx.policy.depth_mm.get(technique.id, technique.clinic_depth_mm)
    depth = ctx.plan.depth_range
    if depth is None:
        ctx.fire(
            ctx.rule("rule.depth-missing"),
            params={**names, "min": fmt_num(default.min), "max": fmt_num(default.max)},
        )
        return
    lo, hi = depth
    value = fmt_num(lo) if lo == hi else f"{fmt_num(lo)}-{fmt_num(hi)}"
    if lo < lo_all or hi > hi_all:
        ctx.fire(
            ctx.rule("rule.depth-unsupported"),
            params={**names, "value": value, "min": fmt_num(lo_all), "max": fmt_num(hi_all)},
        )
    elif lo < default.min or hi > default.max:
        ctx.fire(
            ctx.rule("rule.depth-outside-default"),
            params={
                **names,
                "value": value,
                "min": fmt_num(default.min),
                "max": fmt_num(default.max),
            },
        )


def screen_zone_depth(ctx: Context) -> None:
    """Depth limits per zone x technique: the strictest limit of each zone applies."""
    depth = ctx.plan.depth_range
    if ctx.technique.kind != "needle" or depth is None:
        return
    deepest = depth[1]
    rule = ctx.rule("rule.depth-zone-limit")
    for limit in ctx.kb.depth_limit.values():
        if limit.techniques and ctx.plan.technique not in limit.techniques:
            continue
        zones = [z for z in ctx.plan.zones if z in limit.zones]
        if not zones or deepest <= limit.max_mm + 1e-9:
            continue
        # The verdict's level is the limit's own; marketing-only limits at most warn.
        level_entry = rule.model_copy(update={"level": limit.level, "min_level": None})
        ctx.fire(
            level_entry,
            subject=limit.id,
            params={
                "value": fmt_num(deepest),
                "zones": ctx.zone_names(zones),
                "max": fmt_num(limit.max_mm),
                "limit": limit.name,
            },
            extra_sources=limit.sources,
            evidence=limit.evidence,
        )


def screen_course(ctx: Context) -> None:
    protocol = ctx.protocol
    planned = max(ctx.plan.session_number, ctx.plan.course_sessions_planned or 0)
    if protocol is None:
        fb = ctx.fallback
        names = {"technique": ctx.technique.name}
        ctx.fire(
            ctx.rule("rule.protocol-missing"),
            params={
                **names,
                "min": fb.min_days,
                "max": fb.max_days,
                "sessions": fb.max_sessions,
                "volume": fmt_num(fb.max_volume),
            },
        )
        if planned > fb.max_sessions:
            ctx.fire(
                ctx.rule("rule.course-length"),
                params={
                    **names,
                    "protocol": ctx.technique.name,
                    "value": planned,
                    "max": fb.max_sessions,
                },
                extra_sources=fb.sessions_sources,
                evidence=fb.sessions_evidence,
            )
        return
    names = {"protocol": protocol.name, "technique": ctx.technique.name}
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


def screen_practitioner(ctx: Context) -> None:
    practitioner = ctx.plan.practitioner
    if ctx.plan.technique not in practitioner.techniques:
        ctx.fire(
            ctx.rule("rule.practitioner-technique"),
            subject=practitioner.id,
            params={"technique": ctx.technique.name},
        )
    if not practitioner.physician:
        ctx.fire(ctx.rule("rule.practitioner-physician"), subject=practitioner.id)


def screen_age(ctx: Context) -> None:
    rule = ctx.rule("rule.age-band")
    lo, hi = ctx.param(rule, "min_age"), ctx.param(rule, "max_age")
    if not lo <= ctx.age <= hi:
        ctx.fire(rule, params={"value": ctx.age, "min": fmt_num(lo), "max": fmt_num(hi)})


def screen_other_procedures(ctx: Context) -> None:
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
