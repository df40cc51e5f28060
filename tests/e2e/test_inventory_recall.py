"""Stock and recall in a real browser: receive a lot, use it, recall it, find the patient."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from playwright.sync_api import expect

from mesoclinic.inventory.models import Lot
from mesoclinic.inventory.services import stock_use
from tests.conftest import PASSWORD
from tests.e2e.conftest import login
from tests.inventory.factories import make_product


def test_receive_use_recall_then_the_patient_is_listed_and_the_lot_refused(
    page, live_server, make_org, patient_of
):
    world = make_org()
    make_product(world, name="Skin booster", code="SB-1")
    patient = patient_of(world, family="Иванова", given="Елена")
    today = timezone.localdate()

    login(page, live_server, world.users["nurse"].username, PASSWORD)
    page.locator("nav.mainnav").get_by_role("link", name="Stock").click()
    page.get_by_role("link", name="Receive a lot").first.click()
    page.get_by_label("Product").select_option(label="Skin booster")
    page.get_by_label("Lot number").fill("ntm-2026")
    page.get_by_label("Expiry date").fill((today + dt.timedelta(days=200)).isoformat())
    page.get_by_label("Quantity (mL)").fill("10")
    page.get_by_role("button", name="Receive").click()
    expect(page.get_by_role("status")).to_contain_text("Lot NTM-2026 received: 10 mL")

    # A use recorded straight through the stock service (what signing a session calls);
    # the full path through a signed session is test_inventory_recall_session.py.
    lot = Lot.objects.get(lot_number="NTM-2026")
    use = {
        "scope": world.scope("practitioner"),
        "lot": lot,
        "quantity_ml": "1.5",
        "patient": patient,
        "practitioner": world.users["practitioner"],
        "zone_id": "zone.cheeks",
        "administered_at": timezone.now(),
    }
    stock_use(**use)

    page.reload()
    expect(page.get_by_test_id("movements")).to_contain_text("Иванова Елена")
    page.get_by_label("Action").select_option("recall")
    page.get_by_label("Reason").first.fill("M. abscessus reported by the manufacturer")
    page.get_by_role("button", name="Change status").click()

    recall_list = page.get_by_test_id("recall-list")
    expect(recall_list).to_contain_text("Иванова Елена")
    expect(recall_list).to_contain_text("Cheeks")
    expect(recall_list).to_contain_text("1.5")
    expect(page.get_by_test_id("recall-status")).to_contain_text("Recalled")
    expect(page.get_by_test_id("draft")).to_have_count(1)

    # The next session is refused.
    with pytest.raises(ValidationError) as exc:
        stock_use(**use)
    assert "recalled" in exc.value.message_dict["lot"][0]
