"""Time arithmetic of a clinic day: free gaps between bookings and utilisation.

Pure functions over plain (start, end) pairs; the shell loads hours and bookings and
passes the moment to count from. Ranges are half-open: [start, end).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

Range = tuple[datetime, datetime]


def ranges_merge(ranges: Iterable[Range]) -> list[Range]:
    """Sorted, non-overlapping ranges covering the same time (empty ones dropped)."""
    merged: list[Range] = []
    for start, end in sorted(r for r in ranges if r[0] < r[1]):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def ranges_intersect(a: Sequence[Range], b: Sequence[Range]) -> list[Range]:
    """The time covered by both `a` and `b`."""
    out = []
    for a_start, a_end in ranges_merge(a):
        for b_start, b_end in ranges_merge(b):
            start, end = max(a_start, b_start), min(a_end, b_end)
            if start < end:
                out.append((start, end))
    return ranges_merge(out)


def ranges_minutes(ranges: Iterable[Range]) -> int:
    """Whole minutes covered by the ranges (overlaps counted once)."""
    return sum(int((end - start) / timedelta(minutes=1)) for start, end in ranges_merge(ranges))


def free_gaps(
    *,
    open_ranges: Sequence[Range],
    busy: Sequence[Range],
    min_minutes: int,
    not_before: datetime | None = None,
) -> list[Range]:
    """Stretches of open time with no booking, at least `min_minutes` long.

    `not_before` cuts off time already past (a gap that started earlier today is
    offered from now).
    """
    gaps = []
    taken = ranges_merge(busy)
    for start, end in ranges_merge(open_ranges):
        if not_before is not None:
            start = max(start, not_before)
        cursor = start
        for b_start, b_end in taken:
            if b_end <= cursor or b_start >= end:
                continue
            if b_start > cursor:
                gaps.append((cursor, b_start))
            cursor = max(cursor, b_end)
        if cursor < end:
            gaps.append((cursor, end))
    return [(s, e) for s, e in gaps if e - s >= timedelta(minutes=min_minutes)]


def utilisation(*, available: Sequence[Range], booked: Sequence[Range]) -> float | None:
    """Share of the available time that is booked (0..1), or None when nothing is available.

    Bookings outside the available time (overtime) do not count: the share never
    passes 1.
    """
    total = ranges_minutes(available)
    if total == 0:
        return None
    return ranges_minutes(ranges_intersect(available, booked)) / total
