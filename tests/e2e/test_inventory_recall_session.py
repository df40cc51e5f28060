"""Recall end to end: a lot used in a signed session is recalled in the browser; the
patient is on the recall list and the next session cannot use the lot."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from playwright.sync_api import expect

from mesoclinic.charting.services import chart_save, session_checkin, session_sign
from mesoclinic.scheduling.models import Appointment
from tests.charting.factories import NOW, charted, make_day, no_answers, row
from tests.conftest import PASSWORD
from tests.e2e.conftest import login
from tests.scheduling.conftest import at


def test_lot_used_in_a_signed_session_is_recalled_and_refused_next_session(
    page, live_server, world, active_plan
):
    day = make_day(world, active_plan)
    session = charted(day, [row("zone.cheeks", lot=day.lot, volume="2.0")])
    session_sign(scope=day.scope, session=session, now=NOW)

    login(page, live_server, world.users["nurse"].username, PASSWORD)
    page.goto(f"{live_server.url}/inventory/lots/{day.lot.pk}/")
    expect(page.get_by_test_id("movements")).to_contain_text(active_plan.patient.full_name)
    page.get_by_label("Action").select_option("recall")
    page.get_by_label("Reason").first.fill("Sterility failure reported by the manufacturer")
    page.get_by_role("button", name="Change status").click()

    recall_list = page.get_by_test_id("recall-list")
    expect(recall_list).to_contain_text(active_plan.patient.full_name)
    expect(recall_list).to_contain_text("Cheeks")
    expect(recall_list).to_contain_text("2")
    expect(page.get_by_test_id("recall-status")).to_contain_text("Recalled")

    # A week later, session 2: the recalled lot cannot be charted.
    start = at("2026-12-07", "10:00")
    second = Appointment.objects.create(
        organisation=world.organisation,
        clinic=world.clinic,
        patient=active_plan.patient,
        practitioner=world.users["practitioner"],
        starts_at=start,
        ends_at=start + dt.timedelta(minutes=45),
        technique_id="technique.nappage",
        plan_id=active_plan.pk,
        session_number=2,
        created_by=world.users["receptionist"],
    )
    later = at("2026-12-07", "10:05")
    next_session = session_checkin(
        scope=world.scope("nurse"), appointment=second, answers=no_answers(), now=later
    )
    with pytest.raises(ValidationError) as exc:
        chart_save(
            scope=day.scope,
            session=next_session,
            rows=[row("zone.cheeks", lot=day.lot, volume="1.0")],
            expected_version=next_session.version,
            save_token="",
            now=later,
        )
    assert "recalled" in " ".join(exc.value.messages).lower()
