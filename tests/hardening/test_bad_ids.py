"""Ids posted in forms that are not numbers are a 404, not a 500."""

from __future__ import annotations

import pytest
from django.test import Client


@pytest.mark.parametrize("value", ["abc", "1e3", "99999999999999999999999"])
def test_a_calendar_feed_for_a_malformed_patient_id_is_not_found(world, value):
    client = Client()
    client.force_login(world.users["receptionist"])
    assert client.post("/schedule/feeds/", {"patient": value}).status_code == 404
