"""Every patient-portal URL with an id, with other patients' and staff sessions.

- Another patient (of the same organisation or another) gets 404 on GET and POST for
  every object of ours, and nothing is written.
- A member of staff, whatever the role, is sent to the portal's sign-in: the staff
  session does not exist on the portal's pages.
- A new portal URL with an id fails `test_every_portal_url_with_an_id_is_swept` until
  it is listed here with how its objects are reached.
"""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import timezone

from mesoclinic.accounts.models import Role
from mesoclinic.portal.models import PortalAccount
from mesoclinic.portal.views import SESSION_KEY
from tests.sweeps.test_url_sweep import _fill, _walk, _writes

# Portal URL name -> whose object it is: the patient's own, or their clinic's published
# catalogue (every patient of that clinic may open it). The invitation carries a token.
OWNED = {
    "portal:book": "clinic",
    "portal:appointment": "patient",
    "portal:appointment_move": "patient",
    "portal:appointment_ics": "patient",
    "portal:consent": "patient",
    "portal:consent_pdf": "patient",
    "portal:aftercare_pdf": "patient",
    "portal:my_data_download": "patient",
    "portal:photo_consent_pdf": "patient",
    "portal:photo_consent_withdraw": "patient",
    "portal:photo": "patient",
    "portal:photo_thumb": "patient",
    # A clinic's public booking page (self-registration): anyone may open it; it shows
    # no patient's data and links to no existing record (tests/portal/test_self_registration).
    "portal:register": "public",
    "portal:register_verify": "public",
}
NOT_SWEPT = {"portal:invite", "portal:visit_link"}  # signed tokens, not ids


def portal_urls_with_ids() -> list[tuple[str, str]]:
    from django.urls import get_resolver

    return [
        (name, route)
        for name, route in _walk(get_resolver().url_patterns)
        if route.startswith("portal/") and "<" in route and name not in NOT_SWEPT
    ]


def test_every_portal_url_with_an_id_is_swept():
    assert {name for name, _ in portal_urls_with_ids()} == set(OWNED)


def _guardian_client(guardian, child, clinic) -> Client:
    """A parent signed in and switched to their child's record."""
    from mesoclinic.portal.models import Guardianship

    client = _patient_client(guardian, clinic)
    Guardianship.objects.create(
        organisation_id=guardian.organisation_id,
        account=guardian.portal_account,
        child=child,
        created_by=guardian.portal_account.invited_by,
        created_at=timezone.now(),
    )
    assert client.post("/portal/switch/", {"patient": child.pk}).status_code == 302
    return client


def _patient_client(patient, clinic) -> Client:
    """A browser signed in to the portal as `patient` (the session the sign-in makes)."""
    from mesoclinic.portal.services import portal_actor

    account = PortalAccount.objects.create(
        organisation_id=patient.organisation_id,
        clinic=clinic,
        patient=patient,
        email=f"p{patient.pk}@example.test",
        invited_by=portal_actor(organisation_id=patient.organisation_id),
        created_at=timezone.now(),
    )
    client = Client()
    session = client.session  # the staff cookie's store; re-keyed under the portal's name
    session[SESSION_KEY] = account.pk
    session.save()
    client.cookies["mesoclinic_portal"] = session.session_key
    return client


@pytest.mark.django_db
def test_other_patients_and_staff_never_reach_a_patients_portal_objects(two_orgs, patient_of):
    from mesoclinic.portal.models import PortalSettings

    ours, theirs = two_orgs
    world = ours.world
    # Both clinics share scores and photographs with their patients: only ownership stops.
    for org in (world, theirs.world):
        for clinic in (org.clinic, org.other_clinic):
            PortalSettings.objects.create(
                organisation=org.organisation, clinic=clinic, share_outcomes=True
            )
    owner = _patient_client(ours.patient, world.clinic)
    neighbour = patient_of(world, family="Neighbour", given="Nina", born="1990-01-01")
    elsewhere = patient_of(world, family="Elsewhere", given="Olga", born="1991-01-01")
    parent = patient_of(world, family="Parent", given="Petra", born="1980-01-01")
    child = patient_of(world, family="Parent", given="Kid", born="2019-01-01")
    others = {
        "guardian of another child": _guardian_client(parent, child, world.clinic),
        "same clinic": _patient_client(neighbour, world.clinic),
        "another clinic": _patient_client(elsewhere, world.other_clinic),
        "another organisation": _patient_client(theirs.patient, theirs.world.clinic),
    }
    # The patient's own objects are reachable (the sweep would pass on a dead URL otherwise).
    # The sweep's booked service is in the patient's clinic; the appointment is theirs.
    for name, route in portal_urls_with_ids():
        url = _fill(route, ours.ids)
        if OWNED[name] == "public":
            assert owner.get(url).status_code in (200, 302), (name, url)
            continue
        assert owner.get(url).status_code == 200, (name, url)
    writes = _writes()
    tried = 0
    for who, client in others.items():
        for name, route in portal_urls_with_ids():
            url = _fill(route, ours.ids)
            if who in ("same clinic", "guardian of another child") and OWNED[name] == "clinic":
                continue  # the clinic's catalogue is every one of its patients'
            if OWNED[name] == "public":
                continue
            for method in (client.get, client.post):
                assert method(url).status_code == 404, (who, name, url)
                tried += 1
    for role in Role:
        staff = Client()
        staff.force_login(world.users[role.value])
        for name, route in portal_urls_with_ids():
            if OWNED[name] == "public":
                continue
            url = _fill(route, ours.ids)
            for method in (staff.get, staff.post):
                response = method(url)
                tried += 1
                assert response.status_code == 302, (role, name, url)
                assert response.url.startswith("/portal/sign-in/"), (role, name, url)
    assert _writes() == writes
    print(f"\nportal: {len(portal_urls_with_ids())} URLs, {tried} refused requests")


# Portal pages without an id that act on the signed-in patient's own data.
MY_DATA = ("/portal/my-data/", "/portal/my-data/copy/", "/portal/my-data/erasure/")


@pytest.mark.django_db
def test_my_data_pages_need_a_patient_session(world):
    """No staff session and no visitor reaches My data; nothing is requested or erased."""
    from mesoclinic.interop.models import ErasureRequest, SubjectAccessRequest

    clients = [Client()]
    for role in Role:
        staff = Client()
        staff.force_login(world.users[role.value])
        clients.append(staff)
    for client in clients:
        for url in MY_DATA:
            for method in (client.get, client.post):
                response = method(url, {"confirm": "on"})
                assert response.status_code in (302, 405), url
                if response.status_code == 302:
                    assert response.url.startswith("/portal/sign-in/"), url
    assert not SubjectAccessRequest.objects.exists() and not ErasureRequest.objects.exists()
