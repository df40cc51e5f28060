"""Which protocols work: the owner's observational report over the organisation's own data.

Per protocol, product and indication, and per scale: the courses that have both a
baseline and a follow-up score (for GAIS, which is judged against the baseline, a
follow-up alone), the mean improvement with its 95% confidence interval, the share of
those courses that improved, and the adverse events per 100 signed sessions of the
group's courses. Observational: no control group, no adjustment, whoever came back.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count

from mesoclinic.accounts.scope import Scope, in_my_clinics, scoped
from mesoclinic.charting.models import SessionStatus, SideEffect, TreatmentSession
from mesoclinic.consultations.engine import kb as knowledge
from mesoclinic.consultations.models import PlanProduct, PlanStatus, TreatmentPlan
from mesoclinic.core.outcomes import MeanCI, improvement, mean_ci
from mesoclinic.outcomes.models import FOLLOW_UPS, OutcomeScore, Timepoint

DIMENSIONS = ("protocol", "product", "indication")


@dataclass(frozen=True)
class ReportFilters:
    first: dt.date | None = None  # courses starting on or after
    last: dt.date | None = None  # ... and on or before
    practitioner_id: int | None = None
    clinic_id: int | None = None


@dataclass
class ReportRow:
    dimension: str  # "protocol" | "product" | "indication"
    key: str  # knowledge-base id
    name: str
    scale_id: str
    scale_name: str
    courses: int  # all courses of the group in the filters
    paired: int  # courses with baseline and follow-up on this scale
    change: MeanCI | None
    improved_share: float | None
    sessions: int
    adverse_events: int

    @property
    def adverse_per_100(self) -> float | None:
        return None if not self.sessions else 100 * self.adverse_events / self.sessions

    @property
    def improved_percent(self) -> int | None:
        return None if self.improved_share is None else round(self.improved_share * 100)


@dataclass
class _Group:
    plans: set = field(default_factory=set)
    changes: dict = field(default_factory=lambda: defaultdict(list))


def _plans(scope: Scope, filters: ReportFilters):
    plans = in_my_clinics(scoped(TreatmentPlan, scope, permission="clinic.manage"), scope).filter(
        status__in=[PlanStatus.ACTIVE, PlanStatus.COMPLETED]
    )
    if filters.clinic_id is not None:
        plans = plans.filter(clinic_id=filters.clinic_id)
    if filters.practitioner_id is not None:
        plans = plans.filter(practitioner_id=filters.practitioner_id)
    if filters.first is not None:
        plans = plans.filter(target_start__gte=filters.first)
    if filters.last is not None:
        plans = plans.filter(target_start__lte=filters.last)
    return plans


def protocol_report(*, scope: Scope, language: str, filters: ReportFilters) -> list[ReportRow]:
    """The report's rows, grouped by dimension, then name, then scale."""
    kb = knowledge()
    plans = _plans(scope, filters)
    plan_rows = list(plans.values_list("pk", "protocol_id", "consultation__indications"))
    ids = plans.values("pk")
    products: dict[int, list[str]] = defaultdict(list)
    for plan_id, product_id in PlanProduct.objects.filter(plan_id__in=ids).values_list(
        "plan_id", "product_id"
    ):
        products[plan_id].append(product_id)
    sessions = dict(
        TreatmentSession.objects.filter(plan_id__in=ids, status=SessionStatus.SIGNED)
        .values_list("plan_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    events = dict(
        SideEffect.objects.filter(session__plan_id__in=ids)
        .values_list("session__plan_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    # (plan, scale, zone) -> first baseline and latest follow-up (rows come in order).
    baseline: dict[tuple, int] = {}
    latest: dict[tuple, int] = {}
    first_only = baseline.setdefault
    for plan_id, scale_id, zone_id, timepoint, score in (
        OutcomeScore.objects.filter(
            plan_id__in=ids, timepoint__in=[Timepoint.BASELINE, *FOLLOW_UPS]
        )
        .order_by("scored_on", "recorded_at", "pk")
        .values_list("plan_id", "scale_id", "zone_id", "timepoint", "score")
    ):
        if timepoint == "baseline":
            first_only((plan_id, scale_id, zone_id), score)
        else:
            latest[plan_id, scale_id, zone_id] = score
    # Per plan and scale: the mean improvement over its zones.
    scales = {sid: kb.scale[sid] for sid in {k[1] for k in latest} if sid in kb.scale}
    per_plan: dict[tuple[int, str], list[int]] = defaultdict(list)
    for key, follow in latest.items():
        scale = scales.get(key[1])
        if scale is None:
            continue
        change = improvement(scale, baseline=baseline.get(key), follow_up=follow)
        if change is not None:
            per_plan[key[0], key[1]].append(change)
    by_plan_scale: dict[int, list[tuple[str, float]]] = defaultdict(list)
    for (plan_id, scale_id), changes in per_plan.items():
        by_plan_scale[plan_id].append((scale_id, sum(changes) / len(changes)))

    groups: dict[tuple[str, str], _Group] = defaultdict(_Group)
    for plan_id, protocol_id, indications in plan_rows:
        keys = []
        if protocol_id:
            keys.append(("protocol", protocol_id))
            if not indications and protocol_id in kb.protocol:
                indications = kb.protocol[protocol_id].indications
        keys += [("product", p) for p in products.get(plan_id, ())]
        keys += [("indication", i) for i in indications or ()]
        for key in keys:
            group = groups[key]
            group.plans.add(plan_id)
            for scale_id, change in by_plan_scale.get(plan_id, ()):
                group.changes[scale_id].append(change)

    rows: list[ReportRow] = []
    for (dimension, key), group in groups.items():
        name = _name(kb, key, language)
        n_sessions = sum(sessions.get(p, 0) for p in group.plans)
        n_events = sum(events.get(p, 0) for p in group.plans)
        scale_ids = sorted(group.changes) or [""]
        for scale_id in scale_ids:
            changes = group.changes.get(scale_id, [])
            scale = kb.scale.get(scale_id)
            rows.append(
                ReportRow(
                    dimension=dimension,
                    key=key,
                    name=name,
                    scale_id=scale_id,
                    scale_name=scale.short.get(language) if scale else "",
                    courses=len(group.plans),
                    paired=len(changes),
                    change=mean_ci(changes),
                    improved_share=(sum(1 for c in changes if c > 0) / len(changes))
                    if changes
                    else None,
                    sessions=n_sessions,
                    adverse_events=n_events,
                )
            )
    rows.sort(key=lambda r: (DIMENSIONS.index(r.dimension), r.name, r.scale_name))
    return rows


def _name(kb, key: str, language: str) -> str:
    try:
        entry = kb.get(key)
    except KeyError:
        return key
    name = getattr(entry, "name", None)
    return name.get(language) if name is not None else key


def _fmt(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}"


def report_csv(rows: list[ReportRow], *, headers: list[str], dimension_names: dict) -> str:
    """The report as CSV (headers in the reader's language)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(headers)
    for r in rows:
        writer.writerow(
            [
                dimension_names[r.dimension],
                r.name,
                r.scale_name,
                r.courses,
                r.paired,
                _fmt(r.change.mean if r.change else None),
                _fmt(r.change.low if r.change else None),
                _fmt(r.change.high if r.change else None),
                "" if r.improved_percent is None else r.improved_percent,
                r.sessions,
                r.adverse_events,
                _fmt(r.adverse_per_100),
            ]
        )
    return out.getvalue()
