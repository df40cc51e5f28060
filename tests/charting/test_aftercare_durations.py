"""Owners set their clinic's aftercare durations on a page; the sheets follow."""

from __future__ import annotations

from django.test import Client

from mesoclinic.accounts.services import user_language_set
from mesoclinic.audit.models import AuditEvent
from mesoclinic.charting.models import AftercarePolicy

SAUNA = "aftercare_no_sauna_solarium"


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def url(clinic) -> str:
    return f"/sessions/aftercare-durations/{clinic.pk}/"


def test_an_owner_sets_a_duration_and_blank_keeps_the_knowledge_base_value(world):
    owner = client_for(world.users["owner"])
    page = owner.get(url(world.clinic)).content.decode()
    assert "No sauna, bath or solarium" in page and "72 h" in page and "48–336 h" in page
    assert url(world.clinic) in owner.get("/account/clinic/").content.decode()

    saved = owner.post(url(world.clinic), {SAUNA: "48"})
    assert saved.status_code == 302
    policy = AftercarePolicy.objects.get(clinic=world.clinic)
    assert policy.hours == {"aftercare.no-sauna-solarium": 48.0}
    assert AuditEvent.objects.filter(object_type="charting.AftercarePolicy").exists()
    assert 'value="48' in owner.get(url(world.clinic)).content.decode()

    owner.post(url(world.clinic), {SAUNA: ""})
    assert AftercarePolicy.objects.get(clinic=world.clinic).hours == {}


def test_a_bad_duration_is_a_field_error_in_the_users_language_and_nothing_changes(world):
    user = world.users["owner"]
    user_language_set(user=user, language="ru")
    owner = client_for(user)
    owner.post(url(world.clinic), {SAUNA: "48"})
    for bad in ("-3", "0", "100000", "soon"):
        response = owner.post(url(world.clinic), {SAUNA: bad})
        page = response.content.decode()
        assert response.status_code == 200, bad
        assert f'id="id_{SAUNA}_errors"' in page, bad
        assert "Убедитесь" in page or "Введите число" in page, bad
    assert AftercarePolicy.objects.get(clinic=world.clinic).hours == {
        "aftercare.no-sauna-solarium": 48.0
    }


def test_only_owners_of_the_organisation_reach_the_page(world, make_org):
    for role in ("practitioner", "nurse", "receptionist"):
        assert client_for(world.users[role]).get(url(world.clinic)).status_code == 403, role
    other = make_org()
    assert client_for(other.users["owner"]).get(url(world.clinic)).status_code == 404
    response = client_for(world.users["receptionist"]).post(url(world.clinic), {SAUNA: "1"})
    assert response.status_code == 403
    assert not AftercarePolicy.objects.exists()
