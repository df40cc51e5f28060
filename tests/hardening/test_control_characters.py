"""Control characters in text inputs never reach the database or the audit trail."""

from __future__ import annotations

from django.test import Client

from mesoclinic.api.services import api_token_create
from mesoclinic.audit.models import AuditEvent


def test_a_nul_byte_in_the_api_search_is_harmless(world, patient_of):
    patient_of(world, family="Nul")
    _token, raw = api_token_create(user=world.users["receptionist"], clinic=world.clinic, name="t")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    response = client.get("/api/v1/patients?q=%00Nul%01")
    assert response.status_code == 200
    assert [p["family_name"] for p in response.json()] == ["Nul"]
    event = AuditEvent.objects.filter(detail__api="patients").latest("id")
    assert event.detail["q"] == "Nul"


def test_a_nul_byte_in_the_web_patient_search_is_harmless(world, patient_of):
    patient_of(world, family="Nul")
    client = Client()
    client.force_login(world.users["receptionist"])
    response = client.get("/patients/?q=Nul%00")
    assert response.status_code == 200
    assert "Nul" in response.content.decode()


def test_the_audit_trail_stores_no_control_characters(world):
    from mesoclinic.audit.models import AuditAction
    from mesoclinic.audit.services import audit_record

    event = audit_record(
        action=AuditAction.READ,
        scope=world.scope("owner"),
        detail={"q": "a\x00b\x07c", "nested": ["x\x00", {"k\x00": "v\x1b"}], "n": 3},
    )
    event.refresh_from_db()
    assert event.detail == {"q": "abc", "nested": ["x", {"k": "v"}], "n": 3}
