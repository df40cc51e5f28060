"""The calendar grid is built from precomputed cells: one hours query, links kept exact."""

from __future__ import annotations

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


def _book(world, patient, hhmm: str):
    return appointment_book(
        scope=world.scope("receptionist"),
        patient=patient,
        practitioner=world.users["practitioner"],
        starts_at=at(MONDAY, hhmm),
        duration_min=30,
        technique_id="technique.nappage",
    )


def test_week_view_reads_opening_hours_once_and_links_every_cell_to_booking(world, clinic_setup):
    client = client_for(world.users["receptionist"])
    page, queries = _get(client, f"/schedule/?date={MONDAY}&view=week")
    assert sum("openinghours" in q.lower() for q in queries) == 1
    cells = re.findall(r'class="cal-cell"[^>]*href="([^"]+)" aria-label="([^"]+)"', page)
    # Monday to Sunday, 09:00 to 19:00 in quarter hours.
    assert len(cells) == 7 * 40
    labels = dict(cells)
    wednesday = "/schedule/book/?date=2026-12-02&amp;time=09:15"
    assert labels[wednesday].startswith("Book ") and labels[wednesday].endswith(" 09:15")


def test_day_view_cells_name_the_practitioner_column(world, clinic_setup):
    client = client_for(world.users["receptionist"])
    page, queries = _get(client, f"/schedule/?date={MONDAY}")
    assert sum("openinghours" in q.lower() for q in queries) == 1
    pk = world.users["practitioner"].pk
    assert f'href="/schedule/book/?date={MONDAY}&amp;time=18:45&amp;practitioner={pk}"' in page
    # The link a person clicks opens the booking form with the slot filled in.
    form = client.get(f"/schedule/book/?date={MONDAY}&time=18:45&practitioner={pk}")
    assert form.status_code == 200 and "18:45" in form.content.decode()


def test_day_view_query_count_stays_flat_as_appointments_grow(world, patient_of, clinic_setup):
    client = client_for(world.users["receptionist"])
    _book(world, patient_of(world, family="First"), "09:00")
    _, few = _get(client, f"/schedule/?date={MONDAY}")
    for i, hhmm in enumerate(("10:00", "11:00", "12:00", "13:00", "14:00")):
        _book(world, patient_of(world, family=f"More{chr(65 + i)}"), hhmm)
    page, many = _get(client, f"/schedule/?date={MONDAY}")
    assert page.count('data-testid="appt"') == 6
    assert len(many) == len(few)
