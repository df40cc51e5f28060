"""Shared builders for screening tests: a clean request and mutations of it."""

from __future__ import annotations

import copy
from datetime import date
from typing import Any

from mesoclinic.core.knowledge import load_knowledge
from mesoclinic.core.screening import ScreeningRequest, ScreeningResult, screen

TODAY = date(2026, 3, 2)
KB = load_knowledge()

ALL_TECHNIQUES = sorted(KB.technique)


def clean_request() -> dict[str, Any]:
    """A 35-year-old with no risk facts, one face session fully in order: no verdicts."""
    return {
        "patient": {"birth_date": "1990-06-15", "sex": "female"},
        "visit": {},
        "plan": {
            "technique": "technique.papule",
            "zones": ["zone.cheeks"],
            "depth_mm": 1.5,
            "protocol": "protocol.face-rejuvenation",
            "session_number": 1,
            "products": [
                {
                    "product": "product.revitalising-cocktail",
                    "volume_ml": 2.0,
                    "lot": {"number": "RC-001", "expiry": "2027-01-31"},
                }
            ],
            "practitioner": {"id": "dr-a", "physician": True, "techniques": ALL_TECHNIQUES},
        },
    }


def dca_request() -> dict[str, Any]:
    """A clean submental deoxycholic acid session by the label."""
    data = clean_request()
    data["plan"].update(
        {
            "technique": "technique.deep",
            "zones": ["zone.submental"],
            "depth_mm": 6,
            "protocol": "protocol.submental-dca",
            "products": [
                {
                    "product": "product.dca-10",
                    "volume_ml": 4.0,
                    "volume_per_injection_ml": 0.2,
                    "lot": {"number": "DCA-7", "expiry": "2027-06-30"},
                }
            ],
        }
    )
    return data


def run(data: dict[str, Any], *, policy: Any = None, today: date = TODAY) -> ScreeningResult:
    """Validate the dict as a request and screen it with the packaged base."""
    return screen(ScreeningRequest.model_validate(data), kb=KB, today=today, policy=policy)


def mutate(data: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """Return a deep copy with `value` set at a dotted path (list indexes allowed)."""
    data = copy.deepcopy(data)
    *parents, last = path.split(".")
    node = data
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node.setdefault(part, {})
    if isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value
    return data
