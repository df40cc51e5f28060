"""The audited client address: forwarded headers count only when a trusted proxy sent them."""

from __future__ import annotations

from django.test import Client, override_settings

from mesoclinic.audit.models import AuditAction, AuditEvent
from tests.conftest import PASSWORD


def _read_patient(world, patient, **meta) -> AuditEvent:
    client = Client(**meta)
    client.force_login(world.users["nurse"])
    response = client.get(f"/patients/{patient.pk}/")
    assert response.status_code == 200
    return AuditEvent.objects.filter(action=AuditAction.READ, patient_id=patient.pk).latest("id")


def test_forwarded_for_from_an_untrusted_peer_is_ignored(world, patient_of):
    event = _read_patient(
        world, patient_of(world), REMOTE_ADDR="198.51.100.9", HTTP_X_FORWARDED_FOR="6.6.6.6"
    )
    assert event.ip_address == "198.51.100.9"


@override_settings(TRUSTED_PROXIES=["10.0.0.0/8"])
def test_behind_a_trusted_proxy_the_right_most_untrusted_address_is_recorded(world, patient_of):
    # The client forged the first entry; the proxies appended the real ones.
    event = _read_patient(
        world,
        patient_of(world),
        REMOTE_ADDR="10.0.0.1",
        HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.7, 10.0.0.2",
    )
    assert event.ip_address == "203.0.113.7"


@override_settings(TRUSTED_PROXIES=["10.0.0.0/8"])
def test_a_malformed_forwarded_address_is_not_recorded_and_not_an_error(world, patient_of):
    event = _read_patient(
        world, patient_of(world), REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="not-an-ip"
    )
    assert event.ip_address == "10.0.0.1"


@override_settings(TRUSTED_PROXIES=["10.0.0.0/8"])
def test_sign_in_with_a_malformed_forwarded_address_works_and_is_audited(world):
    client = Client(REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="not-an-ip, 2001:db8::1 ")
    response = client.post(
        "/login/", {"username": world.users["owner"].username, "password": PASSWORD}
    )
    assert response.status_code == 302
    event = AuditEvent.objects.get(action=AuditAction.LOGIN, actor=world.users["owner"])
    assert event.ip_address == "2001:db8::1"


def test_an_invalid_peer_address_is_stored_as_unknown(world, patient_of):
    event = _read_patient(world, patient_of(world), REMOTE_ADDR="garbage")
    assert event.ip_address is None
