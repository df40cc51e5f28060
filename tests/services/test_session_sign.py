"""Signing: stock decremented once in the same transaction; the signed record is immutable."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, InternalError, OperationalError, connection, transaction

from mesoclinic.charting.models import Addendum, ChartEntry, SessionStatus, TreatmentSession
from mesoclinic.charting.services import addendum_create, chart_save, session_sign
from mesoclinic.inventory.models import MovementKind, StockBalance, StockMovement
from mesoclinic.inventory.services import lot_recall
from mesoclinic.scheduling.models import Appointment
from tests.charting.factories import NOW, charted, checked_in, make_day, row

DB_REFUSAL = (IntegrityError, InternalError, OperationalError)


@pytest.fixture
def day(world, active_plan):
    return make_day(world, active_plan)


def uses(lot):
    return StockMovement.objects.filter(lot=lot, kind=MovementKind.USE)


def test_signing_decrements_stock_marks_the_appointment_done_and_keeps_the_kb_version(day):
    session = charted(
        day,
        [
            row("zone.cheeks", lot=day.lot, volume="1.5"),
            row("zone.neck", lot=day.lot, volume="0.5"),
        ],
    )
    session = session_sign(scope=day.scope, session=session, now=NOW)
    assert session.status == SessionStatus.SIGNED
    assert session.signed_by_id == day.world.users["practitioner"].pk
    assert len(session.signed_knowledge_version) == 64
    assert StockBalance.objects.get(lot=day.lot, clinic=day.world.clinic).quantity_ul == 48_000
    assert sorted(uses(day.lot).values_list("zone_id", flat=True)) == ["zone.cheeks", "zone.neck"]
    assert set(uses(day.lot).values_list("session_ref", flat=True)) == {session.pk}
    assert Appointment.objects.get(pk=day.appointment.pk).status == "done"
    assert session.next_earliest == session.session_date + dt.timedelta(days=7)
    assert session.next_latest == session.session_date + dt.timedelta(days=10)


def test_signing_twice_is_refused_with_a_clear_message_and_no_second_decrement(day):
    session = session_sign(scope=day.scope, session=charted(day), now=NOW)
    with pytest.raises(ValidationError, match="already signed by"):
        session_sign(scope=day.scope, session=session, now=NOW)
    assert uses(day.lot).count() == 1


def test_a_lot_recalled_after_charting_stops_the_signature_and_nothing_is_written(day):
    session = charted(day)
    lot_recall(scope=day.nurse(), lot=day.lot, reason="Sterility", now=NOW)
    with pytest.raises(ValidationError, match="recalled"):
        session_sign(scope=day.scope, session=session, now=NOW)
    assert TreatmentSession.objects.get(pk=session.pk).status == SessionStatus.CHARTING
    assert not uses(day.lot).exists()


def test_a_signed_chart_cannot_be_saved_again_but_takes_addenda(day):
    session = session_sign(scope=day.scope, session=charted(day), now=NOW)
    with pytest.raises(ValidationError, match="signed and cannot be changed"):
        chart_save(
            scope=day.scope,
            session=session,
            rows=[row(lot=day.lot, volume="3")],
            expected_version=session.version,
            save_token="",
            now=NOW,
        )
    addendum = addendum_create(
        scope=day.scope, session=session, text="Depth was 1.5 mm on the left cheek.", now=NOW
    )
    assert addendum.author_id == day.world.users["practitioner"].pk
    with pytest.raises(ValidationError):
        addendum_create(scope=day.scope, session=session, text="   ", now=NOW)


def test_the_database_refuses_to_change_or_delete_a_signed_session_its_entries_and_addenda(day):
    session = session_sign(scope=day.scope, session=charted(day), now=NOW)
    addendum_create(scope=day.scope, session=session, text="Note", now=NOW)
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM audit_purge_guard")
    for attempt in (
        lambda: TreatmentSession.objects.filter(pk=session.pk).update(override_reason="x"),
        lambda: TreatmentSession.objects.filter(pk=session.pk)._raw_delete(connection.alias),
        lambda: ChartEntry.objects.filter(session=session).update(volume_ml=9),
        lambda: ChartEntry.objects.filter(session=session)._raw_delete(connection.alias),
        lambda: ChartEntry.objects.create(
            organisation=session.organisation,
            session=session,
            zone_id="zone.neck",
            technique_id="technique.nappage",
        ),
        lambda: Addendum.objects.update(text="rewritten"),
        lambda: Addendum.objects.all()._raw_delete(connection.alias),
    ):
        with pytest.raises(DB_REFUSAL), transaction.atomic():
            attempt()
    assert ChartEntry.objects.get(session=session).volume_ml == 2


def test_a_draft_chart_stays_editable_in_the_database(day):
    session = charted(day)
    assert ChartEntry.objects.filter(session=session).update(points=40) == 1
    assert TreatmentSession.objects.filter(pk=session.pk).update(chart_level="warn") == 1


def test_signing_without_a_chart_is_refused(day):
    with pytest.raises(ValidationError, match="Chart the session"):
        session_sign(scope=day.scope, session=checked_in(day), now=NOW)


def _race(workers) -> list:
    barrier = threading.Barrier(len(workers))
    results: list = [None] * len(workers)

    def run(index, work):
        try:
            barrier.wait(timeout=10)
            results[index] = work()
        except Exception as exc:  # the refused signer's error is the result
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, w)) for i, w in enumerate(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


@pytest.mark.django_db(transaction=True)
def test_two_people_signing_at_once_one_signs_the_other_is_told_stock_moves_once(day):
    from mesoclinic.accounts.models import Role
    from mesoclinic.accounts.scope import scope_for
    from mesoclinic.accounts.services import user_create
    from mesoclinic.scheduling.services import credential_grant
    from tests.conftest import PASSWORD

    world = day.world
    colleague = user_create(
        organisation=world.organisation,
        username=f"colleague{world.organisation.pk}",
        email=f"colleague{world.organisation.pk}@example.test",
        password=PASSWORD,
        display_name="Colleague",
        memberships=[(world.clinic, Role.PRACTITIONER)],
    )
    credential_grant(
        scope=world.scope("owner"), practitioner=colleague, technique_id="technique.nappage"
    )
    session = charted(day, [row("zone.cheeks", lot=day.lot, volume="1.2")])
    scopes = [day.scope, scope_for(colleague, clinic_id=world.clinic.pk)]
    results = _race([lambda s=s: session_sign(scope=s, session=session, now=NOW) for s in scopes])
    signed = [r for r in results if isinstance(r, TreatmentSession)]
    told = [r for r in results if isinstance(r, ValidationError)]
    assert len(signed) == 1 and len(told) == 1, results
    assert "already signed" in told[0].messages[0]
    assert uses(day.lot).count() == 1
    assert StockBalance.objects.get(lot=day.lot, clinic=world.clinic).quantity_ul == 48_800
