"""Delivery CSV import in a real browser: the per-row report, then a good file imported."""

from __future__ import annotations

from playwright.sync_api import expect

from mesoclinic.inventory.models import Lot
from tests.conftest import PASSWORD
from tests.e2e.conftest import login
from tests.inventory.factories import make_product

HEADER = b"product,lot_number,expiry_date,quantity_ml\n"


def _upload(page, live_server, content: bytes) -> None:
    page.goto(f"{live_server.url}/inventory/import/")
    page.get_by_label("Delivery file (CSV)").set_input_files(
        files=[{"name": "delivery.csv", "mimeType": "text/csv", "buffer": content}]
    )
    page.get_by_role("button", name="Upload and check").click()


def test_bad_delivery_is_reported_by_row_and_a_good_one_is_imported(page, live_server, make_org):
    world = make_org()
    make_product(world, name="Skin booster", code="SB-1")
    login(page, live_server, world.users["nurse"].username, PASSWORD)

    _upload(page, live_server, HEADER + b"SB-1,G1,2030-01-01,5\nSB-9,G2,2030-01-01,-3\n")
    errors = page.get_by_test_id("import-errors")
    expect(errors).to_contain_text("Unknown product 'SB-9'")
    expect(errors).to_contain_text("negative")
    expect(page.get_by_test_id("import-result")).to_contain_text("Nothing was imported")
    assert not Lot.objects.filter(lot_number="G1").exists()

    _upload(page, live_server, HEADER + b"SB-1,G1,2030-01-01,5\n")
    expect(page.get_by_test_id("import-result")).to_contain_text("1 lot imported")
    expect(page.locator("progress#import-bar")).to_have_attribute("value", "100")
    assert Lot.objects.filter(lot_number="G1").exists()
