"""``screen()``: a pure function from a request to verdicts."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from mesoclinic.core.knowledge.loader import KnowledgeBase
from mesoclinic.core.knowledge.policy import Policy, policy_parse
from mesoclinic.core.screening.check import request_check
from mesoclinic.core.screening.context import Context
from mesoclinic.core.screening.contraindications import (
    screen_contraindication,
    screen_unrecognised,
)
from mesoclinic.core.screening.procedures import screen_anaesthetic, screen_procedure_windows
from mesoclinic.core.screening.products import screen_products
from mesoclinic.core.screening.request import ScreeningRequest
from mesoclinic.core.screening.result import ScreeningResult
from mesoclinic.core.screening.rules import (
    screen_age,
    screen_course,
    screen_intervals,
    screen_other_procedures,
    screen_practitioner,
    screen_technique,
    screen_zone_depth,
)


def screen(
    request: ScreeningRequest,
    *,
    kb: KnowledgeBase,
    today: date,
    policy: Policy | Mapping[str, Any] | None = None,
) -> ScreeningResult:
    """Screen a planned session and return the verdicts.

    `today` is passed in (no clock read) so a screening can be replayed.
    `policy` holds clinic overrides (see knowledge.policy). Raises
    ScreeningInputError for unknown codes or inconsistent dates, PolicyError
    for an invalid policy.
    """
    request_check(request, kb=kb, today=today)
    ctx = Context(request, kb, today, policy_parse(policy, kb=kb))
    for ci in kb.contraindication.values():
        screen_contraindication(ctx, ci)
    screen_intervals(ctx)
    screen_products(ctx)
    screen_technique(ctx)
    screen_zone_depth(ctx)
    screen_course(ctx)
    screen_practitioner(ctx)
    screen_age(ctx)
    screen_other_procedures(ctx)
    screen_procedure_windows(ctx)
    screen_anaesthetic(ctx)
    screen_unrecognised(ctx)
    return ctx.result()
