"""My data: the patient asks for a copy of their data, sees it prepared and downloads it
(only their own, audited); and asks for erasure, which reaches the clinic's owner."""

from __future__ import annotations

import datetime as dt
import io
import zipfile

import pytest
from django.test import Client
from django.utils import timezone

from mesoclinic.audit.models import AuditEvent
from mesoclinic.interop.models import ErasureRequest, JobStatus, SubjectAccessRequest
from tests.portal.conftest import signed_in
from tests.scheduling.conftest import active_plan  # noqa: F401  (shared)

pytestmark = pytest.mark.django_db


def test_the_patient_asks_for_a_copy_and_downloads_only_their_own(
    portal_world, django_capture_on_commit_callbacks
):
    world, alpha, beta = (
        portal_world["world"],
        portal_world["patients"]["a"],
        portal_world["patients"]["b"],
    )
    client = signed_in(Client(), world, alpha)
    page = client.get("/portal/my-data/").content.decode()
    assert 'data-testid="copy-request"' in page and "copy-download" not in page

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/portal/my-data/copy/")
    assert response.status_code == 302 and response.url == "/portal/my-data/"
    access = SubjectAccessRequest.objects.get(patient=alpha)
    assert access.requested_by_id is None
    assert access.status == JobStatus.DONE  # the tests' task backend runs it at commit
    page = client.get("/portal/my-data/").content.decode()
    url = f"/portal/my-data/copies/{access.pk}.zip"
    assert url in page

    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    assert {"summary.pdf", "fhir-bundle.json"} <= set(archive.namelist())
    assert "Alpha" in archive.read("fhir-bundle.json").decode()
    download = AuditEvent.objects.filter(
        patient_id=alpha.pk, action="export", detail__download=True, detail__portal=True
    ).get()
    assert download.object_id == str(access.pk)
    assert download.actor.username == f"portal-{alpha.organisation_id}"

    # Another patient of the same clinic: neither the copy nor a link to it.
    other = signed_in(Client(), world, beta)
    assert other.get(url).status_code == 404
    assert url not in other.get("/portal/my-data/").content.decode()
    assert AuditEvent.objects.filter(detail__download=True).count() == 1


def test_a_copy_being_prepared_shows_its_progress_and_is_not_asked_twice(portal_world):
    world, alpha = portal_world["world"], portal_world["patients"]["a"]
    client = signed_in(Client(), world, alpha)
    pending = SubjectAccessRequest.objects.create(
        organisation=world.organisation, patient=alpha, requested_at=timezone.now()
    )
    page = client.get("/portal/my-data/").content.decode()
    assert 'data-testid="copy-status"' in page and 'http-equiv="refresh"' in page
    assert 'data-testid="copy-request"' not in page
    assert client.get(f"/portal/my-data/copies/{pending.pk}.zip").status_code == 404
    client.post("/portal/my-data/copy/")
    assert SubjectAccessRequest.objects.filter(patient=alpha).count() == 1


def test_erasure_needs_the_box_ticked_and_keeps_what_was_typed(portal_world):
    world, alpha = portal_world["world"], portal_world["patients"]["a"]
    client = signed_in(Client(), world, alpha)
    response = client.post("/portal/my-data/erasure/", {"reason": "Moving abroad"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "Please tick the box to confirm." in page and "Moving abroad" in page
    assert not ErasureRequest.objects.exists()
    alpha.refresh_from_db()
    assert alpha.email  # nothing erased


def test_erasure_reaches_the_owner_and_the_patient_reads_what_happens_next(portal_world):
    from mesoclinic.charting.models import TreatmentSession
    from mesoclinic.portal.models import PortalAccount

    world, alpha = portal_world["world"], portal_world["patients"]["a"]
    client = signed_in(Client(), world, alpha)
    response = client.post("/portal/my-data/erasure/", {"reason": "Moving abroad", "confirm": "on"})
    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-testid="erasure-received"' in page and "Your portal account is closed" in page
    assert "+7 495 000-00-00" in page
    erasure = ErasureRequest.objects.get(patient=alpha)
    assert erasure.requested_by_id is None and erasure.reason == "Moving abroad"
    alpha.refresh_from_db()
    assert alpha.email == "" and not alpha.data_consent
    # No signed record to keep: anonymised at once, and the patient is told so.
    assert not TreatmentSession.objects.filter(patient=alpha, status="signed").exists()
    assert erasure.status == "anonymised" and "removed from its records" in page

    # The portal account is closed with its e-mail address: signed out, cannot sign in.
    account = PortalAccount.objects.get(patient=alpha)
    assert not account.active and "alpha" not in account.email and not account.password
    assert client.get("/portal/my-data/").url == "/portal/sign-in/"
    assert client.post("/portal/my-data/erasure/", {"confirm": "on"}).status_code == 302
    assert ErasureRequest.objects.filter(patient=alpha).count() == 1

    owner = Client()
    owner.force_login(world.users["owner"])
    home = owner.get("/").content.decode()
    assert 'data-testid="home-erasures"' in home and "Moving abroad" in home
    rights = owner.get(f"/data-rights/patients/{alpha.pk}/").content.decode()
    assert "through the patient portal" in rights and "Moving abroad" in rights


def test_with_signed_records_the_patient_reads_until_when_they_are_kept(
    portal_world,
    active_plan,  # noqa: F811
):
    """A signed session is kept for the legal period; the patient is told until when."""
    from mesoclinic.patients.services import patient_update
    from mesoclinic.scheduling.services import appointment_book
    from tests.scheduling.conftest import record_signed_session

    world = portal_world["world"]
    patient = patient_update(
        scope=world.scope("receptionist"),
        patient=active_plan.patient,
        today=timezone.localdate(),
        email="kept@example.test",
    )
    visit = appointment_book(
        scope=world.scope("receptionist"),
        patient=patient,
        practitioner=world.users["practitioner"],
        starts_at=dt.datetime.combine(dt.date(2026, 11, 24), dt.time(10), tzinfo=world.clinic.zone),
        duration_min=30,
        technique_id="technique.nappage",
        plan_id=active_plan.pk,
        session_number=1,
    )
    record_signed_session(world, active_plan, visit)
    client = signed_in(Client(), world, patient)
    page = client.post("/portal/my-data/erasure/", {"confirm": "on"}).content.decode()
    erasure = ErasureRequest.objects.get(patient=patient)
    assert erasure.status == "retained" and erasure.retain_until
    assert "must keep" not in page  # plain words, the date given
    assert "keep your signed treatment records and consents until" in page
    patient.refresh_from_db()
    assert patient.family_name != "—"
