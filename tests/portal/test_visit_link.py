"""The reminder's confirm link: no sign-in, but single-purpose, expiring and bound to one
appointment at its start."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import signing
from django.test import Client
from django.utils import timezone

from mesoclinic.portal.services import visit_link_token
from mesoclinic.scheduling.models import Appointment
from mesoclinic.scheduling.services import appointment_book, appointment_reschedule

pytestmark = pytest.mark.django_db


def _visit(world, patient, *, days=2, hour=11):
    zone = world.clinic.zone
    day = timezone.now().astimezone(zone).date() + dt.timedelta(days=days)
    while day.weekday() == 6:
        day += dt.timedelta(days=1)
    return appointment_book(
        scope=world.scope("receptionist"),
        patient=patient,
        practitioner=world.users["practitioner"],
        starts_at=dt.datetime.combine(day, dt.time(hour), tzinfo=zone),
        duration_min=30,
        now=timezone.now(),
    )


def _url(appointment) -> str:
    return f"/portal/visit/{visit_link_token(appointment=appointment)}/"


def test_confirm_link_confirms_the_visit_without_signing_in(portal_world):
    world, alpha = portal_world["world"], portal_world["patients"]["a"]
    visit = _visit(world, alpha)
    client = Client()
    page = client.get(_url(visit))
    assert page.status_code == 200 and b'data-testid="visit-confirm"' in page.content
    assert Appointment.objects.get(pk=visit.pk).status == "booked"  # a GET changes nothing
    done = client.post(_url(visit))
    assert done.status_code == 200 and b'data-testid="visit-confirmed"' in done.content
    visit.refresh_from_db()
    assert visit.status == "confirmed" and visit.status_reason
    # Confirming again is harmless.
    assert client.post(_url(visit)).status_code == 200
    assert Appointment.objects.get(pk=visit.pk).version == visit.version


def test_link_of_a_moved_visit_no_longer_works(portal_world):
    world, alpha = portal_world["world"], portal_world["patients"]["a"]
    visit = _visit(world, alpha)
    old = _url(visit)
    appointment_reschedule(
        scope=world.scope("receptionist"),
        appointment=visit,
        starts_at=visit.starts_at + dt.timedelta(hours=2),
        expected_version=visit.version,
        now=timezone.now(),
    )
    assert Client().post(old).status_code == 410
    assert Appointment.objects.get(pk=visit.pk).status == "booked"


def test_forged_expired_and_other_purpose_tokens_are_refused(portal_world, settings):
    world, alpha = portal_world["world"], portal_world["patients"]["a"]
    visit = _visit(world, alpha)
    other = _visit(world, portal_world["patients"]["b"], hour=14)
    token = visit_link_token(appointment=visit)
    # The same signature on another appointment's id: refused.
    forged = token.replace(f"{visit.pk}.", f"{other.pk}.", 1)
    # Signed with Django's signer for another purpose (salt): refused.
    other_purpose = signing.TimestampSigner(salt="mesoclinic.other").sign(
        f"{visit.pk}.{int(visit.starts_at.timestamp())}"
    )
    for bad in (forged, other_purpose, "nonsense", token + "x"):
        assert Client().post(f"/portal/visit/{bad}/").status_code == 410, bad
    # Too old: signed more than VISIT_LINK_DAYS ago.
    from mesoclinic.portal.services import visits

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(visits, "VISIT_LINK_DAYS", 0)
        assert Client().post(_url(visit)).status_code == 410
    assert set(Appointment.objects.values_list("status", flat=True)) == {"booked"}


def test_cancelled_visit_link_is_refused(portal_world):
    from mesoclinic.scheduling.services import appointment_status_set

    world, alpha = portal_world["world"], portal_world["patients"]["a"]
    visit = _visit(world, alpha)
    url = _url(visit)
    appointment_status_set(
        scope=world.scope("receptionist"),
        appointment=visit,
        status="cancelled",
        expected_version=visit.version,
        reason="ill",
    )
    assert Client().get(url).status_code == 410


def test_reschedule_from_the_link_asks_to_sign_in_then_opens_the_visit(portal_world, client):
    from tests.portal.conftest import PATIENT_PASSWORD, invite_link

    world, alpha = portal_world["world"], portal_world["patients"]["a"]
    visit = _visit(world, alpha)
    # Without a portal account the page offers the clinic's phone, no sign-in.
    assert f"/portal/visits/{visit.pk}/".encode() not in Client().get(_url(visit)).content
    Client().post(
        invite_link(world, alpha), {"password1": PATIENT_PASSWORD, "password2": PATIENT_PASSWORD}
    )
    page = Client().get(_url(visit))
    assert f"/portal/visits/{visit.pk}/".encode() in page.content
    # A signed-out patient following it is asked to sign in, then lands on the visit.
    fresh = Client()
    assert fresh.get(f"/portal/visits/{visit.pk}/").url == "/portal/sign-in/"
    landed = fresh.post(
        "/portal/sign-in/", {"email": "alpha@example.test", "password": PATIENT_PASSWORD}
    )
    assert landed.status_code == 302 and landed.url == f"/portal/visits/{visit.pk}/"
    assert fresh.get(landed.url).status_code == 200
    # The remembered page is the portal's only: another patient's visit is still a 404.
    other = _visit(world, portal_world["patients"]["b"], hour=15)
    assert fresh.get(f"/portal/visits/{other.pk}/").status_code == 404
