# ruff: noqa: F811  (the clinic_case fixture is imported, then requested by name)
"""Consultation pages: proposals with reasons, clinical pages closed to receptionists, timeline."""

from __future__ import annotations

import pytest
from django.test import Client

from mesoclinic.consultations.models import Consultation, TreatmentPlan
from tests.consultations.conftest import clinic_case  # noqa: F401


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_consultation_form_records_zones_clicked_as_checkboxes(world, patient_of):
    patient = patient_of(world)
    client = client_for(world.users["practitioner"])
    page = client.get(f"/consultations/patient/{patient.pk}/new/").content.decode()
    assert 'data-zone="zone.cheeks"' in page and 'name="zones" value="zone.cheeks"' in page
    response = client.post(
        f"/consultations/patient/{patient.pk}/new/",
        {"indications": ["indication.dehydration"], "zones": ["zone.cheeks", "zone.neck"]},
    )
    consultation = Consultation.objects.get()
    assert response.status_code == 302
    assert consultation.zones == ["zone.cheeks", "zone.neck"]


def test_consultation_without_zones_is_a_field_error(world, patient_of):
    patient = patient_of(world)
    client = client_for(world.users["practitioner"])
    response = client.post(
        f"/consultations/patient/{patient.pk}/new/", {"indications": ["indication.dehydration"]}
    )
    assert response.status_code == 200
    assert "field-errors" in response.content.decode()
    assert not Consultation.objects.exists()


def test_proposals_show_reasons_and_the_age_group_expectation(clinic_case):
    client = client_for(clinic_case.world.users["practitioner"])
    page = client.get(f"/consultations/{clinic_case.consultation.pk}/").content.decode()
    assert 'data-testid="proposal"' in page
    assert "protocol.skinbooster-ha" in page
    # Born 1985, screened in 2026: the 40-65 age group text of the knowledge base.
    assert "The older the skin" in page


def test_plan_from_a_proposal_is_created_by_a_practitioner(clinic_case):
    client = client_for(clinic_case.world.users["practitioner"])
    url = f"/consultations/{clinic_case.consultation.pk}/plan/new/?protocol=protocol.skinbooster-ha"
    form = client.get(url)
    assert form.status_code == 200
    assert 'value="product.ha-skinbooster" selected' in form.content.decode()


def test_receptionist_sees_no_consultation_plan_or_timeline(clinic_case):
    plan = clinic_case.make_plan()
    client = client_for(clinic_case.world.users["receptionist"])
    c = clinic_case.consultation
    assert client.get(f"/consultations/{c.pk}/").status_code == 403
    assert client.get(f"/consultations/plans/{plan.pk}/").status_code == 403
    assert client.get(f"/consultations/patient/{c.patient_id}/timeline/").status_code == 403
    assert client.get(f"/consultations/patient/{c.patient_id}/new/").status_code == 403


def test_nurse_reads_plans_but_cannot_create_one(clinic_case):
    plan = clinic_case.make_plan()
    client = client_for(clinic_case.world.users["nurse"])
    assert client.get(f"/consultations/plans/{plan.pk}/").status_code == 200
    url = f"/consultations/{clinic_case.consultation.pk}/plan/new/"
    assert client.get(url).status_code == 403
    assert TreatmentPlan.objects.count() == 1


@pytest.mark.parametrize("role", ["nurse", "owner"])
def test_only_a_practitioner_may_post_a_plan_edit(clinic_case, role):
    """A reader of the plan posting the edit form (even an empty one) is refused outright,
    never shown the form back as if it could be saved."""
    plan = clinic_case.make_plan()
    client = client_for(clinic_case.world.users[role])
    assert client.post(f"/consultations/plans/{plan.pk}/edit/", {}).status_code == 403


def test_timeline_lists_history_consultations_plans_and_consents_newest_first(clinic_case):
    from django.utils import timezone

    from mesoclinic.consultations.services import consent_sign
    from mesoclinic.patients.services import history_fact_record
    from tests.consultations.conftest import TODAY, signature_png

    history_fact_record(
        scope=clinic_case.scope,
        patient=clinic_case.patient,
        kind="condition",
        code="condition.diabetes",
        now=timezone.now(),
        today=TODAY,
    )
    plan = clinic_case.make_plan()
    consent_sign(
        scope=clinic_case.scope,
        plan=plan,
        signer_name="E. Ivanova",
        signature=signature_png(),
        now=timezone.now(),
        today=TODAY,
    )
    client = client_for(clinic_case.world.users["practitioner"])
    page = client.get(f"/consultations/patient/{clinic_case.patient.pk}/timeline/").content.decode()
    kinds = [
        k for k in ("consent", "plan", "history", "consultation") if f'data-kind="{k}"' in page
    ]
    assert kinds == ["consent", "plan", "history", "consultation"]
    order = [page.index(f'data-kind="{k}"') for k in ("consent", "plan", "history", "consultation")]
    assert order == sorted(order)
