"""A patient moves a visit within the clinic's policy; a course's spacing is re-checked
with the visits before and after; all or nothing; the front desk is told."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from mesoclinic.audit.models import AuditEvent
from mesoclinic.portal.models import OnlineBooking, OnlineChange, PortalSettings
from mesoclinic.portal.services import interval_window
from mesoclinic.portal.services.booking import first_free
from mesoclinic.scheduling.models import Appointment
from tests.portal.conftest import signed_in
from tests.portal.test_questionnaire_booking import _answer, _proposed

pytestmark = pytest.mark.django_db


def _booked_course(portal_world):
    world, alpha = portal_world["world"], portal_world["patients"]["a"]
    course = portal_world["course"]
    client = signed_in(Client(), world, alpha)
    _answer(client)
    fields = _proposed(client.get(f"/portal/book/{course.pk}/").content.decode())
    assert client.post(f"/portal/book/{course.pk}/", fields).status_code == 302
    booking = OnlineBooking.objects.get(patient=alpha)
    visits = list(Appointment.objects.filter(pk__in=booking.appointment_ids).order_by("starts_at"))
    return client, visits


def _free_on(portal_world, day: dt.date) -> dt.datetime | None:
    return first_free(
        service=portal_world["course"],
        patient=portal_world["patients"]["a"],
        day=day,
        not_before=timezone.now(),
    )


def _fields(moment: dt.datetime, zone) -> dict[str, str]:
    local = moment.astimezone(zone)
    return {"move-day": local.date().isoformat(), "move-time": local.strftime("%H:%M")}


def test_a_visit_moves_within_the_course_window_and_the_front_desk_is_told(portal_world):
    world = portal_world["world"]
    zone = world.clinic.zone
    client, (_first, second, third) = _booked_course(portal_world)
    low, high = interval_window(portal_world["course"])
    base = second.starts_at.astimezone(zone).date()
    target = next(
        found
        for gap in range(low + 1, high + 1)
        if (found := _free_on(portal_world, base + dt.timedelta(days=gap)))
    )
    page = client.get(f"/portal/visits/{third.pk}/").content.decode()
    assert 'name="move-day"' in page and 'name="move-time"' in page
    response = client.post(f"/portal/visits/{third.pk}/move/", _fields(target, zone))
    assert response.status_code == 302, response.content.decode()[:3000]
    old = third.starts_at
    third.refresh_from_db()
    assert third.starts_at == target and third.status == "booked"
    change = OnlineChange.objects.get(appointment=third)
    assert (change.kind, change.old_starts_at, change.new_starts_at) == ("reschedule", old, target)
    assert AuditEvent.objects.filter(
        object_id=str(change.pk), detail__portal=True, detail__kind="reschedule"
    ).exists()
    assert AuditEvent.objects.filter(
        object_id=str(third.pk), detail__rescheduled_to=target.isoformat()
    ).exists()

    desk = Client()
    desk.force_login(world.users["receptionist"])
    home = desk.get("/").content.decode()
    assert f'data-online-change="{change.pk}"' in home and "moved a visit" in home
    assert desk.post(f"/clinic-portal/changes/{change.pk}/seen/").status_code == 302
    change.refresh_from_db()
    assert change.reviewed_by == world.users["receptionist"]
    assert f'data-online-change="{change.pk}"' not in desk.get("/").content.decode()


def test_a_date_breaking_the_course_spacing_is_refused_and_nothing_moves(portal_world):
    world = portal_world["world"]
    zone = world.clinic.zone
    client, (_first, second, _third) = _booked_course(portal_world)
    low, _high = interval_window(portal_world["course"])
    # The middle visit one day later: too close to the third.
    base = second.starts_at.astimezone(zone).date()
    target = next(
        found
        for gap in range(1, low)
        if (found := _free_on(portal_world, base + dt.timedelta(days=gap)))
    )
    fields = _fields(target, zone)
    response = client.post(f"/portal/visits/{second.pk}/move/", fields)
    assert response.status_code == 400
    page = response.content.decode()
    assert "days apart" in page and fields["move-day"] in page  # what was typed stays
    before = second.starts_at
    second.refresh_from_db()
    assert second.starts_at == before
    assert not OnlineChange.objects.exists()


def test_the_policy_window_and_opening_hours_are_kept(portal_world):
    world = portal_world["world"]
    zone = world.clinic.zone
    client, (first, second, third) = _booked_course(portal_world)
    starts = {a.pk: a.starts_at for a in (first, second, third)}
    # Not closer to now than the policy allows.
    soon = timezone.now() + dt.timedelta(hours=2)
    page = client.post(f"/portal/visits/{first.pk}/move/", _fields(soon, zone)).content.decode()
    assert "at least 24 hours from now" in page
    # A time the clinic is closed.
    night = dt.datetime.combine(third.starts_at.astimezone(zone).date(), dt.time(3), tzinfo=zone)
    response = client.post(f"/portal/visits/{third.pk}/move/", _fields(night, zone))
    assert response.status_code == 400 and "Choose another time" in response.content.decode()
    # Too close to the visit itself: refused, and the page says to call instead.
    PortalSettings.objects.update(change_until_hours=24 * 400)
    page = client.post(
        f"/portal/visits/{third.pk}/move/", _fields(third.starts_at + dt.timedelta(days=1), zone)
    ).content.decode()
    assert "Please call the clinic" in page and 'data-testid="move-form"' not in page
    assert {a.pk: a.starts_at for a in Appointment.objects.filter(pk__in=starts)} == starts
    assert not OnlineChange.objects.exists()


def test_a_visit_cancelled_online_reaches_the_front_desk(portal_world):
    world = portal_world["world"]
    client, (first, _second, _third) = _booked_course(portal_world)
    assert client.post(f"/portal/visits/{first.pk}/").status_code == 302
    change = OnlineChange.objects.get(appointment=first)
    assert change.kind == "cancel" and change.new_starts_at is None
    desk = Client()
    desk.force_login(world.users["receptionist"])
    assert "cancelled the visit of" in desk.get("/").content.decode()
