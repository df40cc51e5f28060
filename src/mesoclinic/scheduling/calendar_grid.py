"""The calendar page's grid: its columns, hour labels and appointment cards.

The grid has one column per practitioner, room or day; each column is itself a grid of
quarter-hour rows in which the cards sit by row number, and an empty quarter hour has no
element at all. A click on a free place in a column opens the booking form at that
quarter hour (scheduling/calendar.js reads the column's booking address and the grid's
first minute); each column's "Book" link is the way to book with the keyboard.

Everything here runs once per page, not per cell or card in the template: a week holds
about two hundred appointments, and template lookups per card were most of its time.
"""

from __future__ import annotations

import datetime as dt
from html import escape

from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from mesoclinic.accounts.models import Clinic, OpeningHours
from mesoclinic.patients.models import patient_full_name
from mesoclinic.scheduling.models import AppointmentStatus

SLOT_MIN = 15

# One appointment card. The title repeats time and name: a short card shows only its
# first line, and the full name must stay readable.
_CARD = (
    '<a id="appt-{pk}" class="s-{status}" style="grid-row:{start}/{end}{lane}" href="{href}" '
    'title="{times} {name}"><b>{times}</b> <span>{name}</span><small>{detail}</small></a>'
)


def opening_bounds(clinic: Clinic, days: list[dt.date]) -> tuple[dt.time, dt.time]:
    """The earliest opening and latest closing over `days`, read in one query.

    A day with no opening hours counts as 09:00 to 18:00.
    """
    weekdays = {d.weekday() for d in days}
    hours = list(
        OpeningHours.objects.filter(clinic=clinic, weekday__in=weekdays).values_list(
            "weekday", "opens", "closes"
        )
    )
    bounds = []
    for weekday in weekdays:
        of_day = [(opens, closes) for w, opens, closes in hours if w == weekday]
        if of_day:
            bounds.append((min(h[0] for h in of_day), max(h[1] for h in of_day)))
        else:
            bounds.append((dt.time(9), dt.time(18)))
    return min(b[0] for b in bounds), max(b[1] for b in bounds)


def hour_labels(first_min: int, last_min: int) -> list[tuple[int, str]]:
    """(row, "HH:MM") of each full hour between opening and closing, rows from 1."""
    return [
        ((m - first_min) // SLOT_MIN + 1, f"{m // 60:02d}:00")
        for m in range(first_min, last_min, SLOT_MIN)
        if m % 60 == 0
    ]


def grid_columns(
    columns: list[dict],
    appointments: list[dict],
    *,
    by: str,
    first_min: int,
    practitioner_names: dict[int, str],
    practitioner_id: int | None,
) -> list[dict]:
    """Give each column its booking address, its labels and its cards as one HTML string.

    `by` is "day" (the week: columns carry a "day"), "practitioner" or "room" (a day:
    columns carry the "date", a "label" and the "practitioner" or "room");
    `appointments` are rows of selectors.CALENDAR_FIELDS in time order.
    """
    book = _("Book")
    prefix = reverse("scheduling:book")
    href_of = reverse("scheduling:appointment", args=[999999999]).replace("999999999", "{}")
    statuses = {value: str(label) for value, label in AppointmentStatus.choices}
    columns_lanes: dict = {}
    rows: dict = {c["key"]: [] for c in columns}
    zone = timezone.get_current_timezone()
    for a in appointments:
        if by == "day":
            key = a["starts_at"].astimezone(zone).date()
        elif by == "room":
            key = f"r{a['room_id']}"
        else:
            key = f"p{a['practitioner_id']}"
        if key in rows:
            start = a["starts_at"].astimezone(zone)
            end = a["ends_at"].astimezone(zone)
            row_start = max(0, (start.hour * 60 + start.minute - first_min) // SLOT_MIN)
            row_end = max(row_start + 1, -(-(end.hour * 60 + end.minute - first_min) // SLOT_MIN))
            rows[key].append((a, start, end, row_start + 1, row_end + 1))
    cards: dict = {}
    for key, placed in rows.items():
        lanes, lane_count = overlap_lanes([(r[3], r[4]) for r in placed])
        cards[key] = [
            _card(
                a,
                start=start,
                end=end,
                rows=(first_row, end_row),
                lane=lane,
                week=by == "day",
                statuses=statuses,
                practitioner_names=practitioner_names,
                href_of=href_of,
            )
            for (a, start, end, first_row, end_row), lane in zip(placed, lanes, strict=True)
        ]
        columns_lanes[key] = lane_count
    for c in columns:
        day = c.get("day")
        practitioner = c.get("practitioner")
        query = f"?date={(day or c['date']).isoformat()}"
        if practitioner is not None or practitioner_id:
            query += f"&practitioner={practitioner.pk if practitioner else practitioner_id}"
        c["href"] = prefix + query
        c["head"] = date_format(day, "D j.m") if day else c["label"]
        c["book_label"] = f"{book} {date_format(day, 'DATE_FORMAT') if day else c['label']}"
        # _card escapes every value it puts in a card.
        c["cards"] = mark_safe("".join(cards[c["key"]]))  # noqa: S308
        c["lanes"] = columns_lanes[c["key"]]
    return columns


def overlap_lanes(spans: list[tuple[int, int]]) -> tuple[list[int | None], int]:
    """Side-by-side places for cards whose times overlap in one column.

    `spans` are (first row, row after the last) in order of start. Returns each card's
    lane, or None for a card that overlaps no other (it keeps the column's full width),
    and the number of lanes the column needs (at least 1). Two practitioners' visits at
    the same hour of a week's day must both be visible, not drawn one over the other.
    """
    lanes: list[int | None] = [None] * len(spans)
    lane_count = 1
    group: list[int] = []
    group_end = 0
    lane_ends: list[int] = []

    def close_group() -> None:
        nonlocal lane_count
        if len(group) > 1:
            lane_count = max(lane_count, len(lane_ends))
        else:
            for i in group:
                lanes[i] = None
        group.clear()
        lane_ends.clear()

    for i, (start, end) in enumerate(spans):
        if group and start >= group_end:
            close_group()
        for lane, lane_end in enumerate(lane_ends):
            if lane_end <= start:
                lane_ends[lane] = end
                lanes[i] = lane
                break
        else:
            lane_ends.append(end)
            lanes[i] = len(lane_ends) - 1
        group.append(i)
        group_end = max(group_end, end) if len(group) > 1 else end
    close_group()
    return lanes, lane_count


def _card(
    a: dict,
    *,
    start: dt.datetime,
    end: dt.datetime,
    rows: tuple[int, int],
    lane: int | None,
    week: bool,
    statuses: dict,
    practitioner_names: dict,
    href_of: str,
) -> str:
    """One card's markup; every value from the database goes through escape()."""
    details = [statuses.get(a["status"], a["status"])]
    if a["session_number"]:
        details.append(_("session %(n)s") % {"n": a["session_number"]})
    if week:
        details.append(practitioner_names.get(a["practitioner_id"], ""))
    if a["room_id"]:
        details.append(a["room__name"])
    times = f"{start.hour:02d}:{start.minute:02d}–{end.hour:02d}:{end.minute:02d}"
    name = escape(
        patient_full_name(
            a["patient__family_name"], a["patient__given_name"], a["patient__middle_name"]
        )
    )
    return _CARD.format(
        pk=a["pk"],
        status=escape(a["status"]),
        start=rows[0],
        end=rows[1],
        lane="" if lane is None else f";grid-column:{lane + 1}",
        href=href_of.format(a["pk"]),
        times=times,
        name=name,
        detail=escape(" · ".join(d for d in details if d)),
    )
