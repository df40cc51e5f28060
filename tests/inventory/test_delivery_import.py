"""Delivery CSV import: every row checked first, errors by row and column, all or nothing."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from mesoclinic.inventory.models import DeliveryImport, ImportStatus, Lot, StockMovement
from mesoclinic.inventory.services import delivery_import_create, delivery_import_run
from tests.inventory.factories import NOW, TODAY, make_product, receive

HEADER = "product,lot_number,expiry_date,quantity_ml,supplier,received_on\n"


def run(world, content: str) -> DeliveryImport:
    job = delivery_import_create(
        scope=world.scope("nurse"), filename="delivery.csv", content=content, today=TODAY
    )
    return delivery_import_run(import_id=job.pk, now=NOW)


def test_good_delivery_is_imported(world):
    make_product(world, name="Booster", code="HA-1")
    job = run(
        world,
        HEADER + "HA-1,A1,2027-06-30,20,Pharma,2026-11-20\nbooster,A2,30.06.2027,10.5,,\n",
    )
    assert (job.status, job.lots_created, job.errors) == (ImportStatus.DONE, 2, [])
    assert Lot.objects.get(lot_number="A2").received_quantity_ul == 10_500


def test_bad_rows_are_reported_by_row_and_field_and_nothing_is_imported(world):
    product = make_product(world, name="Booster", code="HA-1")
    receive(world, product, lot_number="DUP")
    before = StockMovement.objects.count()
    job = run(
        world,
        HEADER
        + "HA-1,OK1,2027-06-30,20,,\n"  # row 2: fine on its own
        + "NOPE,X1,2027-06-30,20,,\n"  # row 3: unknown product
        + "HA-1,X2,31/31/2027,20,,\n"  # row 4: bad date
        + "HA-1,X3,2025-01-01,20,,\n"  # row 5: expired on receipt
        + "HA-1,X4,2027-06-30,-5,,\n"  # row 6: negative
        + "HA-1,X5,2027-06-30,lots,,\n"  # row 7: not a number
        + "HA-1,DUP,2027-06-30,5,,\n"  # row 8: lot already in stock
        + "HA-1,OK1,2027-06-30,5,,\n"  # row 9: duplicate of row 2
        + "HA-1,X6,2026-11-01,5,,2026-10-01\n",  # row 10: expired since it was received
    )
    assert job.status == ImportStatus.FAILED
    assert job.lots_created == 0
    found = {(e["row"], e["field"]) for e in job.errors}
    assert found == {
        (3, "product"),
        (4, "expiry_date"),
        (5, "expiry_date"),
        (6, "quantity_ml"),
        (7, "quantity_ml"),
        (8, "lot_number"),
        (9, "lot_number"),
        (10, "expiry_date"),
    }
    messages = {e["row"]: e["message"] for e in job.errors}
    assert "negative" in messages[6]
    assert "row 2" in messages[9]
    assert not Lot.objects.filter(lot_number="OK1").exists()
    assert StockMovement.objects.count() == before


def test_wrong_columns_are_reported_on_the_header_row(world):
    job = run(world, "name,lot,expiry,qty\nHA,1,2027-01-01,3\n")
    assert job.status == ImportStatus.FAILED
    assert job.errors[0]["row"] == 1
    assert "lot_number" in job.errors[0]["message"]


def test_upload_page_runs_the_import_and_shows_the_report(world):
    make_product(world, name="Booster", code="HA-1")
    client = Client()
    client.force_login(world.users["nurse"])
    upload = SimpleUploadedFile(
        "d.csv", (HEADER + "HA-1,U1,2027-06-30,20,,\n").encode(), content_type="text/csv"
    )
    response = client.post("/inventory/import/", {"file": upload}, follow=True)
    body = response.content.decode()
    assert "1 lot imported" in body
    assert Lot.objects.filter(lot_number="U1").exists()


def test_progress_fragment_polls_until_the_import_is_finished(world):
    make_product(world, name="Booster", code="HA-1")
    job = delivery_import_create(
        scope=world.scope("nurse"),
        filename="d.csv",
        content=HEADER + "HA-1,P1,2027-06-30,20,,\n",
        today=TODAY,
    )
    client = Client()
    client.force_login(world.users["nurse"])
    url = f"/inventory/import/{job.pk}/"
    waiting = client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert 'hx-trigger="every 500ms"' in waiting and "<html" not in waiting
    delivery_import_run(import_id=job.pk, now=NOW)
    done = client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert "hx-trigger" not in done and "1 lot imported" in done
