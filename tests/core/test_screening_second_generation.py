"""Anatomy-aware depth limits, adjacent findings, no-protocol defaults, isotretinoin
and label zones: each gap of the second-generation issue, table-driven."""

from __future__ import annotations

from datetime import timedelta

import pytest

from mesoclinic.core.knowledge import PolicyError
from tests.core.screening_data import KB, TODAY, clean_request, dca_request, mutate, run

AGO = lambda days: (TODAY - timedelta(days=days)).isoformat()  # noqa: E731


def _levels(result) -> dict[str, str]:
    # Verdicts come strictest first: keep each rule's strictest level.
    levels: dict[str, str] = {}
    for v in result.verdicts:
        levels.setdefault(v.rule_id, v.level)
    return levels


# --- 4. depth per zone x technique -----------------------------------------------


@pytest.mark.parametrize(
    "zone",
    [
        "zone.periorbital",
        "zone.forehead",
        "zone.temples",
        "zone.neck",
        "zone.decollete",
        "zone.hands",
    ],
)
def test_deep_point_by_point_in_a_thin_skinned_zone_blocks(zone):
    data = mutate(clean_request(), "plan.technique", "technique.point-by-point")
    data = mutate(data, "plan.zones", [zone])
    data = mutate(data, "plan.depth_mm", 8.0)
    result = run(data)
    assert result.level == "block"
    assert _levels(result).get("rule.depth-zone-limit") == "block"


def test_a_marketing_depth_range_does_not_widen_the_techniques_limit():
    # Point-by-point 4-12 mm comes from a marketing page only; cited non-marketing
    # ranges stop at 6 mm: 10 mm on the body blocks.
    data = mutate(clean_request(), "plan.technique", "technique.point-by-point")
    data = mutate(data, "plan.zones", ["zone.thighs"])
    data = mutate(data, "plan.depth_mm", 10.0)
    assert _levels(run(data)).get("rule.depth-unsupported") == "block"


def test_a_superficial_session_in_a_thin_skinned_zone_passes_the_depth_limit():
    data = mutate(clean_request(), "plan.zones", ["zone.periorbital"])
    assert "rule.depth-zone-limit" not in _levels(run(data))


def test_every_depth_limit_is_sourced_and_marketing_only_limits_at_most_warn():
    assert len(KB.depth_limit) >= 2
    for limit in KB.depth_limit.values():
        assert limit.sources
        if limit.evidence == "marketing":
            assert limit.level in ("ok", "warn")


# --- 5. adjacency ----------------------------------------------------------------


def test_active_herpes_next_to_the_planned_zone_postpones():
    data = mutate(
        clean_request(),
        "visit.site_findings",
        [{"finding": "finding.active-herpes", "zones": ["zone.perioral"]}],
    )
    data = mutate(data, "plan.zones", ["zone.nasolabial"])
    assert _levels(run(data)).get("ci.active-herpes") == "postpone"


def test_a_finding_far_from_the_planned_zone_does_not_stop_it():
    data = mutate(
        clean_request(),
        "visit.site_findings",
        [{"finding": "finding.active-herpes", "zones": ["zone.perioral"]}],
    )
    data = mutate(data, "plan.zones", ["zone.scalp"])
    assert "ci.active-herpes" not in _levels(run(data))


def test_zone_adjacency_is_symmetric_and_known():
    for zone in KB.zone.values():
        for other in zone.adjacent:
            assert other in KB.zone
            assert zone.id in KB.zone[other].adjacent, (zone.id, other)


# --- 6. no protocol ----------------------------------------------------------------


def test_without_a_protocol_the_maximum_interval_is_still_checked():
    data = mutate(clean_request(), "plan.protocol", None)
    data = mutate(data, "plan.session_number", 3)
    data = mutate(data, "plan.previous_sessions", [{"date": AGO(40), "zones": ["zone.cheeks"]}])
    assert _levels(run(data)).get("rule.interval-max") == "warn"


def test_without_a_protocol_the_course_length_is_still_checked():
    data = mutate(clean_request(), "plan.protocol", None)
    data = mutate(data, "plan.course_sessions_planned", 30)
    assert _levels(run(data)).get("rule.course-length") == "warn"


def test_without_a_protocol_the_strictest_interval_of_the_techniques_protocols_applies():
    data = mutate(dca_request(), "plan.protocol", None)
    data = mutate(data, "plan.previous_sessions", [{"date": AGO(14), "zones": ["zone.submental"]}])
    assert _levels(run(data)).get("rule.interval-min") == "postpone"


def test_without_a_protocol_the_session_says_so():
    data = mutate(clean_request(), "plan.protocol", None)
    assert _levels(run(data)).get("rule.protocol-missing") == "warn"


# --- 9. isotretinoin ---------------------------------------------------------------


