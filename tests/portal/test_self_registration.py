"""Self-registration on a clinic's public booking page: e-mail proven by a code, a NEW
record flagged for the front desk, never linked to an existing patient."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import Client

from mesoclinic.patients.models import Patient
from mesoclinic.portal.models import PortalAccount, SelfRegistration
from tests.portal.conftest import invite_link

pytestmark = pytest.mark.django_db

DETAILS = {
    "family_name": "Alpha",
    "given_name": "Anna",
    "birth_date": "1985-04-01",
    "email": "someone.else@example.test",
    "phone": "+7 900 555-66-77",
    "consent": "on",
}


def _register(client, clinic, **changes):
    before = len(mail.outbox)
    response = client.post(f"/portal/register/{clinic.pk}/", {**DETAILS, **changes})
    code = None
    if len(mail.outbox) > before:
        code = re.search(r"\b(\d{6})\b", mail.outbox[-1].body).group(1)
    return response, code


def _verify(client, clinic, code):
    return client.post(f"/portal/register/{clinic.pk}/code/", {"code": code})


def test_a_new_patient_registers_with_a_code_and_is_listed_for_the_front_desk(portal_world):
    world = portal_world["world"]
    client = Client()
    assert client.get(f"/portal/register/{world.clinic.pk}/").status_code == 200
    response, code = _register(client, world.clinic, family_name="Newcomer", email="new@ex.test")
    assert response.status_code == 302 and code
    assert mail.outbox[-1].to == ["new@ex.test"]
    assert not Patient.objects.filter(family_name="Newcomer").exists()  # not before the code
    done = _verify(client, world.clinic, code)
    assert done.status_code == 302 and done.url == "/portal/"
    patient = Patient.objects.get(family_name="Newcomer")
    assert patient.data_consent and patient.data_consent_at and patient.phone
    assert patient.home_clinic_id == world.clinic.pk
    registration = SelfRegistration.objects.get(patient=patient)
    assert registration.possible_duplicates == [] and registration.reviewed_at is None
    assert PortalAccount.objects.get(patient=patient).email == "new@ex.test"
    assert client.get("/portal/").status_code == 200  # signed in
    # The receptionist's home lists the new patient until marked checked.
    desk = Client()
    desk.force_login(world.users["receptionist"])
    home = desk.get("/").content.decode()
    assert f'data-self-registration="{registration.pk}"' in home
    assert desk.post(f"/clinic-portal/registrations/{registration.pk}/checked/").status_code == 302
    registration.refresh_from_db()
    assert registration.reviewed_by == world.users["receptionist"]
    assert f'data-self-registration="{registration.pk}"' not in desk.get("/").content.decode()


def test_someone_typing_an_existing_patients_name_gets_a_new_flagged_record(portal_world):
    """Same name and birth date as Alpha Anna (who has a visit): a NEW record, flagged;
    the stranger's session reaches none of Alpha's objects."""
    from tests.portal.test_visit_link import _visit

    world, alpha = portal_world["world"], portal_world["patients"]["a"]
    visit = _visit(world, alpha)
    stranger = Client()
    _response, code = _register(stranger, world.clinic)
    assert _verify(stranger, world.clinic, code).status_code == 302
    new = Patient.objects.exclude(pk=alpha.pk).get(family_name="Alpha", given_name="Anna")
    registration = SelfRegistration.objects.get(patient=new)
    assert alpha.pk in registration.possible_duplicates
    assert stranger.get(f"/portal/visits/{visit.pk}/").status_code == 404
    assert not PortalAccount.objects.filter(patient=alpha).exists()
    # The front desk sees the flag.
    desk = Client()
    desk.force_login(world.users["receptionist"])
    assert b'data-testid="possible-duplicate"' in desk.get("/").content


def test_the_same_email_as_an_existing_patient_is_flagged_too(portal_world):
    world, beta = portal_world["world"], portal_world["patients"]["b"]
    client = Client()
    _response, code = _register(client, world.clinic, family_name="Other", email=beta.email)
    _verify(client, world.clinic, code)
    registration = SelfRegistration.objects.get(patient__family_name="Other")
    assert registration.possible_duplicates == [beta.pk]


def test_an_address_with_a_portal_account_is_told_to_sign_in_and_nothing_is_made(portal_world):
    world, alpha = portal_world["world"], portal_world["patients"]["a"]
    invite_link(world, alpha)
    count = Patient.objects.count()
    client = Client()
    _response, code = _register(client, world.clinic, family_name="Again", email=alpha.email)
    page = _verify(client, world.clinic, code)
    assert page.status_code == 400 and "sign in instead" in page.content.decode()
    assert Patient.objects.count() == count


def test_wrong_codes_are_limited_and_then_even_the_right_one_fails(portal_world):
    world = portal_world["world"]
    client = Client()
    _response, code = _register(client, world.clinic, family_name="Guesser", email="g@ex.test")
    wrong = "000000" if code != "000000" else "111111"
    for _attempt in range(5):
        assert _verify(client, world.clinic, wrong).status_code == 400
    assert _verify(client, world.clinic, code).status_code == 400
    assert not Patient.objects.filter(family_name="Guesser").exists()


def test_asking_for_codes_again_and_again_is_paused(portal_world, settings):
    world = portal_world["world"]
    client = Client()
    for _attempt in range(settings.PORTAL_SIGNIN_FAILURE_LIMIT):
        _register(client, world.clinic, email="flood@ex.test")
    sent = len(mail.outbox)
    response, code = _register(client, world.clinic, email="flood@ex.test")
    assert code is None and len(mail.outbox) == sent
    assert "Too many attempts" in response.content.decode()


def test_bad_input_is_explained_and_nothing_is_sent(portal_world):
    world = portal_world["world"]
    client = Client()
    cases = {
        "consent": ({"consent": ""}, "Tick the box"),
        "minor": ({"birth_date": "2015-01-01"}, "under 18"),
        "future": ({"birth_date": "2099-01-01"}, "in the future"),
        "email": ({"email": "not-an-address"}, "valid email"),
        "phone": ({"phone": "12"}, "whole number"),
    }
    for name, (changes, words) in cases.items():
        response, code = _register(client, world.clinic, **changes)
        assert response.status_code == 200 and code is None, name
        assert words in response.content.decode(), name
    assert not mail.outbox


def test_a_clinic_with_online_booking_closed_has_no_booking_page(portal_world):
    from mesoclinic.portal.models import PortalSettings

    world = portal_world["world"]
    PortalSettings.objects.filter(clinic=world.clinic).update(booking_enabled=False)
    assert Client().get(f"/portal/register/{world.clinic.pk}/").status_code == 404


def test_russian_page_registers_a_russian_speaking_patient(portal_world):
    world = portal_world["world"]
    client = Client()
    client.cookies["django_language"] = "ru"
    page = client.get(f"/portal/register/{world.clinic.pk}/").content.decode()
    assert "Фамилия" in page
    _response, code = _register(client, world.clinic, family_name="Russkaya", email="ru@ex.test")
    _verify(client, world.clinic, code)
    assert Patient.objects.get(family_name="Russkaya").preferred_language == "ru"


def test_the_owners_page_gives_the_booking_page_address(portal_world):
    world = portal_world["world"]
    owner = Client()
    owner.force_login(world.users["owner"])
    page = owner.get(f"/clinic-portal/clinics/{world.clinic.pk}/").content.decode()
    assert f"/portal/register/{world.clinic.pk}/</code>" in page
