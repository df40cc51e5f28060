"""The clinic optimiser's entry point (a stand-in over `plan_cpsat` until the search lands)."""

from __future__ import annotations

from collections.abc import Callable

from mesoclinic.core.planning.cpsat import plan_cpsat
from mesoclinic.core.planning.model import Plan, Problem


def plan_clinic(
    problem: Problem,
    *,
    time_limit_s: float = 60.0,
    seed: int = 0,
    progress: Callable[[float, int], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> Plan:
    """Plan every course of `problem`; `progress(fraction, placed)` reports as it goes."""
    if progress is not None:
        progress(0.0, 0)
    plan = plan_cpsat(problem, time_limit_s=time_limit_s, seed=seed)
    if progress is not None:
        progress(1.0, len(plan.placements))
    return plan
