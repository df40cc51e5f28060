"""Names are stored in NFC and refuse invisible and text-direction characters."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from mesoclinic.patients.models import Patient
from mesoclinic.patients.services import patient_create, patient_update

TODAY = dt.date(2026, 11, 23)


@pytest.mark.parametrize(
    "name",
    [
        "\u202eanaI",  # right-to-left override
        "An\u200bna",  # zero-width space
        "Anna\u2066",  # left-to-right isolate
        "\u200dAnna",  # zero-width joiner
        "An\u00adna",  # soft hyphen
        "Anna\ufeff",  # byte-order mark
    ],
)
def test_a_name_with_an_invisible_character_is_refused(world, name):
    with pytest.raises(ValidationError) as caught:
        patient_create(
            scope=world.scope("receptionist"),
            family_name=name,
            given_name="Elena",
            birth_date=dt.date(1985, 4, 1),
            today=TODAY,
        )
    assert "family_name" in caught.value.message_dict
    assert not Patient.objects.exists()


def test_names_are_stored_composed(world):
    patient = patient_create(
        scope=world.scope("receptionist"),
        family_name="Е\u0308лкина",  # Е + combining diaeresis
        given_name="Zoe\u0301",
        birth_date=dt.date(1985, 4, 1),
        today=TODAY,
    )
    assert patient.family_name == "Ёлкина"
    assert patient.given_name == "Zoé"


def test_an_update_with_a_bidi_override_is_refused(world, patient_of):
    patient = patient_of(world)
    with pytest.raises(ValidationError):
        patient_update(
            scope=world.scope("receptionist"),
            patient=patient,
            today=TODAY,
            given_name="\u202eanelE",
        )
    patient.refresh_from_db()
    assert patient.given_name == "Елена"


def test_the_patient_form_shows_the_error_on_the_field_in_russian(world):
    user = world.users["receptionist"]
    user.language = "ru"
    user.save()
    client = Client()
    client.force_login(user)
    response = client.post(
        "/patients/new/",
        {
            "family_name": "Ива\u200bнова",
            "given_name": "Анна",
            "birth_date": "1985-04-01",
            "sex": "female",
            "preferred_language": "ru",
            "data_consent": "on",
        },
    )
    assert response.status_code == 200
    assert "U+200B" in response.content.decode()
    assert "невидимые" in response.content.decode()
    assert not Patient.objects.exists()


def test_a_lot_number_with_a_zero_width_space_is_refused(world):
    from tests.inventory.factories import make_product, receive

    product = make_product(world)
    with pytest.raises(ValidationError) as caught:
        receive(world, product, lot_number="AB\u200b123")
    assert "lot_number" in caught.value.message_dict


def test_a_product_name_with_a_bidi_override_is_refused(world):
    from tests.inventory.factories import make_product

    with pytest.raises(ValidationError) as caught:
        make_product(world, name="\u202eretsoob AH")
    assert "name" in caught.value.message_dict
