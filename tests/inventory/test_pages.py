"""Long inventory lists come a page at a time: bounded, filters kept, query counts flat."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

from django.db import connection
from django.test.utils import CaptureQueriesContext

from mesoclinic.inventory import views
from mesoclinic.inventory.services import lot_quarantine, stock_use
from tests.inventory.factories import NOW, TODAY, make_product, receive, use_kwargs
from tests.inventory.test_views import client_for


def _used(world, patient_of, *, name: str, patients: int, uses_each: int = 1):
    lot = receive(world, make_product(world), quantity_ml="100")
    people = [patient_of(world, family=f"{name}{chr(65 + i)}") for i in range(patients)]
    for n in range(uses_each):
        for i, person in enumerate(people):
            at = NOW - dt.timedelta(days=30 - n, minutes=patients - i)
            stock_use(**use_kwargs(world, lot, person, quantity_ml="0.1", at=at))
    return lot, people


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_lot_list_filters_by_product_status_and_expiry_and_keeps_them_in_page_links(
    world, monkeypatch
):
    monkeypatch.setattr(views, "LOTS_PER_PAGE", 2)
    serum, booster = make_product(world, name="Serum"), make_product(world, name="Booster")
    soon = [receive(world, serum, expiry=TODAY + dt.timedelta(days=10 + i)) for i in range(3)]
    late = receive(world, serum, lot_number="LATE-1", expiry=TODAY + dt.timedelta(days=400))
    other = receive(world, booster, lot_number="OTHER-1")
    lot_quarantine(scope=world.scope("owner"), lot=soon[0], reason="Cloudy", now=NOW)
    client = client_for(world.users["nurse"])
    by = (TODAY + dt.timedelta(days=100)).isoformat()

    first = client.get(f"/inventory/lots/?product={serum.pk}&expires_by={by}").content.decode()
    assert "LATE-1" not in first and "OTHER-1" not in first
    assert soon[0].lot_number in first and soon[1].lot_number in first
    assert soon[2].lot_number not in first  # on page 2
    next_link = re.search(r'href="([^"]+)" rel="next"', first).group(1).replace("&amp;", "&")
    assert f"product={serum.pk}" in next_link and f"expires_by={by}" in next_link
    second = client.get(f"/inventory/lots/{next_link}").content.decode()
    assert soon[2].lot_number in second and soon[0].lot_number not in second

    quarantined = client.get("/inventory/lots/?status=quarantined").content.decode()
    assert soon[0].lot_number in quarantined and other.lot_number not in quarantined
    assert late.lot_number in client.get("/inventory/lots/?page=3").content.decode()


def test_lot_list_page_numbers_out_of_bounds_give_the_nearest_page(world, monkeypatch):
    monkeypatch.setattr(views, "LOTS_PER_PAGE", 2)
    product = make_product(world)
    lots = [receive(world, product, expiry=TODAY + dt.timedelta(days=30 + i)) for i in range(3)]
    client = client_for(world.users["nurse"])
    for page, shown in (("999", lots[2]), ("0", lots[2]), ("abc", lots[0]), ("-1", lots[2])):
        response = client.get(f"/inventory/lots/?page={page}")
        assert response.status_code == 200
        assert shown.lot_number in response.content.decode(), page


def test_a_bad_expiry_filter_is_explained_and_filters_nothing(world):
    lot = receive(world, make_product(world))
    page = client_for(world.users["nurse"]).get("/inventory/lots/?expires_by=0001-01-01")
    text = page.content.decode()
    assert page.status_code == 200
    assert "Give a date between" in text and lot.lot_number in text


def test_lot_ledger_is_paged_and_its_query_count_stays_flat(world, patient_of, monkeypatch):
    monkeypatch.setattr(views, "LEDGER_PER_PAGE", 3)
    small, _ = _used(world, patient_of, name="Small", patients=2)
    large, _ = _used(world, patient_of, name="Large", patients=4, uses_each=3)
    client = client_for(world.users["nurse"])
    page = client.get(f"/inventory/lots/{large.pk}/").content.decode()
    ledger = page.split('data-testid="movements"')[1].split("</table>")[0]
    assert ledger.count("<tr>") == 1 + 3  # header + one page
    assert 'rel="next"' in page and "Page 1 of 5" in page
    assert _queries(client, f"/inventory/lots/{small.pk}/") == _queries(
        client, f"/inventory/lots/{large.pk}/?page=2"
    )


def test_recall_page_is_paged_by_patient_and_names_the_total(world, patient_of, monkeypatch):
    monkeypatch.setattr(views, "RECALL_PATIENTS_PER_PAGE", 2)
    lot, people = _used(world, patient_of, name="Recall", patients=5, uses_each=2)
    client = client_for(world.users["practitioner"])
    first = client.get(f"/inventory/lots/{lot.pk}/recall/").content.decode()
    assert "5 patients received this lot." in first
    # A patient's uses all sit on the patient's page; drafts follow the page too.
    shown = [p for p in people if p.family_name in first]
    assert len(shown) == 2 and first.count('data-testid="draft"') == 2
    last = client.get(f"/inventory/lots/{lot.pk}/recall/?page=3").content.decode()
    assert [p for p in people if p.family_name in last] == [people[4]]
    small, _ = _used(world, patient_of, name="Single", patients=1)
    assert _queries(client, f"/inventory/lots/{small.pk}/recall/") == _queries(
        client, f"/inventory/lots/{lot.pk}/recall/?page=2"
    )


def test_recall_csv_streams_every_administration_whatever_the_page_size(
    world, patient_of, monkeypatch
):
    monkeypatch.setattr(views, "RECALL_PATIENTS_PER_PAGE", 2)
    lot, _ = _used(world, patient_of, name="Export", patients=5, uses_each=2)
    response = client_for(world.users["nurse"]).get(f"/inventory/lots/{lot.pk}/recall.csv")
    assert response.streaming
    rows = list(csv.reader(io.StringIO(response.getvalue().decode())))
    assert rows[0][0] == "Patient" and len(rows) == 1 + 10
