"""Clinic policy: the configurable part of the knowledge base.

A clinic may make any rule stricter, relax a rule only as far as the entry's
``min_level`` allows (the lenient side of a documented disagreement), tune
rule parameters (waiting periods, volume caps, age band), set its own default
depth range per technique, and set aftercare durations. Everything is checked
against the base so a typo in a policy is an error, not a silently ignored
setting.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from mesoclinic.core.knowledge.loader import KnowledgeBase
from mesoclinic.core.knowledge.models import LEVEL_RANK, Level, Range


class PolicyError(ValueError):
    """A clinic policy refers to unknown ids or relaxes a rule below its floor."""


class Policy(BaseModel):
    """Clinic overrides of knowledge-base defaults (all optional)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    levels: dict[str, Level] = Field(default_factory=dict)
    params: dict[str, dict[str, float]] = Field(default_factory=dict)
    depth_mm: dict[str, Range] = Field(default_factory=dict)
    aftercare_hours: dict[str, float] = Field(default_factory=dict)
    # A physician may use a label-restricted product outside its labelled zones
    # (recorded with the screening); without it, off-label zones block.
    off_label_by_physician: bool = False


def policy_parse(policy: Policy | Mapping[str, Any] | None, *, kb: KnowledgeBase) -> Policy:
    """Validate a policy (model or plain mapping) against the knowledge base."""
    if policy is None:
        return _EMPTY
    if not isinstance(policy, Policy):
        try:
            policy = Policy.model_validate(policy)
        except ValidationError as exc:
            raise PolicyError(f"invalid policy: {exc}") from exc
    for entry_id, level in policy.levels.items():
        entry = kb.rule.get(entry_id) or kb.contraindication.get(entry_id)
        if entry is None:
            raise PolicyError(f"policy.levels: unknown rule or contraindication {entry_id!r}")
        if LEVEL_RANK[level] < LEVEL_RANK[entry.floor]:
            raise PolicyError(
                f"policy.levels: {entry_id} may not be set below {entry.floor!r} "
                f"(requested {level!r})"
            )
    for entry_id, params in policy.params.items():
        entry = kb.rule.get(entry_id) or kb.contraindication.get(entry_id)
        if entry is None:
            raise PolicyError(f"policy.params: unknown rule or contraindication {entry_id!r}")
        unknown = set(params) - set(entry.params)
        if unknown:
            raise PolicyError(f"policy.params.{entry_id}: unknown parameters {sorted(unknown)}")
        negative = [k for k, v in params.items() if v < 0]
        if negative:
            raise PolicyError(f"policy.params.{entry_id}: negative values for {negative}")
    for technique_id, rng in policy.depth_mm.items():
        technique = kb.technique.get(technique_id)
        if technique is None or technique.kind != "needle":
            raise PolicyError(f"policy.depth_mm: {technique_id!r} is not a needle technique")
        lo, hi = technique.supported_depth()
        if rng.min < lo or rng.max > hi:
            raise PolicyError(
                f"policy.depth_mm.{technique_id}: {rng.min}-{rng.max} mm lies outside the "
                f"cited ranges {lo}-{hi} mm"
            )
    for aftercare_id, hours in policy.aftercare_hours.items():
        item = kb.aftercare.get(aftercare_id)
        if item is None or item.default_hours is None:
            raise PolicyError(f"policy.aftercare_hours: {aftercare_id!r} has no duration")
        if hours <= 0:
            raise PolicyError(f"policy.aftercare_hours.{aftercare_id}: must be positive")
    return policy


_EMPTY = Policy()
