"""Walk-in: a one-session plan from an appointment, consent on the spot, full screening."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from mesoclinic.charting.models import SessionStatus
from mesoclinic.charting.services import session_checkin
from mesoclinic.consultations.models import Consent, PlanStatus, TreatmentPlan
from mesoclinic.consultations.walkin import walkin_consent_sign, walkin_plan_create
from mesoclinic.patients.services import history_fact_record
from mesoclinic.scheduling.models import Appointment
from tests.charting.factories import NOW, TODAY, no_answers
from tests.scheduling.conftest import MONDAY, at, signature_data_url


@pytest.fixture
def walk_in(world, patient_of, clinic_setup):
    """A patient booked today with no plan (the receptionist's booking of a walk-in)."""
    patient = patient_of(world, family="Walker", given="Irina", born="1987-02-02")
    start = at(MONDAY, "11:00")
    return Appointment.objects.create(
        organisation=world.organisation,
        clinic=world.clinic,
        patient=patient,
        practitioner=world.users["practitioner"],
        starts_at=start,
        ends_at=start + dt.timedelta(minutes=45),
        created_by=world.users["receptionist"],
    )


def _plan(world, appointment, **kw):
    args = {
        "scope": world.scope("practitioner"),
        "appointment": appointment,
        "zones": ["zone.cheeks"],
        "technique_ids": ["technique.nappage"],
        "products": [("product.revitalising-cocktail", "2.0")],
        "now": NOW,
        "today": TODAY,
    }
    return walkin_plan_create(**{**args, **kw})


def _sign(world, appointment):
    return walkin_consent_sign(
        scope=world.scope("practitioner"),
        appointment=appointment,
        signer_name="Walker Irina",
        signature=signature_data_url(),
        now=NOW,
        today=TODAY,
    )


def test_a_walk_in_is_planned_signed_and_checked_in_as_session_one_of_one(world, walk_in):
    plan = _plan(world, walk_in)
    walk_in.refresh_from_db()
    assert (plan.sessions, plan.status, plan.target_start) == (1, PlanStatus.DRAFT, TODAY)
    assert (walk_in.plan_id, walk_in.session_number) == (plan.pk, 1)
    assert walk_in.technique_id == "technique.nappage"
    # Before the consent, check-in refuses the visit: the plan is not running.
    with pytest.raises(ValidationError, match="cannot be treated"):
        session_checkin(
            scope=world.scope("nurse"), appointment=walk_in, answers=no_answers(), now=NOW
        )
    consent = _sign(world, walk_in)
    plan.refresh_from_db()
    assert plan.status == PlanStatus.ACTIVE and consent.plan_id == plan.pk
    session = session_checkin(
        scope=world.scope("nurse"), appointment=walk_in, answers=no_answers(), now=NOW
    )
    assert session.status == SessionStatus.CHECKED_IN
    assert session.plan_id == plan.pk and session.session_number == 1


def test_a_blocked_walk_in_keeps_no_consent_and_does_not_start(world, walk_in):
    history_fact_record(
        scope=world.scope("practitioner"),
        patient=walk_in.patient,
        kind="pregnancy",
        present=True,
        now=NOW,
        today=TODAY,
    )
    plan = _plan(world, walk_in)
    assert plan.screening_level == "block"
    with pytest.raises(ValidationError, match="blocks this plan"):
        _sign(world, walk_in)
    plan.refresh_from_db()
    assert plan.status == PlanStatus.DRAFT
    assert not Consent.objects.filter(plan=plan).exists()


def test_an_appointment_already_in_a_plan_is_not_planned_again(world, walk_in):
    _plan(world, walk_in)
    walk_in.refresh_from_db()
    with pytest.raises(ValidationError, match="already part"):
        _plan(world, walk_in)
    assert TreatmentPlan.objects.count() == 1


def test_the_booked_technique_must_be_in_the_plan_and_nothing_is_written(world, walk_in):
    Appointment.objects.filter(pk=walk_in.pk).update(technique_id="technique.papule")
    walk_in.refresh_from_db()
    with pytest.raises(ValidationError) as exc:
        _plan(world, walk_in)
    assert "include it" in str(exc.value)
    assert not TreatmentPlan.objects.exists()
    walk_in.refresh_from_db()
    assert walk_in.plan_id is None


def test_a_cancelled_appointment_cannot_become_a_walk_in(world, walk_in):
    Appointment.objects.filter(pk=walk_in.pk).update(status="cancelled")
    walk_in.refresh_from_db()
    with pytest.raises(ValidationError, match="cannot be treated"):
        _plan(world, walk_in)
    assert not TreatmentPlan.objects.exists()


@pytest.mark.parametrize("role", ["receptionist", "nurse"])
def test_only_practitioners_plan_walk_ins(world, walk_in, role):
    with pytest.raises(PermissionDenied):
        _plan(world, walk_in, scope=world.scope(role))
    assert not TreatmentPlan.objects.exists()


@pytest.mark.parametrize(("role", "offered"), [("practitioner", True), ("receptionist", False)])
def test_the_appointment_page_offers_the_single_session_to_practitioners(
    client, world, walk_in, role, offered
):
    client.force_login(world.users[role])
    page = client.get(f"/schedule/appointments/{walk_in.pk}/").content.decode()
    assert ('data-testid="walkin-plan"' in page) is offered
    _plan(world, walk_in)
    page = client.get(f"/schedule/appointments/{walk_in.pk}/").content.decode()
    assert 'data-testid="walkin-plan"' not in page
