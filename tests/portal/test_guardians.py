"""A parent or guardian sees a child's record while the child is under 18 (by the
clinic's date) and never another adult's."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from mesoclinic.portal.services import guardian_link
from tests.portal.conftest import signed_in
from tests.portal.test_visit_link import _visit

pytestmark = pytest.mark.django_db


def _child(world, patient_of, *, born: str, email: str = ""):
    return patient_of(world, family="Alpha", given="Kira", born=born)


def _born_years_ago(world, years: int, days: int = 0) -> str:
    today = timezone.now().astimezone(world.clinic.zone).date()
    return (today.replace(year=today.year - years) + dt.timedelta(days=days)).isoformat()


def test_guardian_switches_to_the_child_and_back(portal_world, patient_of, client):
    world, alpha = portal_world["world"], portal_world["patients"]["a"]
    child = _child(world, patient_of, born=_born_years_ago(world, 12))
    visit = _visit(world, child)
    signed_in(client, world, alpha)
    guardian_link(
        scope=world.scope("receptionist"), child=child, email=alpha.email, now=timezone.now()
    )
    assert client.get(f"/portal/visits/{visit.pk}/").status_code == 404  # own record first
    assert client.post("/portal/switch/", {"patient": child.pk}).status_code == 302
    home = client.get("/portal/").content.decode()
    assert 'data-testid="acting-for"' in home and child.full_name in home
    assert client.get(f"/portal/visits/{visit.pk}/").status_code == 200
    client.post("/portal/switch/", {"patient": alpha.pk})
    assert client.get(f"/portal/visits/{visit.pk}/").status_code == 404


def test_guardian_cannot_reach_another_adults_objects(portal_world, patient_of, client):
    world, alpha, beta = (
        portal_world["world"],
        portal_world["patients"]["a"],
        portal_world["patients"]["b"],
    )
    child = _child(world, patient_of, born=_born_years_ago(world, 10))
    signed_in(client, world, alpha)
    guardian_link(
        scope=world.scope("receptionist"), child=child, email=alpha.email, now=timezone.now()
    )
    adult_visit = _visit(world, beta)
    # Switching to another adult (or anyone not linked) is refused and changes nothing.
    for target in (beta.pk, 999999, "x"):
        assert client.post("/portal/switch/", {"patient": target}).status_code == 404
    client.post("/portal/switch/", {"patient": child.pk})
    assert client.get(f"/portal/visits/{adult_visit.pk}/").status_code == 404
    assert client.get(f"/portal/visits/{adult_visit.pk}/calendar.ics").status_code == 404


def test_access_stops_when_the_child_turns_18(portal_world, patient_of, client):
    world, alpha = portal_world["world"], portal_world["patients"]["a"]
    # 18 tomorrow by the clinic's date: still a minor today.
    child = _child(world, patient_of, born=_born_years_ago(world, 18, days=1))
    visit = _visit(world, child)
    signed_in(client, world, alpha)
    guardian_link(
        scope=world.scope("receptionist"), child=child, email=alpha.email, now=timezone.now()
    )
    client.post("/portal/switch/", {"patient": child.pk})
    assert client.get(f"/portal/visits/{visit.pk}/").status_code == 200
    # The birthday arrives (the record's date of birth one day earlier is the same as
    # the clock moving on a day): the guardian is back on their own record.
    type(child).objects.filter(pk=child.pk).update(birth_date=_born_years_ago(world, 18))
    assert client.get(f"/portal/visits/{visit.pk}/").status_code == 404
    assert client.post("/portal/switch/", {"patient": child.pk}).status_code == 404


def test_clinic_links_guardians_of_minors_only(portal_world, patient_of):
    world, alpha = portal_world["world"], portal_world["patients"]["a"]
    scope = world.scope("receptionist")
    adult = _child(world, patient_of, born=_born_years_ago(world, 18))
    with pytest.raises(ValidationError):
        guardian_link(scope=scope, child=adult, email=alpha.email, now=timezone.now())
    minor = patient_of(world, family="Gamma", given="Lev", born=_born_years_ago(world, 5))
    with pytest.raises(ValidationError):  # no portal account with that address
        guardian_link(scope=scope, child=minor, email="nobody@example.test", now=timezone.now())


def test_receptionist_adds_a_guardian_from_the_patient_page(portal_world, patient_of):
    from tests.portal.conftest import invite_link

    world, alpha = portal_world["world"], portal_world["patients"]["a"]
    invite_link(world, alpha)
    minor = patient_of(world, family="Gamma", given="Lev", born=_born_years_ago(world, 5))
    desk = Client()
    desk.force_login(world.users["receptionist"])
    page = desk.get(f"/patients/{minor.pk}/").content.decode()
    assert 'data-testid="portal-guardian"' in page
    desk.post(f"/clinic-portal/patients/{minor.pk}/guardian/", {"email": alpha.email})
    assert alpha.full_name in desk.get(f"/patients/{minor.pk}/").content.decode()
    assert (
        'data-testid="portal-guardian"' not in desk.get(f"/patients/{alpha.pk}/").content.decode()
    )


def test_a_parent_cannot_erase_a_childs_record_online(portal_world, patient_of, client):
    from mesoclinic.interop.models import ErasureRequest

    world, alpha = portal_world["world"], portal_world["patients"]["a"]
    child = _child(world, patient_of, born=_born_years_ago(world, 9))
    signed_in(client, world, alpha)
    guardian_link(
        scope=world.scope("receptionist"), child=child, email=alpha.email, now=timezone.now()
    )
    client.post("/portal/switch/", {"patient": child.pk})
    assert b"erasure-request" not in client.get("/portal/my-data/").content
    response = client.post("/portal/my-data/erasure/", {"confirm": "on"})
    assert response.status_code == 404 and not ErasureRequest.objects.exists()
    # The language button changes the parent's language, not the child's.
    target = "en" if alpha.preferred_language == "ru" else "ru"
    child_language = child.preferred_language
    client.post("/portal/language/", {"language": target})
    alpha.refresh_from_db()
    child.refresh_from_db()
    assert alpha.preferred_language == target and child.preferred_language == child_language
