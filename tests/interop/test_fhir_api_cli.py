"""FHIR over the API and the CLI: scoped like the rest of the API, every export audited."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from mesoclinic.api.services import api_token_create
from mesoclinic.audit.models import AuditEvent
from mesoclinic.cli import main


def bearer(world, role: str) -> Client:
    _token, raw = api_token_create(user=world.users[role], clinic=world.clinic, name="tests")
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


@pytest.mark.django_db
def test_everything_is_scoped_by_organisation_and_role_and_audited(world, record, make_org):
    url = f"/api/v1/fhir/Patient/{record.pk}/$everything"
    response = bearer(world, "practitioner").get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/fhir+json"
    body = response.json()
    assert body["resourceType"] == "Bundle"
    assert body["entry"][0]["resource"]["id"] == str(record.pk)
    event = AuditEvent.objects.filter(action="export", patient_id=record.pk).latest("id")
    assert event.actor == world.users["practitioner"]
    assert event.detail["fhir"] == "Patient/$everything"

    assert bearer(world, "receptionist").get(url).status_code == 403
    assert bearer(make_org(), "practitioner").get(url).status_code == 404
    assert Client().get(url).status_code == 401


@pytest.mark.django_db
def test_bulk_export_kick_off_status_and_files(
    world, record, make_org, django_capture_on_commit_callbacks
):
    owner = bearer(world, "owner")
    assert bearer(world, "practitioner").post("/api/v1/fhir/$export").status_code == 403
    with django_capture_on_commit_callbacks(execute=True):
        kick = owner.post("/api/v1/fhir/$export")
    assert kick.status_code == 202
    status_url = kick["Content-Location"]
    assert status_url.endswith(f"/api/v1/fhir/$export/{kick.json()['id']}")
    # The immediate backend ran it inline: the manifest is ready.
    manifest = owner.get(status_url).json()
    files = {o["type"]: o for o in manifest["output"]}
    assert manifest["requiresAccessToken"] is True
    assert {"Patient", "Procedure", "MedicationAdministration"} <= set(files)
    patients = owner.get(files["Patient"]["url"])
    assert patients["Content-Type"] == "application/fhir+ndjson"
    # Streamed from the storage, not built in memory.
    body = b"".join(patients.streaming_content).decode()
    rows = [json.loads(line) for line in body.splitlines()]
    assert [r["id"] for r in rows] == [str(record.pk)]
    assert AuditEvent.objects.filter(action="export", detail__file="Patient").exists()
    # Another organisation's owner cannot read the status or the files.
    stranger = bearer(make_org(), "owner")
    assert stranger.get(status_url).status_code == 404
    assert stranger.get(files["Patient"]["url"]).status_code == 404


@pytest.mark.django_db
def test_cli_exports_a_patient_and_imports_it_elsewhere(world, record, make_org, tmp_path, capsys):
    from mesoclinic.patients.models import Patient

    bundle_file = tmp_path / "patient.json"
    practitioner = world.users["practitioner"].username
    code = main(
        [
            "fhir",
            "export",
            "--username",
            practitioner,
            "--patient",
            str(record.pk),
            "--output",
            str(bundle_file),
        ]
    )
    assert code == 0
    assert json.loads(bundle_file.read_text())["resourceType"] == "Bundle"
    assert AuditEvent.objects.filter(
        action="export", patient_id=record.pk, detail__via="cli"
    ).exists()

    other = make_org()
    nurse = other.users["nurse"].username
    assert main(["fhir", "import", str(bundle_file), "--username", nurse, "--clinic", "Main"]) == 0
    imported = Patient.objects.get(organisation=other.organisation)
    assert (imported.family_name, imported.birth_date) == (record.family_name, record.birth_date)
    assert "wait for a clinician" in capsys.readouterr().out

    spoiled = tmp_path / "bad.json"
    spoiled.write_text(bundle_file.read_text().replace('"birthDate": "', '"birthDate": "x'))
    assert main(["fhir", "import", str(spoiled), "--username", nurse, "--clinic", "Main"]) == 2
    assert "nothing imported" in capsys.readouterr().err
    assert Patient.objects.filter(organisation=other.organisation).count() == 1


@pytest.mark.django_db
def test_cli_bulk_export_writes_ndjson_files_for_owners_only(world, record, tmp_path, capsys):
    owner = world.users["owner"].username
    assert main(["fhir", "export", "--all", "--username", owner, "--output", str(tmp_path)]) == 0
    written = {p.stem for p in tmp_path.glob("*.ndjson")}
    assert {"Patient", "Procedure", "AdverseEvent", "Consent"} <= written
    nurse = world.users["nurse"].username
    assert main(["fhir", "export", "--all", "--username", nurse, "--output", str(tmp_path)]) == 2
    assert "only an owner" in capsys.readouterr().err


@pytest.mark.django_db
def test_cli_retention_anonymises_on_the_day_retention_ends(world, record, capsys):
    from mesoclinic.interop.services import request_erasure

    erasure = request_erasure(record, requested_by=world.users["owner"])
    assert erasure.jurisdiction == "GB"  # the clinic writes en-GB: 8 years
    assert erasure.retain_until.year == record.treatment_sessions.get().session_date.year + 8
    day_before = erasure.retain_until.replace(day=erasure.retain_until.day - 1)
    assert main(["retention", "--date", day_before.isoformat()]) == 0
    assert "0 patient" in capsys.readouterr().out
    assert main(["retention", "--date", erasure.retain_until.isoformat()]) == 0
    assert "1 patient" in capsys.readouterr().out
    record.refresh_from_db()
    assert record.family_name == "—"
