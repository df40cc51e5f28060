"""Bad input is a clear error, never silently ignored; clinic policy is bounded."""

from __future__ import annotations

from datetime import timedelta

import pytest
from pydantic import ValidationError

from mesoclinic.core.knowledge import PolicyError
from mesoclinic.core.screening import ScreeningInputError, ScreeningRequest
from tests.core.screening_data import TODAY, clean_request, mutate, run

UNKNOWN = [
    ("condition", "patient.conditions", ["condition.vampirism"], "patient.conditions[0]"),
    ("allergen", "patient.allergies", ["pollen"], "patient.allergies[0]"),
    (
        "medication-class",
        "patient.medications",
        [{"classes": ["medclass.magic"]}],
        "patient.medications[0].classes[0]",
    ),
    ("device", "patient.implanted_devices", ["device.toaster"], "patient.implanted_devices[0]"),
    (
        "surgery-zone",
        "patient.surgeries",
        [{"date": "2025-01-01", "zones": ["zone.elbow"]}],
        "patient.surgeries[0].zones[0]",
    ),
    (
        "finding",
        "visit.site_findings",
        [{"finding": "finding.rash", "zones": ["zone.cheeks"]}],
        "visit.site_findings[0].finding",
    ),
    (
        "finding-zone",
        "visit.site_findings",
        [{"finding": "finding.infection", "zones": ["zone.elbow"]}],
        "visit.site_findings[0].zones[0]",
    ),
    (
        "procedure",
        "visit.recent_procedures",
        [{"procedure": "procedure.tattoo", "date": "2026-03-01"}],
        "visit.recent_procedures[0].procedure",
    ),
    ("technique", "plan.technique", "technique.acupuncture", "plan.technique"),
    ("zone", "plan.zones", ["zone.elbow"], "plan.zones[0]"),
    ("protocol", "plan.protocol", "protocol.miracle", "plan.protocol"),
    (
        "product",
        "plan.products",
        [{"product": "product.elixir", "volume_ml": 1}],
        "plan.products[0].product",
    ),
    (
        "previous-product",
        "plan.previous_sessions",
        [{"date": "2026-01-01", "zones": ["zone.cheeks"], "products": ["product.elixir"]}],
        "plan.previous_sessions[0].products[0]",
    ),
    (
        "practitioner-technique",
        "plan.practitioner.techniques",
        ["technique.reiki"],
        "plan.practitioner.techniques[0]",
    ),
    ("needle-free-depth", "plan.technique", "technique.iontophoresis", "plan.depth_mm"),
    ("future-birth", "patient.birth_date", "2030-01-01", "patient.birth_date"),
    (
        "future-session",
        "plan.previous_sessions",
        [{"date": "2026-04-01", "zones": ["zone.cheeks"]}],
        "plan.previous_sessions[0].date",
    ),
]


@pytest.mark.parametrize(
    ("path", "value", "where"), [pytest.param(*c[1:], id=c[0]) for c in UNKNOWN]
)
def test_unknown_code_is_a_clear_error(path, value, where):
    with pytest.raises(ScreeningInputError) as info:
        run(mutate(clean_request(), path, value))
    assert any(p.startswith(where) for p in info.value.problems), info.value.problems
    assert where in str(info.value)


def test_every_problem_is_reported_at_once():
    data = mutate(clean_request(), "patient.conditions", ["condition.x", "condition.y"])
    data = mutate(data, "plan.zones", ["zone.z"])
    with pytest.raises(ScreeningInputError) as info:
        run(data)
    assert len(info.value.problems) == 3


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("patient.pregnent", True),  # misspelt fact
        ("visit.herpes", True),  # fact that does not exist
        ("plan.products.0.volume_ml", -1),
        ("plan.zones", []),
        ("patient.skin_type", 7),
        ("plan.depth_mm", [3, 1]),
        ("plan.products.0.lot.status", "lost"),
    ],
)
def test_malformed_request_fails_validation(path, value):
    with pytest.raises(ValidationError):
        ScreeningRequest.model_validate(mutate(clean_request(), path, value))


def test_policy_may_relax_a_disagreement_to_its_floor():
    data = mutate(clean_request(), "patient.medications", [{"classes": ["medclass.anticoagulant"]}])
    assert run(data).level == "block"
    relaxed = run(data, policy={"levels": {"ci.anticoagulant": "warn"}})
    assert relaxed.level == "warn"


def test_policy_may_not_relax_pregnancy():
    data = mutate(clean_request(), "patient.pregnant", True)
    with pytest.raises(PolicyError, match=r"ci\.pregnancy"):
        run(data, policy={"levels": {"ci.pregnancy": "warn"}})


def test_policy_may_make_isotretinoin_a_six_month_postponement():
    last = TODAY - timedelta(days=30)
    data = mutate(
        clean_request(),
        "patient.medications",
        [{"classes": ["medclass.isotretinoin"], "active": False, "last_dose": last.isoformat()}],
    )
    result = run(data, policy={"levels": {"ci.isotretinoin": "postpone"}})
    verdict = next(v for v in result.verdicts if v.rule_id == "ci.isotretinoin")
    assert verdict.level == "postpone"
    assert verdict.until == last + timedelta(days=180)


def test_policy_params_tune_waiting_periods():
    data = mutate(
        clean_request(), "patient.surgeries", [{"date": (TODAY - timedelta(days=40)).isoformat()}]
    )
    assert "ci.recent-surgery" not in {v.rule_id for v in run(data).verdicts}
    stricter = run(data, policy={"params": {"ci.recent-surgery": {"wait_days": 60}}})
    verdict = next(v for v in stricter.verdicts if v.rule_id == "ci.recent-surgery")
    assert verdict.until == TODAY + timedelta(days=20)


def test_policy_clinic_volume_cap_is_never_loosened_by_the_protocol():
    data = mutate(clean_request(), "plan.products.0.volume_ml", 12.0)
    assert run(data).level == "ok"
    capped = run(data, policy={"params": {"rule.session-volume-max": {"default_max_ml": 10}}})
    assert capped.level == "block"


def test_policy_depth_range_changes_the_warning():
    data = mutate(clean_request(), "plan.depth_mm", 1.8)
    assert run(data).level == "ok"
    result = run(data, policy={"depth_mm": {"technique.papule": {"min": 1.0, "max": 1.6}}})
    assert [v.rule_id for v in result.verdicts] == ["rule.depth-outside-default"]


@pytest.mark.parametrize(
    "policy",
    [
        {"levels": {"ci.nonexistent": "block"}},
        {"levels": {"ci.pregnancy": "maybe"}},
        {"params": {"ci.isotretinoin": {"wait_weeks": 4}}},
        {"params": {"rule.age-band": {"min_age": -1}}},
        {"depth_mm": {"technique.papule": {"min": 0.5, "max": 9}}},
        {"depth_mm": {"technique.electroporation": {"min": 0, "max": 1}}},
        {"aftercare_hours": {"aftercare.unknown": 5}},
        {"colour": "red"},
    ],
)
def test_invalid_policy_is_an_error(policy):
    with pytest.raises(PolicyError):
        run(clean_request(), policy=policy)


def test_policy_may_make_a_warning_stricter():
    data = mutate(clean_request(), "patient.conditions", ["condition.diabetes"])
    result = run(data, policy={"levels": {"ci.diabetes": "block"}})
    assert result.level == "block"
