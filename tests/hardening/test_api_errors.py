"""Every API error has the documented shape, and the OpenAPI schema lists each error status."""

from __future__ import annotations

from pathlib import Path

from django.test import Client

from mesoclinic.api.services import api_token_create

EXAMPLE = (
    Path(__file__).resolve().parents[2] / "docs/examples/screening/ok-face-session.json"
).read_text()


def bearer(world, role: str) -> Client:
    _token, raw = api_token_create(user=world.users[role], clinic=world.clinic, name="tests")
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


def _is_error(body) -> bool:
    return (
        isinstance(body.get("detail"), str)
        and isinstance(body.get("problems"), list)
        and all(isinstance(p, str) for p in body["problems"])
    )


def test_a_malformed_screening_body_is_answered_with_the_error_schema(world):
    response = bearer(world, "practitioner").post(
        "/api/v1/screen", data='{"patient": 5}', content_type="application/json"
    )
    assert response.status_code == 422
    body = response.json()
    assert _is_error(body)
    assert body["problems"]


def test_not_found_forbidden_unauthorised_and_bad_parameters_have_the_error_schema(world):
    client = bearer(world, "receptionist")
    for response, status in [
        (client.get("/api/v1/patients/999999"), 404),
        (client.post("/api/v1/screen", data=EXAMPLE, content_type="application/json"), 403),
        (Client().get("/api/v1/me"), 401),
        (client.get("/api/v1/patients?limit=abc"), 422),
        (client.get("/api/v1/appointments?first_day=2026-12-01&last_day=2026-01-01"), 422),
    ]:
        assert response.status_code == status
        assert _is_error(response.json()), response.json()


def test_the_schema_documents_every_error_status_of_every_operation(world):
    schema = bearer(world, "owner").get("/api/v1/openapi.json").json()
    assert "ApiError" in schema["components"]["schemas"]
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            documented = set(operation["responses"])
            missing = {"401", "403", "404", "414", "422"} - documented
            assert not missing, (method, path, missing)
