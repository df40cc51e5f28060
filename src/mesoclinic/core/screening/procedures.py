"""Other procedures and local anaesthetic: windows by procedure type and zone, dose by weight."""

from __future__ import annotations

import re
from datetime import timedelta

from mesoclinic.core.screening.context import Context, fmt_num

_MG_PER_ML = re.compile(r"^\s*([0-9]+(?:[.,][0-9]+)?)\s*mg\s*/\s*ml\s*$", re.IGNORECASE)
ANAESTHETICS = ("ingredient.lidocaine",)
VASOCONSTRICTORS = ("ingredient.adrenaline", "ingredient.epinephrine")


def screen_procedure_windows(ctx: Context) -> None:
    """A procedure within its window in a planned zone or one next to it (or zone unknown)."""
    rule = ctx.rule("rule.procedure-window")
    near = set(ctx.plan.zones) | {a for z in ctx.plan.zones for a in ctx.kb.zone[z].adjacent}
    for proc in ctx.visit.recent_procedures:
        elapsed = (ctx.today - proc.date).days
        if elapsed < 0:
            continue
        for window in ctx.kb.procedure_window.values():
            if proc.procedure not in window.procedures or elapsed >= window.days:
                continue
            # A procedure recorded without zones counts everywhere: absence never loosens.
            zones = [z for z in proc.zones if z in near] if proc.zones else list(ctx.plan.zones)
            if window.zone_scoped and not zones:
                continue
            until = proc.date + timedelta(days=window.days)
            ctx.fire(
                rule.model_copy(update={"level": window.level, "min_level": None}),
                subject=f"{proc.procedure}@{proc.date.isoformat()}",
                params={
                    "procedure": ctx.name(proc.procedure),
                    "date": proc.date.isoformat(),
                    "zones": ctx.zone_names(zones or ctx.plan.zones),
                    "window": window.name,
                    "days": window.days,
                    "until": until.isoformat(),
                },
                extra_sources=window.sources,
                evidence=window.evidence,
            )


def anaesthetic_mg(ctx: Context) -> tuple[float, bool]:
    """Total lidocaine (mg) of the planned products, and whether any has adrenaline."""
    total, adrenaline = 0.0, False
    for item in ctx.plan.products:
        product = ctx.kb.product[item.product]
        for component in product.composition:
            if component.ingredient in VASOCONSTRICTORS:
                adrenaline = True
            if component.ingredient in ANAESTHETICS and component.amount:
                found = _MG_PER_ML.match(component.amount)
                if found:
                    total += float(found.group(1).replace(",", ".")) * item.volume_ml
    return total, adrenaline


def screen_anaesthetic(ctx: Context) -> None:
    """Local anaesthetic total against the label maximum per kg (block above, warn near)."""
    total, adrenaline = anaesthetic_mg(ctx)
    if total <= 0:
        return
    rule = ctx.rule("rule.anaesthetic-dose")
    suffix = "_adrenaline" if adrenaline else ""
    per_kg = ctx.param(rule, f"max_mg_per_kg{suffix}")
    ceiling = ctx.param(rule, f"max_mg{suffix}")
    weight = ctx.patient.weight_kg
    if weight is None:
        ctx.fire(ctx.rule("rule.anaesthetic-weight-missing"), params={"value": fmt_num(total)})
        maximum = ceiling
    else:
        maximum = min(per_kg * weight, ceiling)
    params = {
        "value": fmt_num(round(total, 1)),
        "max": fmt_num(round(maximum, 1)),
        "per_kg": fmt_num(per_kg),
        "weight": fmt_num(weight) if weight is not None else "?",
        "ceiling": fmt_num(ceiling),
    }
    if total > maximum + 1e-9:
        ctx.fire(rule, params=params)
    elif total >= ctx.param(rule, "near_fraction") * maximum:
        ctx.fire(rule.model_copy(update={"level": "warn", "min_level": None}), params=params)
