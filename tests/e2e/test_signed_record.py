"""A signed session shows what was signed, even after the rows it points to changed."""

from __future__ import annotations

import datetime as dt

from playwright.sync_api import expect

from mesoclinic.charting.services import session_sign
from mesoclinic.inventory.models import Lot, Product
from mesoclinic.scheduling.models import Appointment
from tests.charting.factories import NOW, charted, make_day
from tests.conftest import PASSWORD
from tests.e2e.conftest import login
from tests.scheduling.conftest import active_plan, clinic_setup  # noqa: F401


def test_the_signed_record_keeps_its_lot_product_and_appointment_in_english_and_russian(
    page,
    live_server,
    world,
    active_plan,  # noqa: F811
):
    day = make_day(world, active_plan)
    session = session_sign(scope=day.scope, session=charted(day), now=NOW)
    expiry = day.lot.expiry_date
    Product.objects.filter(pk=day.product.pk).update(name="Renamed product")
    Lot.objects.filter(pk=day.lot.pk).update(
        lot_number="LOT-CHANGED", expiry_date=expiry + dt.timedelta(days=400)
    )
    Appointment.objects.filter(pk=day.appointment.pk).update(status="cancelled")

    page.set_viewport_size({"width": 768, "height": 1024})
    login(page, live_server, world.users["practitioner"].username, PASSWORD)
    page.goto(f"{live_server.url}/sessions/{session.pk}/")
    entry = page.get_by_test_id("entry")
    expect(entry).to_contain_text("Revitalising cocktail")
    expect(entry).to_contain_text(f"LOT-A ({expiry.isoformat()})")
    expect(entry).not_to_contain_text("Renamed product")
    expect(entry).not_to_contain_text("LOT-CHANGED")
    expect(page.get_by_test_id("appointment-status")).to_have_text("Done")

    page.get_by_test_id("lang-switch").click()
    expect(page.locator("main, body").first).to_contain_text("Запись")
    expect(page.get_by_test_id("appointment-status")).to_have_text("Проведено")
    entry = page.get_by_test_id("entry")
    expect(entry).to_contain_text("Revitalising cocktail")
    expect(entry).to_contain_text("LOT-A")
    expect(entry).not_to_contain_text("LOT-CHANGED")
