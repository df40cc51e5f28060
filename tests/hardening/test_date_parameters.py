"""Dates in addresses and forms are bounded: far dates are a 400 or a form error, never a 500."""

from __future__ import annotations

import pytest
from django.test import Client

from mesoclinic.api.services import api_token_create
from mesoclinic.scheduling.models import Appointment


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize(
    "url",
    [
        "/schedule/?date=9999-12-31",
        "/schedule/?date=9999-12-31&view=week",
        "/schedule/?date=0001-01-01&view=week",
        "/schedule/?date=0001-01-01",
        "/sessions/?date=9999-12-31",
        "/sessions/?date=0001-01-01",
        "/schedule/book/?date=9999-12-31",
    ],
)
def test_far_dates_in_the_address_are_a_bad_request(world, url):
    response = client_for(world.users["owner"]).get(url)
    assert response.status_code == 400


def test_the_bad_request_page_is_in_the_users_language(world):
    owner = world.users["owner"]
    owner.language = "ru"
    owner.save()
    response = client_for(owner).get("/schedule/?date=9999-12-31")
    assert response.status_code == 400
    assert "1900" in response.content.decode()
    assert "дата" in response.content.decode().lower()


def test_booking_on_a_far_date_is_a_form_error_and_books_nothing(world, patient_of):
    patient = patient_of(world)
    response = client_for(world.users["receptionist"]).post(
        "/schedule/book/",
        {
            "patient": patient.pk,
            "practitioner": world.users["practitioner"].pk,
            "day": "9999-12-31",
            "time": "10:00",
            "duration": 30,
            "technique_id": "technique.nappage",
        },
    )
    assert response.status_code == 200
    assert "1900" in response.content.decode()
    assert not Appointment.objects.exists()


def test_api_appointments_with_far_dates_is_a_validation_error(world):
    _token, raw = api_token_create(user=world.users["owner"], clinic=world.clinic, name="t")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    response = client.get("/api/v1/appointments?first_day=9999-12-01&last_day=9999-12-31")
    assert response.status_code == 422
    body = response.json()
    assert isinstance(body["detail"], str)
    assert any("first_day" in p for p in body["problems"])
