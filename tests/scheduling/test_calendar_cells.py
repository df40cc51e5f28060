"""The calendar grid: one hours query, a booking address per column, no element per empty
quarter hour, cards placed by row with their words escaped."""

from __future__ import annotations

import datetime as dt
import re

from django.db import connection
from django.test.utils import CaptureQueriesContext

from mesoclinic.scheduling.services import appointment_book
from tests.scheduling.conftest import MONDAY, at
from tests.scheduling.test_views import client_for


def _get(client, url: str) -> tuple[str, list[str]]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return response.content.decode(), [q["sql"] for q in ctx.captured_queries]


def _book(world, patient, hhmm: str, minutes: int = 30):
    return appointment_book(
        scope=world.scope("receptionist"),
        patient=patient,
        practitioner=world.users["practitioner"],
        starts_at=at(MONDAY, hhmm),
        duration_min=minutes,
        technique_id="technique.nappage",
    )


def _grid(page: str) -> str:
    return page[page.index('class="cal-grid"') : page.index('class="feed-form"')]


def test_week_view_reads_opening_hours_once_and_gives_each_day_its_booking_address(
    world, clinic_setup
):
    client = client_for(world.users["receptionist"])
    page, queries = _get(client, f"/schedule/?date={MONDAY}&view=week")
    assert sum("openinghours" in q.lower() for q in queries) == 1
    columns = re.findall(r'class="cal-col" data-book="([^"]+)"', page)
    week = [dt.date.fromisoformat(MONDAY) + dt.timedelta(days=i) for i in range(7)]
    assert columns == [f"/schedule/book/?date={d.isoformat()}" for d in week]
    # The keyboard's way in: a Book link per day, named with its date.
    links = re.findall(r'<a href="([^"]+)" aria-label="([^"]+)">Book</a>', page)
    assert [href for href, _ in links] == columns
    assert links[2][1] == "Book 2 Dec 2026"  # the clinic's locale writes dates
    # 09:00 to 19:00 in quarter hours; the rail labels the ten full hours.
    assert 'style="--cols:7;--rows:40"' in page and 'data-first="540"' in page
    assert re.findall(r'<span style="grid-row:(\d+)">(\d\d:00)</span>', page)[:2] == [
        ("1", "09:00"),
        ("5", "10:00"),
    ]
    # No element per empty quarter hour: the grid's only links are the Book links.
    assert _grid(page).count("<a ") == 7


def test_week_view_filtered_by_practitioner_books_with_that_practitioner(world, clinic_setup):
    pk = world.users["practitioner"].pk
    client = client_for(world.users["receptionist"])
    page, _ = _get(client, f"/schedule/?date={MONDAY}&view=week&practitioner={pk}")
    assert f'data-book="/schedule/book/?date=2026-12-02&amp;practitioner={pk}"' in page


def test_day_view_column_books_its_practitioner_and_the_form_takes_the_clicked_time(
    world, clinic_setup
):
    client = client_for(world.users["receptionist"])
    practitioner = world.users["practitioner"]
    page, queries = _get(client, f"/schedule/?date={MONDAY}")
    assert sum("openinghours" in q.lower() for q in queries) == 1
    address = f"/schedule/book/?date={MONDAY}&amp;practitioner={practitioner.pk}"
    assert f'class="cal-col" data-book="{address}"' in page
    assert f'<a href="{address}" aria-label="Book {practitioner}">Book</a>' in page
    # calendar.js adds the clicked quarter hour to the column's address.
    form = client.get(address.replace("&amp;", "&") + "&time=18:45")
    assert form.status_code == 200 and 'value="18:45"' in form.content.decode()


