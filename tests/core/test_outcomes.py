"""Outcome arithmetic and the scales of the knowledge base."""

from __future__ import annotations

import datetime as dt

import pytest

from mesoclinic.core.knowledge import load_knowledge
from mesoclinic.core.outcomes import chart_geometry, improvement, mean_ci, t_quantile_975

KB = load_knowledge()


def test_mean_ci_matches_a_hand_computed_t_interval():
    ci = mean_ci([1, 2, 3, 4])
    # mean 2.5, sd 1.2910, se 0.6455, t(3) 3.182 -> half-width 2.054
    assert ci.n == 4
    assert ci.mean == pytest.approx(2.5)
    assert ci.low == pytest.approx(2.5 - 2.0541, abs=1e-3)
    assert ci.high == pytest.approx(2.5 + 2.0541, abs=1e-3)


def test_one_value_has_a_mean_but_no_interval_and_none_has_nothing():
    assert mean_ci([2]).low is None
    assert mean_ci([]) is None


@pytest.mark.parametrize(("df", "t"), [(1, 12.706), (10, 2.228), (30, 2.042), (500, 1.960)])
def test_t_quantiles(df, t):
    assert t_quantile_975(df) == pytest.approx(t, abs=1e-3)


def test_improvement_follows_the_scale_direction_and_kind():
    wsrs, satisfaction, gais = (
        KB.scale["scale.wsrs"],
        KB.scale["scale.patient-satisfaction"],
        KB.scale["scale.gais"],
    )
    assert improvement(wsrs, baseline=4, follow_up=2) == 2  # lower is better
    assert improvement(wsrs, baseline=2, follow_up=3) == -1
    assert improvement(satisfaction, baseline=2, follow_up=4) == 2  # higher is better
    assert improvement(wsrs, baseline=None, follow_up=2) is None
    assert improvement(gais, baseline=None, follow_up=2) == 2  # already a change


def test_gais_is_scored_by_investigator_and_subject_from_worse_to_very_much_improved():
    investigator, subject = KB.scale["scale.gais"], KB.scale["scale.gais-subject"]
    assert investigator.rated_by == "clinician" and subject.rated_by == "patient"
    for scale in (investigator, subject):
        assert [lv.score for lv in scale.levels] == [-1, 0, 1, 2, 3]
        assert scale.level("3").label.en == "Very much improved"
        assert scale.level("-1").label.ru == "Ухудшение"


@pytest.mark.parametrize(
    ("scale_id", "values"),
    [
        ("scale.wsrs", ["1", "2", "3", "4", "5"]),
        ("scale.hamilton-norwood", ["I", "II", "III", "IV", "V", "VI", "VII"]),
        ("scale.ludwig", ["I", "II", "III"]),
        ("scale.nurnberger-muller", ["0", "1", "2", "3"]),
        ("scale.hexsel-css", [str(n) for n in range(16)]),
    ],
)
def test_scales_have_their_published_ranges(scale_id, values):
    assert [lv.value for lv in KB.scale[scale_id].levels] == values


def test_every_scale_has_its_own_code_system_and_known_zones():
    systems = [s.code_system for s in KB.scale.values()]
    assert len(set(systems)) == len(systems)
    assert KB.scale["scale.hamilton-norwood"].zones == ("zone.scalp",)
    assert KB.scale["scale.hexsel-css"].applies_to(zone_id="zone.thighs")
    assert not KB.scale["scale.hexsel-css"].applies_to(zone_id="zone.cheeks")
    assert KB.scale["scale.gais"].applies_to(zone_id="zone.cheeks")


def test_chart_puts_better_scores_higher_and_marks_sessions():
    wsrs = KB.scale["scale.wsrs"]
    d = dt.date(2026, 1, 1)
    chart = chart_geometry(
        scale=wsrs,
        points=[(d, 4), (d + dt.timedelta(days=60), 2)],
        sessions=[(d + dt.timedelta(days=7), "1"), (d + dt.timedelta(days=14), "2")],
    )
    first, last = chart.points
    assert last.y < first.y  # WSRS 2 is better than 4: drawn higher (smaller y)
    assert first.x < chart.marks[0].x < chart.marks[1].x < last.x
    assert len(chart.ticks) == 5
