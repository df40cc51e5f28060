"""Reads of patient data reached by a query parameter rather than an id are audited too.

(Pages with an id in their address are covered by tests/sweeps/test_url_sweep.py.)
"""

from __future__ import annotations

from django.test import Client

from mesoclinic.api.services import api_token_create
from mesoclinic.audit.models import AuditAction, AuditEvent
from tests.scheduling.conftest import clinic_setup  # noqa: F401 (fixture)


def _reads(user) -> int:
    return AuditEvent.objects.filter(actor=user, action=AuditAction.READ).count()


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_web_patient_search_is_audited_with_the_words_searched(world, patient_of):
    patient_of(world, family="Searched")
    user = world.users["receptionist"]
    response = _client(user).get("/patients/?q=Searched")
    assert "Searched" in response.content.decode()
    event = AuditEvent.objects.filter(actor=user, action=AuditAction.READ).latest("id")
    assert event.detail["q"] == "Searched"


def test_the_booking_patient_picker_is_audited(world, patient_of):
    patient_of(world, family="Picked")
    user = world.users["receptionist"]
    before = _reads(user)
    assert "Picked" in _client(user).get("/schedule/book/patients/?q=Picked").content.decode()
    assert _reads(user) == before + 1


def test_the_booking_form_opened_for_a_patient_is_audited(world, patient_of):
    patient = patient_of(world, family="Booked")
    user = world.users["receptionist"]
    before = _reads(user)
    page = _client(user).get(f"/schedule/book/?patient={patient.pk}").content.decode()
    assert "Booked" in page
    assert _reads(user) == before + 1
    assert AuditEvent.objects.filter(actor=user, patient_id=patient.pk).exists()


def test_the_api_appointment_list_is_audited(world):
    user = world.users["receptionist"]
    _token, raw = api_token_create(user=user, clinic=world.clinic, name="t")
    before = _reads(user)
    response = Client(HTTP_AUTHORIZATION=f"Bearer {raw}").get(
        "/api/v1/appointments?first_day=2026-11-30&last_day=2026-12-06"
    )
    assert response.status_code == 200
    assert _reads(user) == before + 1


def test_the_calendar_and_the_sessions_day_name_their_patients_in_one_audit_event(
    world,
    patient_of,
    clinic_setup,  # noqa: F811 (the fixture)
):
    from mesoclinic.scheduling.services import appointment_book
    from tests.scheduling.conftest import MONDAY, at

    patient = patient_of(world, family="Calendared")
    appointment_book(
        scope=world.scope("receptionist"),
        patient=patient,
        practitioner=world.users["practitioner"],
        starts_at=at(MONDAY, "11:00"),
        duration_min=30,
        technique_id="technique.nappage",
    )
    user = world.users["practitioner"]
    client = _client(user)
    for url, view in (
        (f"/schedule/?date={MONDAY}", "calendar"),
        (f"/schedule/?date={MONDAY}&view=week", "calendar"),
        (f"/sessions/?date={MONDAY}", "sessions_day"),
    ):
        before = _reads(user)
        assert "Calendared" in client.get(url).content.decode()
        assert _reads(user) == before + 1, url
        event = AuditEvent.objects.filter(actor=user, action=AuditAction.READ).latest("id")
        assert event.detail == {"view": view, "patients": [patient.pk]}
