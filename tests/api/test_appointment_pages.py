"""The appointments list comes in pages: a bounded size, an opaque cursor, nothing skipped."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from mesoclinic.scheduling.models import Appointment
from tests.api.test_api import bearer

MOSCOW = zoneinfo.ZoneInfo("Europe/Moscow")
DAYS = "first_day=2026-12-01&last_day=2026-12-07"


def _many(world, patient, count: int) -> list[int]:
    """`count` cancelled appointments, three at each start time (so ties must be broken)."""
    start = dt.datetime(2026, 12, 1, 9, 0, tzinfo=MOSCOW)
    rows = [
        Appointment(
            organisation=world.organisation,
            clinic=world.clinic,
            patient=patient,
            practitioner=world.users["practitioner"],
            starts_at=start + dt.timedelta(minutes=15 * (i // 3)),
            ends_at=start + dt.timedelta(minutes=15 * (i // 3) + 30),
            status="cancelled",
            created_by=world.users["receptionist"],
        )
        for i in range(count)
    ]
    return [a.pk for a in Appointment.objects.bulk_create(rows)]


def test_following_the_cursor_returns_every_appointment_once_in_order(world, patient_of):
    ids = _many(world, patient_of(world), 11)
    client = bearer(world, "receptionist")
    seen, cursor, pages = [], None, 0
    while True:
        url = f"/api/v1/appointments?{DAYS}&limit=4" + (f"&cursor={cursor}" if cursor else "")
        response = client.get(url)
        assert response.status_code == 200
        body = response.json()
        assert len(body) <= 4
        seen += [a["id"] for a in body]
        pages += 1
        cursor = response.headers.get("X-Next-Cursor")
        if cursor is None:
            break
        assert f"cursor={cursor}" in response.headers["Link"]
        assert "first_day=2026-12-01" in response.headers["Link"]
    assert pages == 3
    assert sorted(seen) == sorted(ids) and len(seen) == len(set(seen))
    starts = [Appointment.objects.get(pk=pk).starts_at for pk in seen]
    assert starts == sorted(starts)


def test_without_a_limit_the_answer_is_the_whole_short_list_with_no_cursor(world, patient_of):
    _many(world, patient_of(world), 5)
    response = bearer(world, "receptionist").get(f"/api/v1/appointments?{DAYS}")
    assert len(response.json()) == 5
    assert "X-Next-Cursor" not in response.headers


def test_page_size_is_bounded(world):
    client = bearer(world, "receptionist")
    for limit in ("0", "501", "abc"):
        response = client.get(f"/api/v1/appointments?{DAYS}&limit={limit}")
        assert response.status_code == 422, limit
        assert response.json()["problems"]
    assert client.get(f"/api/v1/appointments?{DAYS}&limit=500").status_code == 200


def test_a_cursor_the_api_did_not_hand_out_is_refused(world):
    client = bearer(world, "receptionist")
    for cursor in ("nonsense", "bm90fGE", "MjAyNi0xMi0wMVQwOTowMHwx"):
        response = client.get(f"/api/v1/appointments?{DAYS}&cursor={cursor}")
        assert response.status_code == 422, cursor
        assert "cursor" in response.json()["detail"]