def test_current_isotretinoin_postpones_by_default():
    data = mutate(clean_request(), "patient.medications", [{"name": "Роаккутан 20 мг"}])
    verdict = next(v for v in run(data).verdicts if v.rule_id == "ci.isotretinoin")
    assert verdict.level == "postpone"


def test_isotretinoin_stopped_two_months_ago_postpones_until_the_wash_out_ends():
    med = {"classes": ["medclass.isotretinoin"], "active": False, "last_dose": AGO(60)}
    result = run(mutate(clean_request(), "patient.medications", [med]))
    assert result.level == "postpone"
    assert result.until == TODAY + timedelta(days=120)


def test_the_clinic_may_relax_isotretinoin_to_a_warning_but_not_below():
    data = mutate(clean_request(), "patient.medications", [{"name": "isotretinoin"}])
    relaxed = run(data, policy={"levels": {"ci.isotretinoin": "warn"}})
    assert _levels(relaxed)["ci.isotretinoin"] == "warn"
    with pytest.raises(PolicyError):
        run(data, policy={"levels": {"ci.isotretinoin": "ok"}})


# --- 10. label zones -----------------------------------------------------------------


def test_a_label_restricted_product_outside_its_zone_blocks():
    data = mutate(dca_request(), "plan.zones", ["zone.abdomen"])
    data = mutate(data, "plan.protocol", None)
    assert _levels(run(data)).get("rule.product-zone-label") == "block"


def test_off_label_use_is_allowed_only_by_a_physician_where_the_clinic_allows_it():
    data = mutate(dca_request(), "plan.zones", ["zone.abdomen"])
    policy = {"off_label_by_physician": True}
    assert _levels(run(data, policy=policy)).get("rule.product-zone-label") == "warn"
    nurse = mutate(data, "plan.practitioner.physician", False)
    assert _levels(run(nurse, policy=policy)).get("rule.product-zone-label") == "block"


# --- 8. other procedures by type and zone -------------------------------------------


@pytest.mark.parametrize(
    ("procedure", "days_ago", "zone", "fires"),
    [
        ("procedure.laser", 5, "zone.cheeks", True),
        ("procedure.laser", 5, "zone.periorbital", True),  # adjacent to the cheeks
        ("procedure.laser", 5, "zone.thighs", False),
        ("procedure.laser", 20, "zone.cheeks", False),
        ("procedure.chemical-peel", 10, "zone.cheeks", True),
        ("procedure.botulinum", 7, "zone.cheeks", True),
        ("procedure.filler", 7, "zone.cheeks", True),
        ("procedure.microneedling", 7, "zone.cheeks", True),
    ],
)
def test_a_recent_procedure_counts_for_its_window_in_its_zone(procedure, days_ago, zone, fires):
    data = mutate(
        clean_request(),
        "visit.recent_procedures",
        [{"procedure": procedure, "date": AGO(days_ago), "zones": [zone]}],
    )
    assert ("rule.procedure-window" in _levels(run(data))) is fires


def test_a_recent_procedure_without_a_zone_counts_everywhere():
    data = mutate(
        clean_request(),
        "visit.recent_procedures",
        [{"procedure": "procedure.laser", "date": AGO(5)}],
    )
    assert "rule.procedure-window" in _levels(run(data))


def test_every_procedure_window_is_sourced():
    assert KB.procedure_window
    for window in KB.procedure_window.values():
        assert window.sources and window.days > 0
        if window.evidence == "marketing":
            assert window.level in ("ok", "warn")


# --- 11. local anaesthetic by body weight ----------------------------------------------


def _lidocaine(volume_ml: float, weight_kg: float | None) -> dict:
    data = mutate(
        clean_request(),
        "plan.products",
        [
            {
                "product": "product.lidocaine-1",
                "volume_ml": volume_ml,
                "lot": {"number": "L-1", "expiry": "2027-01-31"},
            }
        ],
    )
    if weight_kg is not None:
        data = mutate(data, "patient.weight_kg", weight_kg)
        data = mutate(data, "patient.weight_date", AGO(10))
    return data


@pytest.mark.parametrize(
    ("volume_ml", "weight_kg", "level"),
    [
        (10.0, 60.0, None),  # 100 mg, max 270 mg
        (23.0, 60.0, "warn"),  # 230 mg, near the maximum
        (30.0, 60.0, "block"),  # 300 mg > 4.5 mg/kg x 60 kg
        (31.0, 90.0, "block"),  # 310 mg > the 300 mg ceiling whatever the weight
    ],
)
def test_the_local_anaesthetic_total_is_compared_with_the_maximum_per_kg(
    volume_ml, weight_kg, level
):
    levels = _levels(run(_lidocaine(volume_ml, weight_kg)))
    assert levels.get("rule.anaesthetic-dose") == level


def test_without_a_body_weight_a_local_anaesthetic_session_warns():
    levels = _levels(run(_lidocaine(5.0, None)))
    assert levels.get("rule.anaesthetic-weight-missing") == "warn"
