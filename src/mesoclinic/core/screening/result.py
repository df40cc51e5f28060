"""The screening result: verdicts with their sources, and the input error."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict

from mesoclinic.core.knowledge.models import EvidenceLevel, Level, Text


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True)


class SourceRef(_Out):
    """A cited source as shown with a verdict."""

    id: str
    citation: str
    evidence: EvidenceLevel


class Verdict(_Out):
    """One finding of the screening, with its rule, level, sources and message."""

    rule_id: str
    level: Level
    subject: str | None = None
    message: Text
    evidence: EvidenceLevel
    sources: tuple[SourceRef, ...]
    until: date | None = None
    until_condition: Text | None = None
    # False for an absolute contraindication (and a few final rules): no override.
    overridable: bool = True


class ScreeningResult(_Out):
    """All verdicts, the strictest level, and the knowledge-base version used."""

    level: Level
    verdicts: tuple[Verdict, ...]
    knowledge_version: str
    until: date | None = None


class ScreeningInputError(ValueError):
    """The request refers to codes the knowledge base does not know, or is inconsistent.

    ``problems`` lists every problem with its path in the request.
    """

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("invalid screening request: " + "; ".join(problems))


# Rule ids the engine itself can fire (contraindications come from the data).
ENGINE_RULE_IDS = (
    "rule.interval-min",
    "rule.interval-max",
    "rule.product-interval-min",
    "rule.product-sessions-max",
    "rule.session-volume-max",
    "rule.product-session-volume",
    "rule.product-injection-volume",
    "rule.product-injection-volume-unknown",
    "rule.product-zone-label",
    "rule.product-technique-label",
    "rule.product-regulatory",
    "rule.depth-unsupported",
    "rule.depth-outside-default",
    "rule.depth-missing",
    "rule.course-length",
    "rule.protocol-zone",
    "rule.protocol-technique",
    "rule.lot-missing",
    "rule.lot-expired",
    "rule.lot-recalled",
    "rule.lot-quarantined",
    "rule.lot-multi-dose",
    "rule.practitioner-technique",
    "rule.practitioner-physician-product",
    "rule.practitioner-physician",
    "rule.age-band",
    "rule.procedure-gap-before",
    "rule.procedure-gap-after",
    "rule.medicine-unrecognised",
    "rule.condition-unrecognised",
    "rule.depth-zone-limit",
    "rule.protocol-missing",
    "rule.procedure-window",
    "rule.anaesthetic-dose",
    "rule.anaesthetic-weight-missing",
)
