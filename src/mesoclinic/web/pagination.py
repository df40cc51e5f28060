"""Pages of long lists: one size per list, the page number from the address, filters kept.

Every list that grows with the clinic (ledgers, recall lists, lots, the audit trail,
a patient's timeline) is shown a page at a time. The page links are built with
`{% querystring %}` in `includes/pager.html`, so whatever filter the address holds
survives a click on "Next".
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core.paginator import Page, Paginator
from django.db.models import Q, QuerySet


def page_get(request, items, *, per_page: int) -> Page:
    """The page of `items` named by `?page=`; a bad or out-of-range number, the nearest."""
    return Paginator(items, per_page).get_page(request.GET.get("page"))


# Keyset (cursor) paging: for lists read newest first by (time, id) that grow without
# bound (the audit trail, a patient's timeline). A page is found by an index range
# from the last row seen, never by counting and skipping rows (OFFSET), so page 500
# costs what page 1 costs. The cursor is "<microseconds since 1970>-<id>".

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


@dataclass(frozen=True)
class Cursor:
    """A position in a list ordered by (time, id): the row at `at` with id `pk`."""

    at: dt.datetime
    pk: int

    def __str__(self) -> str:
        return f"{(self.at - EPOCH) // dt.timedelta(microseconds=1)}-{self.pk}"


def cursor_parse(text: str | None) -> Cursor | None:
    """The cursor from an address; None for anything malformed (the list starts over)."""
    micros, _sep, pk = (text or "").partition("-")
    if not (micros.isdigit() and pk.isdigit()) or len(micros) > 18 or len(pk) > 18:
        return None
    try:
        at = EPOCH + dt.timedelta(microseconds=int(micros))
    except OverflowError:
        return None
    return Cursor(at, int(pk))


@dataclass
class KeysetPage:
    """One page of a newest-first list, with the cursors of the pages either side."""

    object_list: list
    newer: str | None = None
    older: str | None = None
    at_start: bool = True

    @property
    def has_other_pages(self) -> bool:
        return bool(self.newer or self.older or not self.at_start)


def _cursor_of(obj, time_field: str) -> Cursor:
    return Cursor(getattr(obj, time_field), obj.pk)


def keyset_page(request, items: QuerySet, *, per_page: int, time_field: str = "at") -> KeysetPage:
    """The page of `items` (newest first by `time_field`, then id) named by the address.

    `?before=<cursor>` gives the rows older than the cursor, `?after=<cursor>` the rows
    newer than it (read in ascending order, then turned round); neither, the newest.
    """
    before = cursor_parse(request.GET.get("before"))
    after = cursor_parse(request.GET.get("after")) if before is None else None
    if after is not None:
        rows = list(
            items.filter(
                Q(**{f"{time_field}__gt": after.at})
                | Q(**{time_field: after.at, "pk__gt": after.pk})
            ).order_by(time_field, "pk")[: per_page + 1]
        )
        if rows:
            more_newer = len(rows) > per_page
            rows = rows[:per_page][::-1]
            return KeysetPage(
                rows,
                newer=str(_cursor_of(rows[0], time_field)) if more_newer else None,
                older=str(_cursor_of(rows[-1], time_field)),
                at_start=not more_newer,
            )
        before = None  # nothing newer: the newest page
    qs = items.order_by(f"-{time_field}", "-pk")
    if before is not None:
        qs = qs.filter(
            Q(**{f"{time_field}__lt": before.at})
            | Q(**{time_field: before.at, "pk__lt": before.pk})
        )
    rows = list(qs[: per_page + 1])
    more_older = len(rows) > per_page
    rows = rows[:per_page]
    return KeysetPage(
        rows,
        newer=str(_cursor_of(rows[0], time_field)) if before is not None and rows else None,
        older=str(_cursor_of(rows[-1], time_field)) if more_older else None,
        at_start=before is None,
    )
