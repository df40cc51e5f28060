"""Recall notices name the clinic where the patient was treated, with its phone, and write
dates the patient's way."""

from __future__ import annotations

import pytest
from django.test import Client

from mesoclinic.accounts.middleware import CLINIC_SESSION_KEY
from mesoclinic.accounts.models import Clinic, Role
from mesoclinic.accounts.services import user_create
from mesoclinic.inventory.services import lot_recall, stock_use
from tests.conftest import PASSWORD
from tests.inventory.factories import NOW, make_product, receive, use_kwargs


@pytest.fixture
def treated_in_main(world, patient_of):
    Clinic.objects.filter(pk=world.clinic.pk).update(
        phone="+7 495 123-45-67", address="Tverskaya 1, Moscow"
    )
    Clinic.objects.filter(pk=world.other_clinic.pk).update(phone="+44 20 7946 0000")
    lot = receive(world, make_product(world, name="HA booster"), lot_number="NTM-9")
    patient = patient_of(world, family="Clarke", given="Emily")
    patient.preferred_language = "en"
    patient.save()
    stock_use(**use_kwargs(world, lot, patient, quantity_ml="1.0"))
    lot_recall(scope=world.scope("owner"), lot=lot, reason="Sterility not assured", now=NOW)
    return lot


def test_the_notice_names_the_treating_clinic_and_its_phone_not_the_viewers(world, treated_in_main):
    # A practitioner of both clinics reads the recall list while working in the second one.
    both = user_create(
        organisation=world.organisation,
        username="both-clinics",
        email="both@example.test",
        password=PASSWORD,
        display_name="Both Clinics",
        memberships=[(world.clinic, Role.PRACTITIONER), (world.other_clinic, Role.PRACTITIONER)],
    )
    client = Client()
    client.force_login(both)
    session = client.session
    session[CLINIC_SESSION_KEY] = world.other_clinic.pk
    session.save()
    page = client.get(f"/inventory/lots/{treated_in_main.pk}/recall/").content.decode()
    notice = page[page.index("Dear Emily") :]
    assert "Main" in notice and "+7 495 123-45-67" in notice
    assert "Second" not in notice and "+44 20 7946 0000" not in notice
