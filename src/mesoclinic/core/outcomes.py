"""Outcome arithmetic: improvement on a scale, a mean with its 95% interval, chart geometry.

Pure functions over plain numbers and knowledge-base scales; the shell loads the
scores and draws the SVG from the geometry computed here.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from statistics import NormalDist

from mesoclinic.core.knowledge.models import Scale

# Two-sided 97.5% quantiles of Student's t for 1..30 degrees of freedom; beyond 30 the
# normal quantile is within 0.04 and is used.
_T975 = (
    12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
    2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
    2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042,
)  # fmt: skip


def t_quantile_975(df: int) -> float:
    """The 97.5% quantile of Student's t with `df` degrees of freedom (df >= 1)."""
    if df < 1:
        raise ValueError("degrees of freedom must be at least 1")
    if df <= len(_T975):
        return _T975[df - 1]
    return NormalDist().inv_cdf(0.975)


@dataclass(frozen=True)
class MeanCI:
    n: int
    mean: float
    low: float | None  # None when one value gives no interval
    high: float | None


def mean_ci(values: Sequence[float]) -> MeanCI | None:
    """The mean of `values` with its two-sided 95% t interval; None for no values."""
    if not values:
        return None
    n = len(values)
    mean = math.fsum(values) / n
    if n < 2:
        return MeanCI(1, mean, None, None)
    # Floats, not statistics.stdev's exact fractions: a report averages thousands.
    sd = math.sqrt(math.fsum((v - mean) ** 2 for v in values) / (n - 1))
    half = t_quantile_975(n - 1) * sd / math.sqrt(n)
    return MeanCI(len(values), mean, mean - half, mean + half)


def improvement(scale: Scale, *, baseline: int | None, follow_up: int) -> int | None:
    """How much better the follow-up is, in scale points (positive: improved).

    A `change` scale (GAIS) is already judged against the baseline, so its score is
    the improvement; a `status` scale needs the baseline score, else None.
    """
    if scale.measures == "change":
        return follow_up
    if baseline is None:
        return None
    diff = follow_up - baseline
    return diff if scale.better == "higher" else -diff


# --- Chart geometry -------------------------------------------------------------------

WIDTH, HEIGHT = 640, 240
LEFT, RIGHT, TOP, BOTTOM = 56, 16, 16, 40


@dataclass(frozen=True)
class ChartPoint:
    x: float
    y: float
    day: date
    score: int
    label: str


@dataclass(frozen=True)
class ChartTick:
    y: float
    text: str


@dataclass(frozen=True)
class ChartMark:
    x: float
    day: date
    text: str


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    points: tuple[ChartPoint, ...]
    ticks: tuple[ChartTick, ...]
    marks: tuple[ChartMark, ...]
    first: date
    last: date

    @property
    def polyline(self) -> str:
        return " ".join(f"{p.x:.1f},{p.y:.1f}" for p in self.points)

    @property
    def plot_left(self) -> int:
        return LEFT

    @property
    def plot_right(self) -> int:
        return self.width - RIGHT

    @property
    def plot_bottom(self) -> int:
        return self.height - BOTTOM


def chart_geometry(
    *,
    scale: Scale,
    points: Sequence[tuple[date, int]],
    sessions: Sequence[tuple[date, str]] = (),
) -> Chart:
    """Coordinates of a score-over-time chart: one point per score, the scale's levels
    as the y axis (better upwards) and a vertical mark per session."""
    days = [d for d, _s in points] + [d for d, _t in sessions]
    first, last = min(days), max(days)
    span = max((last - first).days, 1)
    scores = [lv.score for lv in scale.levels]
    low, high = min(scores), max(scores)
    rng = max(high - low, 1)
    plot_w = WIDTH - LEFT - RIGHT
    plot_h = HEIGHT - TOP - BOTTOM

    def x(day: date) -> float:
        return LEFT + plot_w * (day - first).days / span

    def y(score: int) -> float:
        share = (score - low) / rng
        if scale.better == "lower":
            share = 1 - share
        return TOP + plot_h * (1 - share)

    labels = {lv.score: lv.value for lv in scale.levels}
    step = max(1, math.ceil(len(scores) / 8))
    return Chart(
        width=WIDTH,
        height=HEIGHT,
        points=tuple(
            ChartPoint(x(d), y(s), d, s, labels.get(s, str(s)))
            for d, s in sorted(points, key=lambda p: p[0])
        ),
        ticks=tuple(ChartTick(y(s), labels[s]) for s in scores[::step]),
        marks=tuple(ChartMark(x(d), d, text) for d, text in sessions),
        first=first,
        last=last,
    )
