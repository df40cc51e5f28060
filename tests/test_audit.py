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
