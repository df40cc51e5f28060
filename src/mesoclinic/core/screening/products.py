"""Products: session volumes, label limits, product courses and lots."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from mesoclinic.core.knowledge.models import LEVEL_RANK, Text
from mesoclinic.core.screening.context import Context, add_months, fmt_num, join
from mesoclinic.core.screening.defaults import Limit


def screen_products(ctx: Context) -> None:
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
        candidates = [Limit(limit, ctx.protocol.evidence, ctx.protocol.sources)]
    elif ctx.protocol is None:
        candidates = list(ctx.fallback.volume_candidates)
    else:
        candidates = [Limit(default_max, None, ())]
    violated = [c for c in candidates if total > c.value + 1e-9]
    if violated:
        # The strictest verdict among the broken limits, then the lowest limit.
        def rank(c: Limit) -> tuple[int, float]:
            return (LEVEL_RANK[ctx.level(rule, c.evidence or rule.evidence)], -c.value)

        worst = max(violated, key=rank)
        ctx.fire(
            rule,
            params={"value": fmt_num(round(total, 3)), "max": fmt_num(worst.value)},
            extra_sources=worst.sources,
            evidence=worst.evidence,
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
                    "value": fmt_num(volumes[pid]),
                    "max": fmt_num(label.per_session_ml),
                },
                extra_sources=lsrc,
            )
        if label.per_injection_ml is not None:
            for item in (i for i in plan.products if i.product == pid):
                per = item.volume_per_injection_ml
                params = {**names, "max": fmt_num(label.per_injection_ml)}
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
                        params={**params, "value": fmt_num(per)},
                        extra_sources=lsrc,
                    )
        if label.zones:
            outside = [z for z in plan.zones if z not in label.zones]
            if outside:
                rule = ctx.rule("rule.product-zone-label")
                if ctx.policy.off_label_by_physician and plan.practitioner.physician:
                    # The clinic allows a physician's off-label use: recorded as a warning.
                    rule = rule.model_copy(update={"level": "warn", "min_level": None})
                ctx.fire(
                    rule,
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
                    "value": join([kb.technique[t].name for t in label.techniques]),
                },
                extra_sources=lsrc,
            )
        _screen_product_course(ctx, pid, names, label)
    _screen_lots(ctx)


def _screen_product_course(ctx: Context, pid: str, names: dict[str, Any], label: Any) -> None:
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


def _screen_lots(ctx: Context) -> None:
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
