"""Aftercare rules per zone and technique, in English and Russian, with policy durations."""

from __future__ import annotations

import pytest

from mesoclinic.core.aftercare import aftercare_for, format_duration
from mesoclinic.core.knowledge import PolicyError
from tests.core.screening_data import KB


def ids(items):
    return {i.id for i in items}


def test_scalp_needle_session_gets_hair_wash_and_infection_watch():
    items = aftercare_for(kb=KB, zones=["zone.scalp"], techniques=["technique.nappage"])
    assert {
        "aftercare.hair-wash",
        "aftercare.watch-infection",
        "aftercare.no-other-procedures",
    } <= ids(items)
    assert "aftercare.no-makeup" not in ids(items)


def test_needle_free_face_session_has_no_needle_items():
    items = aftercare_for(kb=KB, zones=["zone.cheeks"], techniques=["technique.oxygen-infusion"])
    assert "aftercare.no-makeup" in ids(items)
    assert "aftercare.watch-infection" not in ids(items)


def test_seed_defaults_and_policy_override():
    default = {
        i.id: i
        for i in aftercare_for(kb=KB, zones=["zone.cheeks"], techniques=["technique.papule"])
    }
    assert default["aftercare.no-makeup"].hours == 24
    assert "24 hours" in default["aftercare.no-makeup"].text
    custom = {
        i.id: i
        for i in aftercare_for(
            kb=KB,
            zones=["zone.cheeks"],
            techniques=["technique.papule"],
            language="ru",
            policy={"aftercare_hours": {"aftercare.no-makeup": 48}},
        )
    }
    assert custom["aftercare.no-makeup"].hours == 48
    assert "в течение 2 дней" in custom["aftercare.no-makeup"].text


def test_every_rule_renders_in_both_languages():
    for language in ("en", "ru"):
        items = aftercare_for(
            kb=KB, zones=sorted(KB.zone), techniques=sorted(KB.technique), language=language
        )
        assert ids(items) == set(KB.aftercare)
        for item in items:
            assert "{" not in item.text


@pytest.mark.parametrize(
    ("hours", "en", "ru"),
    [
        (1, "1 hour", "1 часа"),
        (6, "6 hours", "6 часов"),
        (24, "24 hours", "24 часов"),
        (48, "2 days", "2 дней"),
        (72, "3 days", "3 дней"),
        (504, "3 weeks", "3 недель"),
        (2016, "12 weeks", "12 недель"),
        (21 * 24, "3 weeks", "3 недель"),
        (0.5, "30 minutes", "30 минут"),
        (0.25, "15 minutes", "15 минут"),
        (1.5, "1.5 hours", "1,5 часа"),
        (2.5, "2.5 hours", "2,5 часа"),
        (36.5, "36.5 hours", "36,5 часа"),
    ],
)
def test_durations_read_naturally(hours, en, ru):
    assert format_duration(hours, "en") == en
    assert format_duration(hours, "ru") == ru


def test_unknown_zone_or_bad_policy_is_an_error():
    with pytest.raises(ValueError, match=r"zone\.elbow"):
        aftercare_for(kb=KB, zones=["zone.elbow"], techniques=["technique.papule"])
    with pytest.raises(PolicyError):
        aftercare_for(
            kb=KB,
            zones=["zone.cheeks"],
            techniques=["technique.papule"],
            policy={"aftercare_hours": {"aftercare.cold-packs": -1}},
        )
