"""Portal access: invitations, passwords, e-mailed codes, rate limits, separate sessions."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from mesoclinic.portal.models import PortalAccount, PortalToken
from tests.portal.conftest import PATIENT_PASSWORD, invite_link, signed_in

pytestmark = pytest.mark.django_db


def test_invitation_link_works_once_and_signs_the_patient_in(portal_world):
    world, alpha = portal_world["world"], portal_world["patients"]["a"]
    path = invite_link(world, alpha)
    client = Client()
    response = client.post(path, {"password1": PATIENT_PASSWORD, "password2": PATIENT_PASSWORD})
    assert response.status_code == 302
    assert (
        "Alpha" in client.get("/portal/").content.decode()
        or client.get("/portal/").status_code == 200
    )
    assert Client().get(path).status_code == 410  # spent
    # Only a keyed digest of the secret is stored.
    secret = path.rstrip("/").rsplit("/", 1)[-1]
    assert not PortalToken.objects.filter(digest__contains=secret).exists()


def test_expired_invitation_is_refused(portal_world):
    world, alpha = portal_world["world"], portal_world["patients"]["a"]
    path = invite_link(world, alpha)
    PortalToken.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    response = Client().post(path, {"password1": PATIENT_PASSWORD, "password2": PATIENT_PASSWORD})
    assert response.status_code == 410
    assert PortalAccount.objects.get(patient=alpha).password == ""


def test_invitation_is_not_sent_to_an_address_another_patients_account_uses(portal_world):
    from django.core.exceptions import ValidationError

    from mesoclinic.patients.services import patient_update
    from mesoclinic.portal.services import portal_invite

    world, patients = portal_world["world"], portal_world["patients"]
    invite_link(world, patients["a"])
    beta = patient_update(
        scope=world.scope("receptionist"),
        patient=patients["b"],
        today=dt.date(2026, 11, 23),
        email="alpha@example.test",
    )
    with pytest.raises(ValidationError):
        portal_invite(
            scope=world.scope("receptionist"),
            patient=beta,
            base_url="http://testserver/",
            now=timezone.now(),
        )
    assert not PortalAccount.objects.filter(patient=beta).exists()


def test_password_sign_in_and_wrong_password(portal_world):
    world, alpha = portal_world["world"], portal_world["patients"]["a"]
    signed_in(Client(), world, alpha)
    client = Client()
    wrong = client.post(
        "/portal/sign-in/", {"email": "alpha@example.test", "password": "not-the-one-123"}
    )
    assert wrong.status_code == 200
    assert "do not match" in wrong.content.decode()
    right = client.post(
        "/portal/sign-in/", {"email": "alpha@example.test", "password": PATIENT_PASSWORD}
    )
    assert right.status_code == 302
    assert client.get("/portal/").status_code == 200


def test_password_brute_force_is_paused_after_the_limit(portal_world, settings):
    world, alpha = portal_world["world"], portal_world["patients"]["a"]
    signed_in(Client(), world, alpha)
    client = Client()
    for attempt in range(settings.PORTAL_SIGNIN_FAILURE_LIMIT):
        client.post(
            "/portal/sign-in/", {"email": "alpha@example.test", "password": f"guess-{attempt}"}
        )
    # Even the right password is refused until the pause ends.
    response = client.post(
        "/portal/sign-in/", {"email": "alpha@example.test", "password": PATIENT_PASSWORD}
    )
    assert response.status_code == 200
    assert "Too many attempts" in response.content.decode()
    assert client.get("/portal/").status_code == 302


def _code_from_mail() -> str:
    return re.search(r"\b(\d{6})\b", mail.outbox[-1].body).group(1)


def test_one_time_code_signs_in_once(portal_world):
    world, alpha = portal_world["world"], portal_world["patients"]["a"]
    signed_in(Client(), world, alpha)
    client = Client()
    client.post("/portal/sign-in/code/", {"email": "alpha@example.test"})
    code = _code_from_mail()
    response = client.post(
        "/portal/sign-in/code/enter/", {"email": "alpha@example.test", "code": code}
    )
    assert response.status_code == 302
    assert client.get("/portal/").status_code == 200
    again = Client().post(
        "/portal/sign-in/code/enter/", {"email": "alpha@example.test", "code": code}
    )
    assert again.status_code == 200  # spent: refused with the form again


def test_code_guessing_spends_the_code(portal_world, settings):
    settings.PORTAL_SIGNIN_FAILURE_LIMIT = 50  # the per-code limit is what is under test
    world, alpha = portal_world["world"], portal_world["patients"]["a"]
    signed_in(Client(), world, alpha)
    client = Client()
    client.post("/portal/sign-in/code/", {"email": "alpha@example.test"})
    code = _code_from_mail()
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    for _ in range(5):
        client.post("/portal/sign-in/code/enter/", {"email": "alpha@example.test", "code": wrong})
    response = client.post(
        "/portal/sign-in/code/enter/", {"email": "alpha@example.test", "code": code}
    )
    assert response.status_code == 200
    assert client.get("/portal/").status_code == 302


def test_unknown_address_gets_the_same_answer_and_no_mail(portal_world):
    before = len(mail.outbox)
    response = Client().post("/portal/sign-in/code/", {"email": "nobody@example.test"})
    assert response.status_code == 200
    assert "If nobody@example.test has a portal account" in response.content.decode()
    assert len(mail.outbox) == before


def test_staff_session_cannot_reach_the_portal_and_patient_session_no_staff_page(portal_world):
    world, alpha = portal_world["world"], portal_world["patients"]["a"]
    staff = Client()
    staff.force_login(world.users["practitioner"])
    assert staff.get("/patients/").status_code == 200
    assert staff.get("/portal/").status_code == 302  # to the portal's sign-in
    assert staff.get("/portal/").url.startswith("/portal/sign-in/")

    patient = signed_in(Client(), world, alpha)
    assert patient.get("/portal/").status_code == 200
    for url in ("/", "/patients/", f"/patients/{alpha.pk}/", "/schedule/"):
        response = patient.get(url)
        assert response.status_code == 302 and response.url.startswith("/login/"), url
    # The portal's cookie is sent to /portal/ only.
    assert patient.cookies["mesoclinic_portal"]["path"] == "/portal/"
    assert "sessionid" not in patient.cookies or not patient.cookies["sessionid"].value


def test_one_browser_signed_in_as_both_keeps_them_apart(portal_world):
    world, alpha = portal_world["world"], portal_world["patients"]["a"]
    client = signed_in(Client(), world, alpha)
    client.force_login(world.users["receptionist"])
    # Staff pages see the member of staff, the portal sees the patient; neither leaks.
    assert client.get("/patients/").status_code == 200
    assert client.get("/portal/").status_code == 200
    client.post("/portal/sign-out/")
    assert client.get("/portal/").status_code == 302
    assert client.get("/patients/").status_code == 200


def test_the_portals_author_of_record_is_not_listed_as_staff(portal_world):
    from mesoclinic.accounts.selectors import staff_list
    from mesoclinic.portal.services import portal_actor

    world = portal_world["world"]
    actor = portal_actor(organisation_id=world.organisation.pk)
    assert not actor.is_active and not actor.has_usable_password()
    assert actor not in staff_list(scope=world.scope("owner"))
