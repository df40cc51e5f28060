"""Organisation and role scoping: guessed URLs and wrong roles see nothing."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.core.exceptions import PermissionDenied
from django.test import Client

from mesoclinic.accounts.scope import PERMISSIONS, scoped
from mesoclinic.patients.models import Patient
from mesoclinic.patients.selectors import patient_list

# Tables that are not clinical data of one organisation.
# The worker's queue holds task paths and the ids they take, never patient data; the work
# it does is shown through jobs.BackgroundJob, which carries the organisation.
# interop.AnonymisationPass rows live only inside the anonymising transaction (never
# committed) and name a patient id, nothing else.
NOT_ORGANISATION_DATA = {
    "accounts.Organisation",
    "accounts.User",
    "django_tasks_db.DBTaskResult",
    "interop.AnonymisationPass",
}


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_user_cannot_read_another_organisations_patient_by_guessing_its_url(make_org, patient_of):
    ours, theirs = make_org(), make_org()
    their_patient = patient_of(theirs, family="Secret", given="Person")
    our_patient = patient_of(ours)
    for role in ("owner", "practitioner", "receptionist", "nurse"):
        client = client_for(ours.users[role])
        assert client.get(f"/patients/{their_patient.pk}/").status_code == 404
        assert client.get(f"/patients/{our_patient.pk}/").status_code == 200
        listing = client.get("/patients/?q=Secret")
        assert their_patient.full_name not in listing.content.decode()


def test_selectors_return_only_the_scopes_organisation(make_org, patient_of):
    ours, theirs = make_org(), make_org()
    patient_of(ours, family="Ours")
    patient_of(theirs, family="Theirs")
    names = [p.family_name for p in patient_list(scope=ours.scope("receptionist"))]
    assert names == ["Ours"]


def test_missing_scope_sees_nothing(world, patient_of):
    patient_of(world)
    assert not scoped(Patient, None).exists()


def test_audit_trail_is_for_owners_only(world):
    assert client_for(world.users["owner"]).get("/audit/").status_code == 200
    for role in ("practitioner", "nurse", "receptionist"):
        assert client_for(world.users[role]).get("/audit/").status_code == 403


def test_receptionist_lacks_clinical_permissions(world):
    scope = world.scope("receptionist")
    assert scope.can("patients.view_demographics")
    assert not scope.can("patients.view_clinical")
    assert not scope.can("plans.create")
    with pytest.raises(PermissionDenied):
        scope.require("patients.view_clinical")


def test_only_practitioners_may_create_plans_and_chart():
    assert {r.value for r in PERMISSIONS["plans.create"]} == {"practitioner"}
    assert {r.value for r in PERMISSIONS["sessions.chart"]} == {"practitioner"}


def test_every_clinical_table_carries_the_organisation():
    ours = [m for m in apps.get_models() if m.__module__.startswith("mesoclinic.")]
    assert ours, "no Mesoclinic models found"
    for model in ours:
        if model._meta.label in NOT_ORGANISATION_DATA:
            continue
        field_names = {f.name for f in model._meta.get_fields()}
        assert "organisation" in field_names, f"{model._meta.label} has no organisation column"


def test_user_may_work_in_several_clinics_and_switch(world):
    from mesoclinic.accounts.models import Role
    from mesoclinic.accounts.services import membership_add

    user = world.users["practitioner"]
    membership_add(user=user, clinic=world.other_clinic, role=Role.PRACTITIONER)
    client = client_for(user)
    assert (
        client.post("/account/clinic/switch/", {"clinic": world.other_clinic.pk}).status_code == 302
    )
    assert client.session["mesoclinic_clinic_id"] == world.other_clinic.pk
    page = client.get("/").content.decode()
    assert "Europe/London" in page


def test_cannot_switch_to_a_clinic_of_another_organisation(make_org):
    ours, theirs = make_org(), make_org()
    client = client_for(ours.users["practitioner"])
    response = client.post("/account/clinic/switch/", {"clinic": theirs.clinic.pk})
    assert response.status_code == 400


def test_membership_in_another_organisations_clinic_is_refused(make_org):
    from django.core.exceptions import ValidationError

    from mesoclinic.accounts.models import Role
    from mesoclinic.accounts.services import membership_add

    ours, theirs = make_org(), make_org()
    with pytest.raises(ValidationError):
        membership_add(user=ours.users["nurse"], clinic=theirs.clinic, role=Role.NURSE)
