"""Documentation tests: every example request in docs/ screens as documented, and
every rule the engine can fire is documented."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from mesoclinic.core.knowledge import Policy
from mesoclinic.core.screening import ScreeningRequest, screen
from tests.core.screening_data import KB

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "docs/examples/screening"
# docs/screening.md runs the examples with --today 2026-03-02.
EXAMPLE_TODAY = date(2026, 3, 2)
EXPECTED = {
    "ok-face-session.json": "ok",
    "postpone-herpes-and-interval.json": "postpone",
    "block-submental-dca.json": "block",
    "block-typed-medicines.json": "block",
}


def test_every_example_is_listed():
    assert {p.name for p in EXAMPLES.glob("*.json")} == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_example_screens_as_documented(name):
    request = ScreeningRequest.model_validate_json((EXAMPLES / name).read_text())
    result = screen(request, kb=KB, today=EXAMPLE_TODAY)
    assert result.level == EXPECTED[name]
    assert name in (ROOT / "docs/screening.md").read_text()


def test_example_policy_is_valid():
    policy = Policy.model_validate(json.loads((EXAMPLES / "policy/clinic-policy.json").read_text()))
    request = ScreeningRequest.model_validate_json((EXAMPLES / "ok-face-session.json").read_text())
    assert screen(request, kb=KB, today=EXAMPLE_TODAY, policy=policy).level in ("ok", "warn")


def test_every_rule_and_request_field_is_documented():
    text = (ROOT / "docs/screening.md").read_text()
    missing = [r for r in KB.rule if f"`{r}`" not in text]
    assert not missing, f"not documented in docs/screening.md: {missing}"
    for model_name, fields in [
        ("patient", ScreeningRequest.model_fields["patient"].annotation.model_fields),
        ("visit", ScreeningRequest.model_fields["visit"].annotation.model_fields),
        ("plan", ScreeningRequest.model_fields["plan"].annotation.model_fields),
    ]:
        for field in fields:
            assert f"`{field}`" in text, f"{model_name}.{field} not documented"


def test_knowledge_base_doc_lists_every_data_file():
    text = (ROOT / "docs/knowledge-base.md").read_text()
    from mesoclinic.core.knowledge import DATA_DIR

    missing = [p.name for p in DATA_DIR.glob("*.toml") if p.name not in text]
    assert not missing
