"""Safety screening: patient facts + today's answers + planned session -> verdicts.

``screen()`` is a pure function over plain data: no clock, no database. It
evaluates every contraindication of the knowledge base (data-driven triggers)
and the engine rules (intervals, volumes, depth, course length, lots,
credentials, age, other procedures), and returns verdicts ordered by severity.
The overall level is the strictest verdict: ok < warn < postpone < block.

The request models here are the screening input format documented in
docs/screening.md; the HTTP API accepts the same JSON.
"""

from mesoclinic.core.screening.check import request_check
from mesoclinic.core.screening.context import add_months, age_on
from mesoclinic.core.screening.engine import screen
from mesoclinic.core.screening.request import (
    Lot,
    Medication,
    OtherProcedure,
    PatientFacts,
    PlannedProduct,
    PlannedSession,
    Practitioner,
    PreviousSession,
    ScreeningRequest,
    SiteFinding,
    Surgery,
    VisitFacts,
)
from mesoclinic.core.screening.result import (
    ENGINE_RULE_IDS,
    ScreeningInputError,
    ScreeningResult,
    SourceRef,
    Verdict,
)

__all__ = [
    "ENGINE_RULE_IDS",
    "Lot",
    "Medication",
    "OtherProcedure",
    "PatientFacts",
    "PlannedProduct",
    "PlannedSession",
    "Practitioner",
    "PreviousSession",
    "ScreeningInputError",
    "ScreeningRequest",
    "ScreeningResult",
    "SiteFinding",
    "SourceRef",
    "Surgery",
    "Verdict",
    "VisitFacts",
    "add_months",
    "age_on",
    "request_check",
    "screen",
]
