"""Revoking API tokens and calendar feeds in a real browser, in English and in Russian."""

from __future__ import annotations

import datetime as dt

from django.test import Client
from playwright.sync_api import expect

from mesoclinic.accounts.services import user_language_set
from mesoclinic.api.models import ApiToken
from mesoclinic.api.services import api_token_create
from mesoclinic.scheduling.models import CalendarFeed
from mesoclinic.scheduling.services import calendar_feed_issue
from tests.conftest import PASSWORD
from tests.e2e.conftest import login


def test_a_user_revokes_their_own_api_token(page, live_server, make_org):
    world = make_org()
    nurse = world.users["nurse"]
    _token, raw = api_token_create(user=nurse, clinic=world.clinic, name="Stock scanner")
    api_token_create(user=world.users["practitioner"], clinic=world.clinic, name="Not hers")

    login(page, live_server, nurse.username, PASSWORD)
    page.get_by_role("link", name="Tokens and feeds").click()
    tokens = page.get_by_test_id("tokens")
    expect(tokens).to_contain_text("Stock scanner")
    expect(tokens).not_to_contain_text("Not hers")
    page.get_by_role("button", name="Revoke the token Stock scanner").click()
    expect(page.get_by_role("status")).to_contain_text("is revoked")
    expect(page.get_by_test_id("tokens")).to_contain_text("Revoked")
    assert ApiToken.objects.get(name="Stock scanner").revoked_at is not None
    api = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert api.get("/api/v1/me").status_code == 401


def test_an_owner_revokes_a_practitioners_calendar_feed_in_russian(page, live_server, make_org):
    world = make_org()
    owner = world.users["owner"]
    user_language_set(user=owner, language="ru")
    feed = calendar_feed_issue(
        scope=world.scope("practitioner"), now=dt.datetime(2026, 11, 30, 9, 0, tzinfo=dt.UTC)
    )
    assert Client().get(f"/schedule/feeds/{feed.token}.ics").status_code == 200

    login(page, live_server, owner.username, PASSWORD)
    page.get_by_role("link", name="Токены и подписки").click()
    page.get_by_role("link", name="Все в организации").click()
    feeds = page.get_by_test_id("feeds")
    expect(feeds).to_contain_text(str(world.users["practitioner"]))
    feeds.get_by_role("button", name="Отозвать").click()
    expect(page.get_by_role("status")).to_contain_text("Календарная подписка отозвана")
    expect(page.get_by_test_id("feeds")).to_contain_text("Отозван")
    assert CalendarFeed.objects.get(pk=feed.pk).revoked_at is not None
    assert Client().get(f"/schedule/feeds/{feed.token}.ics").status_code == 404
