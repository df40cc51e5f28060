"""The HTTP API: token authentication, scoping, permissions, audit and screening."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.test import Client

from mesoclinic.api.services import api_token_create
from mesoclinic.audit.models import AuditEvent

EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples" / "screening"


def bearer(world, role: str) -> Client:
    _token, raw = api_token_create(user=world.users[role], clinic=world.clinic, name="tests")
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


def test_me_with_a_token(world):
    body = bearer(world, "practitioner").get("/api/v1/me").json()
    assert body["roles"] == ["practitioner"]
    assert body["organisation_id"] == world.organisation.pk


@pytest.mark.parametrize("header", ["", "Bearer nonsense", "Bearer mc_abc_def", "Basic x"])
def test_missing_or_wrong_token_is_401(db, header):
    client = Client(HTTP_AUTHORIZATION=header) if header else Client()
    assert client.get("/api/v1/me").status_code == 401


def test_revoked_token_is_401(world):
    from django.utils import timezone

    from mesoclinic.api.services import api_token_revoke

    token, raw = api_token_create(user=world.users["nurse"], clinic=world.clinic, name="old")
    api_token_revoke(scope=world.scope("nurse"), token=token, now=timezone.now())
    assert Client(HTTP_AUTHORIZATION=f"Bearer {raw}").get("/api/v1/me").status_code == 401
    from mesoclinic.audit.models import AuditEvent

    assert AuditEvent.objects.filter(object_type="api.ApiToken", detail__revoked=True).exists()


def test_patients_are_scoped_and_reads_are_audited(make_org, patient_of):
    ours, theirs = make_org(), make_org()
    mine = patient_of(ours, family="Ours")
    stranger = patient_of(theirs, family="Theirs")
    client = bearer(ours, "receptionist")
    names = [p["family_name"] for p in client.get("/api/v1/patients").json()]
    assert names == ["Ours"]
    assert client.get(f"/api/v1/patients/{stranger.pk}").status_code == 404
    assert client.get(f"/api/v1/patients/{mine.pk}").json()["family_name"] == "Ours"
    event = AuditEvent.objects.filter(action="read", patient_id=mine.pk).latest("id")
    assert event.actor == ours.users["receptionist"]


def test_receptionist_may_not_screen(world):
    body = json.loads((EXAMPLES / "ok-face-session.json").read_text())
    response = bearer(world, "receptionist").post(
        "/api/v1/screen", body, content_type="application/json"
    )
    assert response.status_code == 403


@pytest.mark.parametrize("example", sorted(EXAMPLES.glob("*.json")), ids=lambda p: p.stem)
def test_documented_examples_screen_like_the_engine(world, example):
    from mesoclinic.core.knowledge import load_knowledge
    from mesoclinic.core.screening import ScreeningRequest, screen

    body = json.loads(example.read_text())
    response = bearer(world, "practitioner").post(
        "/api/v1/screen?today=2026-11-23", body, content_type="application/json"
    )
    assert response.status_code == 200, response.content
    import datetime as dt

    expected = screen(
        ScreeningRequest.model_validate(body), kb=load_knowledge(), today=dt.date(2026, 11, 23)
    )
    assert response.json()["level"] == str(expected.level)
    assert [v["rule_id"] for v in response.json()["verdicts"]] == [
        v.rule_id for v in expected.verdicts
    ]


def test_unknown_code_in_a_screening_is_a_clear_422(world):
    body = json.loads((EXAMPLES / "ok-face-session.json").read_text())
    body["plan"]["zones"] = ["zone.elbow-of-doom"]
    response = bearer(world, "practitioner").post(
        "/api/v1/screen?today=2026-11-23", body, content_type="application/json"
    )
    assert response.status_code == 422
    assert "zone.elbow-of-doom" in json.dumps(response.json())


def test_malformed_screening_body_is_422(world):
    response = bearer(world, "practitioner").post(
        "/api/v1/screen", {"patient": "nope"}, content_type="application/json"
    )
    assert response.status_code == 422


def test_openapi_schema_is_served(db):
    schema = Client().get("/api/v1/openapi.json").json()
    assert "/api/v1/screen" in schema["paths"]