def test_a_card_sits_on_its_rows_and_carries_time_name_status_and_room(
    world, patient_of, clinic_setup
):
    appointment = _book(world, patient_of(world, family="Сидорова"), "10:00", minutes=45)
    appointment.room = clinic_setup["rooms"][0]
    appointment.save(update_fields=["room"])
    page, _ = _get(client_for(world.users["receptionist"]), f"/schedule/?date={MONDAY}")
    card = re.search(r'<a id="appt-\d+"[^>]*>.*?</a>', page).group(0)
    # 10:00 is the fifth quarter hour after 09:00; 10:45 ends on the eighth.
    assert 'style="grid-row:5/8"' in card
    assert f'href="/schedule/appointments/{appointment.pk}/"' in card
    assert 'title="10:00–10:45 Сидорова Елена"' in card
    assert "<b>10:00–10:45</b> <span>Сидорова Елена</span><small>Booked · A</small>" in card


def test_the_week_card_names_the_practitioner(world, patient_of, clinic_setup):
    _book(world, patient_of(world), "10:00")
    page, _ = _get(client_for(world.users["receptionist"]), f"/schedule/?date={MONDAY}&view=week")
    assert re.findall(r"<small>(.*?)</small>", page) == [
        f"Booked · {world.users['practitioner']} · A"  # the booking took room A
    ]


def test_a_patients_name_is_escaped_in_the_card(world, patient_of, clinic_setup):
    _book(world, patient_of(world, family='<img src=x onerror="alert(1)">'), "10:00")
    page, _ = _get(client_for(world.users["receptionist"]), f"/schedule/?date={MONDAY}")
    assert "<img src=x" not in page
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in page


def test_day_view_query_count_stays_flat_as_appointments_grow(world, patient_of, clinic_setup):
    client = client_for(world.users["receptionist"])
    _book(world, patient_of(world, family="First"), "09:00")
    _, few = _get(client, f"/schedule/?date={MONDAY}")
    for i, hhmm in enumerate(("10:00", "11:00", "12:00", "13:00", "14:00")):
        _book(world, patient_of(world, family=f"More{chr(65 + i)}"), hhmm)
    page, many = _get(client, f"/schedule/?date={MONDAY}")
    assert page.count('href="/schedule/appointments/') == 6
    assert len(many) == len(few)


def test_overlapping_cards_get_lanes_and_a_lone_card_keeps_the_full_width():
    from mesoclinic.scheduling.calendar_grid import overlap_lanes

    # 09:00–10:00 and 09:30–10:30 overlap; 10:00–11:00 overlaps the second and takes the
    # first's freed lane; 12:00 stands alone.
    assert overlap_lanes([(1, 5), (3, 7), (5, 9), (13, 15)]) == ([0, 1, 0, None], 2)
    assert overlap_lanes([(1, 3), (3, 5)]) == ([None, None], 1)
    assert overlap_lanes([(1, 9), (2, 4), (3, 5), (6, 8)]) == ([0, 1, 2, 1], 3)
    assert overlap_lanes([]) == ([], 1)


def test_two_practitioners_at_the_same_hour_of_a_week_day_sit_side_by_side(db):
    from mesoclinic.scheduling.calendar_grid import grid_columns

    day = dt.date(2026, 3, 2)
    zone = dt.UTC

    def row(pk, practitioner_id, hh):
        return {
            "pk": pk,
            "starts_at": dt.datetime(2026, 3, 2, hh, 0, tzinfo=zone),
            "ends_at": dt.datetime(2026, 3, 2, hh + 1, 0, tzinfo=zone),
            "status": "booked",
            "session_number": None,
            "practitioner_id": practitioner_id,
            "room_id": None,
            "room__name": "",
            "patient__family_name": f"P{pk}",
            "patient__given_name": "A",
            "patient__middle_name": "",
        }

    columns = grid_columns(
        [{"key": day, "day": day}],
        [row(1, 10, 9), row(2, 11, 9), row(3, 10, 14)],
        by="day",
        first_min=9 * 60,
        practitioner_names={10: "Anna", 11: "Boris"},
        practitioner_id=None,
    )
    html = str(columns[0]["cards"])
    assert columns[0]["lanes"] == 2
    assert 'id="appt-1" class="s-booked" style="grid-row:1/5;grid-column:1"' in html
    assert 'id="appt-2" class="s-booked" style="grid-row:1/5;grid-column:2"' in html
    assert 'id="appt-3" class="s-booked" style="grid-row:21/25"' in html
