"""Contraindications of the knowledge base: data-driven triggers."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from mesoclinic.core.knowledge.models import AppliesTo, Contraindication, Text, Trigger
from mesoclinic.core.screening.context import Context, fmt_num, join


def _applies(ctx: Context, applies: AppliesTo) -> bool:
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


def screen_contraindication(ctx: Context, ci: Contraindication) -> None:
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
        "items": join(match.items),
        "zones": ctx.zone_names(zones),
        "days": fmt_num(match.days) if match.days is not None else "",
        "until": match.until.isoformat() if match.until else "",
    }
    ctx.fire(ci, params=params, until=match.until)


def _trigger(ctx: Context, ci: Contraindication, trig: Trigger) -> _Match | None:
    p, kind = ctx.patient, trig.kind
    if kind == "condition":
        hits = [c for c in ctx.conditions if c in trig.codes]
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
            # "At or near the site": a finding also stops the zones next to its own.
            near = set(finding.zones) | {a for z in finding.zones for a in ctx.kb.zone[z].adjacent}
            zones = set(finding.zones) if trig.anywhere else ctx.zones & near
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


def _flag(ctx: Context, flag: str) -> bool:
    owner, attr = flag.split(".", 1)
    return bool(getattr(ctx.patient if owner == "patient" else ctx.visit, attr))


def _medication_match(ctx: Context, ci: Contraindication, trig: Trigger) -> _Match | None:
    window = ctx.param(ci, trig.window_param) if trig.window_param else None
    match = _Match(days=window)
    for resolved in ctx.medications:
        med = resolved.medication
        hit = [c for c in resolved.classes if c in trig.classes]
        if not hit:
            continue
        counts = med.active
        end = None
        # A stopped medicine counts until its wash-out has passed: the trigger's own
        # window (clinic-tunable) or, without one, the longest wash-out of its classes.
        days = window if window is not None else _washout(ctx, hit)
        if days is not None and med.last_dose is not None:
            end = med.last_dose + timedelta(days=int(days))
            # Stopped recently still counts; a current course counts whatever the date.
            counts = counts or ctx.today < end
        if counts:
            match.items.append(resolved.label or ctx.name(hit[0]))
            if end is not None and end > ctx.today:
                match.until = max(match.until or end, end)
    return match if match.items else None


def _washout(ctx: Context, classes: list[str]) -> int | None:
    days = [w.days for c in classes if (w := ctx.kb.medication_class[c].washout) is not None]
    return max(days) if days else None


def screen_unrecognised(ctx: Context) -> None:
    """Typed medicines and conditions nobody has coded warn until a clinician codes them."""
    for resolved in ctx.medications:
        if not resolved.recognised and resolved.label is not None:
            ctx.fire(
                ctx.rule("rule.medicine-unrecognised"),
                subject=resolved.medication.name,
                params={"items": resolved.label},
            )
    for text in ctx.unrecognised_conditions:
        ctx.fire(
            ctx.rule("rule.condition-unrecognised"),
            subject=text,
            params={"items": Text(en=text, ru=text)},
        )


def _allergy_match(ctx: Context) -> _Match | None:
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
