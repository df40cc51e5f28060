"""Roles belong to a clinic: an object is handled with the user's roles in *its* clinic.

The world has Main (Moscow), where every role works, and Second (London), where
`split` is a practitioner (and a nurse at Main) and `london_practitioner` works only.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.test import Client

from mesoclinic.accounts.models import Role
from mesoclinic.accounts.scope import scope_for
from mesoclinic.charting.screening import Answer
from mesoclinic.charting.selectors import session_get
from mesoclinic.charting.services import chart_save, session_override, session_sign
from mesoclinic.consultations.selectors import plan_get
from mesoclinic.scheduling.selectors import appointment_get
from mesoclinic.scheduling.services import appointment_status_set
from tests.charting.factories import NOW, charted, checked_in, make_day, no_answers, row


@pytest.fixture
def day(world, active_plan):
    return make_day(world, active_plan)


def london_scope(world, user):
    return scope_for(user, clinic_id=world.other_clinic.pk)


def client_in(user, clinic) -> Client:
    client = Client()
    client.force_login(user)
    client.post("/account/clinic/switch/", {"clinic": clinic.pk})
    return client


def test_scope_knows_the_roles_in_each_clinic(world):
    scope = london_scope(world, world.split)
    assert scope.roles == {Role.PRACTITIONER}
    assert scope.roles_in(world.clinic.pk) == {Role.NURSE}
    assert scope.roles_in(world.other_clinic.pk) == {Role.PRACTITIONER}
    assert scope.can_in("sessions.chart", world.other_clinic.pk)
    assert not scope.can_in("sessions.chart", world.clinic.pk)
    with pytest.raises(PermissionDenied):
        scope.require_in("screening.override", world.clinic.pk)
    moscow = scope.in_clinic(world.clinic.pk)
    assert moscow.clinic_id == world.clinic.pk and moscow.roles == {Role.NURSE}
    londoner = london_scope(world, world.londoner)
    assert londoner.roles_in(world.clinic.pk) == frozenset()
    with pytest.raises(PermissionDenied):
        londoner.in_clinic(world.clinic.pk)


def test_owner_holds_the_owner_role_in_every_clinic(world):
    scope = world.scope("owner")
    assert Role.OWNER in scope.roles_in(world.other_clinic.pk)
    assert scope.works_in(world.other_clinic.pk)


def test_practitioner_of_another_clinic_cannot_open_chart_or_sign_a_session(day):
    world = day.world
    session = checked_in(day)
    londoner = london_scope(world, world.londoner)
    with pytest.raises(Http404):
        session_get(scope=londoner, session_id=session.pk)
    with pytest.raises(PermissionDenied):
        chart_save(
            scope=londoner,
            session=session,
            rows=[row(lot=day.lot)],
            expected_version=session.version,
            save_token="",
            now=NOW,
        )
    session = charted(day)
    with pytest.raises(PermissionDenied):
        session_sign(scope=londoner, session=session, now=NOW)
    client = client_in(world.londoner, world.other_clinic)
    assert client.get(f"/sessions/{session.pk}/").status_code == 404
    assert (
        client_in(day.world.users["practitioner"], world.clinic)
        .get(f"/sessions/{session.pk}/")
        .status_code
        == 200
    )


def test_nurse_here_who_practises_elsewhere_cannot_override_a_block_here(day):
    world = day.world
    session = checked_in(day, answers={**no_answers(), "vq.pregnancy": Answer(yes=True)})
    assert session.screening_level == "block"
    split_in_london = london_scope(world, world.split)
    assert split_in_london.can("screening.override")  # a practitioner in London
    with pytest.raises(PermissionDenied):
        session_override(
            scope=split_in_london, session=session, reason="Negative test today", now=NOW
        )
    assert session_get(scope=split_in_london, session_id=session.pk) == session
    # Still a nurse at Moscow: they may see the session there, with Moscow's roles.
    client = client_in(world.split, world.other_clinic)
    page = client.get(f"/sessions/{session.pk}/")
    assert page.status_code == 200
    assert f"/sessions/{session.pk}/override/" not in page.content.decode()
    refused = client.post(f"/sessions/{session.pk}/override/", {"reason": "Negative test"})
    assert refused.status_code == 403


def test_appointments_of_a_clinic_the_user_does_not_work_in_are_not_found(day):
    world = day.world
    londoner = london_scope(world, world.londoner)
    with pytest.raises(Http404):
        appointment_get(scope=londoner, appointment_id=day.appointment.pk)
    with pytest.raises(PermissionDenied):
        appointment_status_set(
            scope=londoner,
            appointment=day.appointment,
            status="cancelled",
            reason="Patient called",
            expected_version=day.appointment.version,
        )
    with pytest.raises(Http404):
        plan_get(scope=londoner, plan_id=day.plan.pk)


def test_signing_takes_stock_from_the_sessions_clinic_not_the_signers_current_one(day):
    from decimal import Decimal

    from mesoclinic.accounts.services import membership_add
    from mesoclinic.inventory.models import MovementKind, StockBalance, StockMovement

    world = day.world
    practitioner = world.users["practitioner"]
    membership_add(user=practitioner, clinic=world.other_clinic, role=Role.PRACTITIONER)
    # The same lot is stocked in London too: the signature must not take it from there.
    from mesoclinic.inventory.services import stock_transfer

    stock_transfer(
        scope=world.scope("nurse"),
        lot=day.lot,
        to_clinic=world.other_clinic,
        quantity_ml="10",
        at=NOW - dt.timedelta(days=1),
    )
    session = charted(day)
    in_london = scope_for(practitioner, clinic_id=world.other_clinic.pk)
    session_sign(scope=in_london, session=session, now=NOW)
    use = StockMovement.objects.get(lot=day.lot, kind=MovementKind.USE)
    assert use.clinic_id == world.clinic.pk
    balances = dict(
        StockBalance.objects.filter(lot=day.lot).values_list("clinic_id", "quantity_ul")
    )
    assert balances[world.clinic.pk] == int(Decimal("38") * 1000)  # 50 - 10 moved - 2 used
    assert balances[world.other_clinic.pk] == 10_000
