"""The audit trail records reads and writes of patient data and cannot be changed."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, InternalError, OperationalError, connection, transaction
from django.test import Client

from mesoclinic.audit.models import AppendOnlyError, AuditAction, AuditEvent
from tests.conftest import PASSWORD


def test_reading_a_patient_is_audited_with_who_what_and_where(world, patient_of):
    patient = patient_of(world)
    client = Client(REMOTE_ADDR="10.1.2.3", HTTP_USER_AGENT="TabletBrowser/1.0")
    client.force_login(world.users["nurse"])
    client.get(f"/patients/{patient.pk}/")
    event = AuditEvent.objects.filter(action=AuditAction.READ).latest("id")
    assert event.actor == world.users["nurse"]
    assert event.patient_id == patient.pk
    assert event.organisation_id == world.organisation.pk
    assert event.ip_address == "10.1.2.3"
    assert event.user_agent == "TabletBrowser/1.0"
    assert event.path == f"/patients/{patient.pk}/"


def test_creating_a_patient_is_audited(world, patient_of):
    patient = patient_of(world)
    event = AuditEvent.objects.get(action=AuditAction.CREATE, patient_id=patient.pk)
    assert event.actor == world.users["receptionist"]


def test_sign_in_and_failed_sign_in_are_audited(world):
    Client().post("/login/", {"username": world.users["owner"].username, "password": PASSWORD})
    Client().post("/login/", {"username": world.users["nurse"].username, "password": "wrong"})
    assert AuditEvent.objects.filter(action=AuditAction.LOGIN, actor=world.users["owner"]).exists()
    failed = AuditEvent.objects.get(action=AuditAction.LOGIN_FAILED)
    assert failed.detail == {"username": world.users["nurse"].username}


def test_the_model_refuses_to_change_or_delete_an_event(world, patient_of):
    patient_of(world)
    event = AuditEvent.objects.latest("id")
    event.object_label = "tampered"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()


DB_REFUSAL = (IntegrityError, InternalError, OperationalError)


def test_the_database_refuses_update_and_delete(world, patient_of):
    patient_of(world)
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("DELETE FROM audit_purge_guard")
    with pytest.raises(DB_REFUSAL), transaction.atomic():
        AuditEvent.objects.update(object_label="tampered")
    with pytest.raises(DB_REFUSAL), transaction.atomic():
        AuditEvent.objects.all()._raw_delete(AuditEvent.objects.db)
    assert AuditEvent.objects.exists()
    assert not AuditEvent.objects.filter(object_label="tampered").exists()


def test_owner_sees_the_trail_in_the_browser_view(world, patient_of):
    patient = patient_of(world)
    client = Client()
    client.force_login(world.users["owner"])
    page = client.get("/audit/").content.decode()
    assert patient.full_name in page


def test_a_batch_writes_its_events_in_one_insert_in_the_order_recorded(world, patient_of):
    from django.test.utils import CaptureQueriesContext

    from mesoclinic.audit.services import audit_batch, audit_record

    patient = patient_of(world)
    owner = world.users["owner"]
    with CaptureQueriesContext(connection) as ctx, transaction.atomic(), audit_batch():
        for n in range(3):
            audit_record(action=AuditAction.READ, actor=owner, obj=patient, detail={"n": n})
        # Nothing is written until the block ends.
        assert not AuditEvent.objects.filter(detail__n=0).exists()
    inserts = [q for q in ctx.captured_queries if q["sql"].startswith('INSERT INTO "audit_')]
    assert len(inserts) == 1
    events = AuditEvent.objects.filter(patient_id=patient.pk, action=AuditAction.READ)
    assert [e.detail["n"] for e in events.order_by("id")] == [0, 1, 2]


def test_a_batch_that_raises_writes_nothing(world, patient_of):
    from mesoclinic.audit.services import audit_batch, audit_record

    patient = patient_of(world)
    with pytest.raises(ValueError), transaction.atomic(), audit_batch():
        audit_record(action=AuditAction.READ, actor=world.users["owner"], obj=patient)
        raise ValueError("the write failed")
    assert not AuditEvent.objects.filter(action=AuditAction.READ, patient_id=patient.pk).exists()
