"""API tokens and calendar feeds: bound to a membership, listable and revocable, audited."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client

from mesoclinic import cli
from mesoclinic.accounts.models import Membership
from mesoclinic.api.models import ApiToken
from mesoclinic.api.services import api_token_create, api_token_revoke
from mesoclinic.audit.models import AuditEvent
from mesoclinic.scheduling.models import CalendarFeed
from mesoclinic.scheduling.services import calendar_feed_issue, calendar_feed_revoke

NOW = dt.datetime(2026, 11, 30, 9, 0, tzinfo=dt.UTC)


def bearer(raw: str) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_clinic_bound_token_dies_with_the_membership_in_that_clinic(world):
    split = world.split
    _token, raw = api_token_create(user=split, clinic=world.other_clinic, name="London kiosk")
    assert bearer(raw).get("/api/v1/me").json()["roles"] == ["practitioner"]
    Membership.objects.filter(user=split, clinic=world.other_clinic).delete()
    # Still a nurse at Moscow, but the London token must not fall back to those roles.
    assert bearer(raw).get("/api/v1/me").status_code == 401
    token = ApiToken.objects.get(user=split)
    assert token.revoked_at is not None
    assert AuditEvent.objects.filter(
        object_type="api.ApiToken", object_id=str(token.pk), detail__revoked=True
    ).exists()


def test_a_token_of_a_deactivated_user_is_refused_and_revoked(world):
    nurse = world.users["nurse"]
    _token, raw = api_token_create(user=nurse, clinic=world.clinic, name="sync")
    nurse.is_active = False
    nurse.save()
    assert bearer(raw).get("/api/v1/me").status_code == 401
    assert ApiToken.objects.get(user=nurse).revoked_at is not None


def test_the_owner_and_the_user_may_revoke_a_token_and_nobody_else(world):
    token, raw = api_token_create(user=world.users["nurse"], clinic=world.clinic, name="a")
    with pytest.raises(PermissionDenied):
        api_token_revoke(scope=world.scope("practitioner"), token=token, now=NOW)
    api_token_revoke(scope=world.scope("owner"), token=token, now=NOW)
    assert bearer(raw).get("/api/v1/me").status_code == 401
    event = AuditEvent.objects.filter(object_type="api.ApiToken", detail__revoked=True).latest("id")
    assert event.actor == world.users["owner"]
    mine, raw = api_token_create(user=world.users["nurse"], clinic=world.clinic, name="b")
    api_token_revoke(scope=world.scope("nurse"), token=mine, now=NOW)
    assert bearer(raw).get("/api/v1/me").status_code == 401


def test_calendar_feeds_are_revocable_by_their_user_and_the_owner(world):
    practitioner = world.users["practitioner"]
    feed = calendar_feed_issue(scope=world.scope("practitioner"), now=NOW)
    url = f"/schedule/feeds/{feed.token}.ics"
    assert Client().get(url).status_code == 200
    with pytest.raises(PermissionDenied):
        calendar_feed_revoke(scope=world.scope("nurse"), feed=feed, now=NOW)
    calendar_feed_revoke(scope=world.scope("practitioner"), feed=feed, now=NOW)
    assert Client().get(url).status_code == 404
    again = calendar_feed_issue(scope=world.scope("practitioner"), now=NOW)
    assert again.token != feed.token
    calendar_feed_revoke(scope=world.scope("owner"), feed=again, now=NOW)
    assert Client().get(f"/schedule/feeds/{again.token}.ics").status_code == 404
    actors = set(
        AuditEvent.objects.filter(
            object_type="scheduling.CalendarFeed", detail__revoked=True
        ).values_list("actor", flat=True)
    )
    assert actors == {practitioner.pk, world.users["owner"].pk}


def test_a_feed_is_not_served_for_a_deactivated_user_or_one_who_left(world):
    feed = calendar_feed_issue(scope=world.scope("practitioner"), now=NOW)
    practitioner = world.users["practitioner"]
    practitioner.is_active = False
    practitioner.save()
    assert Client().get(f"/schedule/feeds/{feed.token}.ics").status_code == 404
    londoner = world.londoner
    from mesoclinic.accounts.scope import scope_for

    feed = calendar_feed_issue(scope=scope_for(londoner, clinic_id=world.other_clinic.pk), now=NOW)
    Membership.objects.filter(user=londoner).delete()
    assert Client().get(f"/schedule/feeds/{feed.token}.ics").status_code == 404
    assert CalendarFeed.objects.get(pk=feed.pk).revoked_at is not None


def test_the_access_page_lists_and_revokes_the_users_own_tokens_and_feed(world):
    nurse = world.users["nurse"]
    api_token_create(user=nurse, clinic=world.clinic, name="Stock scanner")
    api_token_create(user=world.users["practitioner"], clinic=world.clinic, name="Not hers")
    page = signed_in(nurse).get("/account/access/").content.decode()
    assert "Stock scanner" in page
    assert "Not hers" not in page


def test_the_owner_sees_every_token_and_feed_of_the_organisation(world, make_org):
    api_token_create(user=world.users["nurse"], clinic=world.clinic, name="Stock scanner")
    calendar_feed_issue(scope=world.scope("practitioner"), now=NOW)
    elsewhere = make_org()
    api_token_create(user=elsewhere.users["nurse"], clinic=elsewhere.clinic, name="Foreign")
    page = signed_in(world.users["owner"]).get("/account/access/all/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "Stock scanner" in text and str(world.users["practitioner"]) in text
    assert "Foreign" not in text
    assert signed_in(world.users["nurse"]).get("/account/access/all/").status_code == 403


def test_cli_lists_and_revokes_tokens(world, capsys):
    token, raw = api_token_create(user=world.users["nurse"], clinic=world.clinic, name="sync")
    assert cli.main(["apitoken", "--list"]) == 0
    listing = capsys.readouterr().out
    assert (
        token.prefix in listing and "sync" in listing and world.users["nurse"].username in listing
    )
    assert cli.main(["apitoken", "--revoke", token.prefix]) == 0
    assert bearer(raw).get("/api/v1/me").status_code == 401
    assert cli.main(["apitoken", "--revoke", "nosuchprefix"]) != 0
    assert cli.main(["apitoken", "--list"]) == 0
    assert "revoked" in capsys.readouterr().out


def test_token_requests_run_in_the_token_clinics_time_zone(world):
    import zoneinfo

    for clinic in (world.clinic, world.other_clinic):
        _token, raw = api_token_create(user=world.users["owner"], clinic=clinic, name="tz")
        zone = zoneinfo.ZoneInfo(clinic.time_zone)
        before = dt.datetime.now(zone).date()
        body = bearer(raw).get("/api/v1/me").json()
        after = dt.datetime.now(zone).date()
        assert body["clinic_id"] == clinic.pk
        assert body["time_zone"] == clinic.time_zone
        assert dt.date.fromisoformat(body["today"]) in (before, after)
