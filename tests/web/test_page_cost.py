"""What every signed-in page pays before its own work: the scope and the shell, read once."""

from __future__ import annotations

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from mesoclinic.accounts.models import Membership, Role
from mesoclinic.audit.models import AuditEvent


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_signed_in_page_reads_scope_and_clinics_in_one_query(world):
    client = _client(world.users["owner"])
    client.get("/healthz")
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/healthz").status_code == 200
    tables = [q["sql"].split(" FROM ")[1].split()[0] for q in queries if " FROM " in q["sql"]]
    # The session, the user, then the clinics with the user's roles joined on.
    assert tables == ['"django_session"', '"accounts_user"', '"accounts_clinic"']


def test_the_shell_shows_the_clinics_read_with_the_scope(world):
    client = _client(world.users["owner"])
    with CaptureQueriesContext(connection) as queries:
        page = client.get("/audit/").content.decode()
    assert f'<option value="{world.clinic.pk}" selected>Main</option>' in page
    assert f'<option value="{world.other_clinic.pk}">Second</option>' in page
    clinic_reads = [q for q in queries if 'FROM "accounts_clinic"' in q["sql"]]
    assert len(clinic_reads) == 1


def test_a_revoked_role_counts_on_the_very_next_page(world):
    nurse = world.users["nurse"]
    client = _client(nurse)
    assert client.get("/inventory/lots/").status_code == 200
    Membership.objects.filter(user=nurse, role=Role.NURSE).delete()
    assert client.get("/inventory/lots/").status_code in (403, 404)


def test_a_role_granted_in_the_other_clinic_shows_in_the_switcher_at_once(world):
    user = world.users["practitioner"]
    client = _client(user)
    assert "Second</option>" not in client.get("/").content.decode()
    Membership.objects.create(
        organisation=world.organisation, user=user, clinic=world.other_clinic, role=Role.NURSE
    )
    assert "Second</option>" in client.get("/").content.decode()


def test_choice_labels_follow_the_language_of_the_moment():
    event = AuditEvent(action="read")
    with translation.override("en"):
        assert event.get_action_display() == "Read"
    with translation.override("ru"):
        assert event.get_action_display() == "Просмотр"
    assert AuditEvent(action="not-a-choice").get_action_display() == "not-a-choice"
