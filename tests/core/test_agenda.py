"""Free gaps and utilisation of a clinic day, table-driven."""

from __future__ import annotations

from datetime import datetime

import pytest

from mesoclinic.core.agenda import free_gaps, ranges_intersect, ranges_minutes, utilisation


def t(hhmm: str) -> datetime:
    h, m = map(int, hhmm.split(":"))
    return datetime(2026, 11, 30, h, m)


def r(a: str, b: str):
    return (t(a), t(b))


@pytest.mark.parametrize(
    ("busy", "not_before", "expected"),
    [
        ([], None, [r("09:00", "19:00")]),
        ([r("10:00", "11:00")], None, [r("09:00", "10:00"), r("11:00", "19:00")]),
        # Overlapping bookings count once; a 15-minute hole is too short to offer.
        (
            [r("09:00", "10:00"), r("09:30", "12:00"), r("12:15", "19:00")],
            None,
            [],
        ),
        ([r("10:00", "11:00")], t("10:30"), [r("11:00", "19:00")]),
        ([r("08:00", "09:45")], None, [r("09:45", "19:00")]),
    ],
)
def test_free_gaps(busy, not_before, expected):
    gaps = free_gaps(
        open_ranges=[r("09:00", "19:00")], busy=busy, min_minutes=30, not_before=not_before
    )
    assert gaps == expected


def test_split_opening_hours_give_gaps_in_each_part():
    gaps = free_gaps(
        open_ranges=[r("09:00", "13:00"), r("14:00", "18:00")],
        busy=[r("12:00", "15:00")],
        min_minutes=30,
    )
    assert gaps == [r("09:00", "12:00"), r("15:00", "18:00")]


@pytest.mark.parametrize(
    ("available", "booked", "share"),
    [
        ([r("09:00", "19:00")], [r("09:00", "14:00")], 0.5),
        ([r("09:00", "19:00")], [r("09:00", "14:00"), r("10:00", "11:00")], 0.5),
        ([r("09:00", "10:00")], [r("09:00", "12:00")], 1.0),  # overtime does not count
        ([r("09:00", "10:00")], [], 0.0),
        ([], [r("09:00", "10:00")], None),
    ],
)
def test_utilisation(available, booked, share):
    assert utilisation(available=available, booked=booked) == share


def test_intersection_and_minutes():
    both = ranges_intersect([r("09:00", "13:00")], [r("12:00", "15:00")])
    assert both == [r("12:00", "13:00")]
    assert ranges_minutes([r("09:00", "10:00"), r("09:30", "10:30")]) == 90
