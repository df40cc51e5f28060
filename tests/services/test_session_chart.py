"""Charting: the server validates every row and the engine screens the whole chart."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from mesoclinic.charting.models import ChartEntry, SessionStatus
from mesoclinic.charting.services import chart_save, session_override
from mesoclinic.inventory.services import lot_recall
from tests.charting.factories import (
    NOW,
    TODAY,
    checked_in,
    make_day,
    make_product,
    receive,
    row,
)


@pytest.fixture
def day(world, active_plan):
    return make_day(world, active_plan)


def save(day, session, rows, **kw):
    return chart_save(
        scope=kw.pop("scope", day.scope),
        session=session,
        rows=rows,
        expected_version=kw.pop("version", session.version),
        save_token=kw.pop("token", ""),
        now=kw.pop("now", NOW),
    )


def refused(day, rows, match):
    session = checked_in(day)
    with pytest.raises(ValidationError) as exc:
        save(day, session, rows)
    assert any(match in m for m in exc.value.messages), exc.value.messages
    assert not ChartEntry.objects.filter(session=session).exists()


def test_three_zones_are_saved_with_the_engine_result(day):
    session = checked_in(day)
    rows = [
        row(z, lot=day.lot, volume="1.5") for z in ("zone.cheeks", "zone.forehead", "zone.neck")
    ]
    session = save(day, session, rows)
    assert session.status == SessionStatus.CHARTING
    assert list(session.entries.values_list("zone_id", flat=True)) == [
        "zone.cheeks",
        "zone.forehead",
        "zone.neck",
    ]
    assert session.chart_screening["knowledge_version"]


def test_more_than_the_session_volume_limit_is_blocked_with_the_reason(day):
    rows = [row(z, lot=day.lot, volume="8") for z in ("zone.cheeks", "zone.forehead", "zone.neck")]
    refused(day, rows, "20")


def test_negative_and_absurd_volumes_are_refused(day):
    refused(day, [row(lot=day.lot, volume="-1")], "more than 0 mL")
    refused(day, [row(lot=day.lot, volume="1e9")], "not a possible volume")
    refused(day, [row(lot=day.lot, volume="abc")], "not a number")


def test_a_depth_outside_the_technique_range_is_blocked_by_the_engine(day):
    refused(day, [row(lot=day.lot, depth="9")], "Nappage")


def test_a_recalled_lot_cannot_be_charted(day):
    lot_recall(scope=day.nurse(), lot=day.lot, reason="Manufacturer notice", now=NOW)
    refused(day, [row(lot=day.lot)], "recalled")


def test_an_expired_lot_cannot_be_charted(day):
    old = receive(day.world, day.product, number="OLD-1", expiry=TODAY - dt.timedelta(days=1))
    refused(day, [row(lot=old)], "expired")


def test_a_lot_of_another_clinic_or_organisation_cannot_be_charted(day, make_org):
    from mesoclinic.accounts.scope import scope_for

    elsewhere = scope_for(day.world.users["owner"], clinic_id=day.world.other_clinic.pk)
    other_clinic_lot = receive(day.world, day.product, number="ELSEWHERE", scope=elsewhere)
    refused(day, [row(lot=other_clinic_lot)], "not stocked at this clinic")
    stranger = make_org()
    foreign = receive(stranger, make_product(stranger), number="FOREIGN")
    refused(day, [row(lot=foreign)], "Unknown lot")


def test_more_than_is_left_in_the_lot_is_refused(day):
    small = receive(day.world, day.product, number="SMALL", ml="1")
    refused(day, [row(lot=small, volume="1.5")], "Only 1 mL of lot SMALL left")


def test_a_technique_the_practitioner_is_not_credentialed_for_is_blocked(day):
    refused(
        day, [row(lot=day.lot, technique="technique.point-by-point", depth="4")], "credentialed"
    )


def test_an_override_does_not_lift_the_volume_limit(day):
    from mesoclinic.charting.screening import Answer
    from tests.charting.factories import no_answers

    session = checked_in(day, answers={**no_answers(), "vq.menstruation": Answer(yes=True)})
    session = session_override(scope=day.scope, session=session, reason="Light, agreed", now=NOW)
    with pytest.raises(ValidationError, match="20"):
        save(
            day,
            session,
            [
                row(z, lot=day.lot, volume="8")
                for z in ("zone.cheeks", "zone.forehead", "zone.neck")
            ],
        )
    assert save(day, session, [row(lot=day.lot)]).status == SessionStatus.CHARTING


def test_a_retried_save_is_idempotent_and_a_stale_save_is_refused(day):
    session = checked_in(day)
    first = save(day, session, [row(lot=day.lot)], token="tok-1")
    again = save(day, session, [row(lot=day.lot)], token="tok-1", version=session.version)
    assert again.version == first.version
    assert ChartEntry.objects.filter(session=session).count() == 1
    with pytest.raises(ValidationError, match="Someone else saved"):
        save(day, session, [row(lot=day.lot)], token="tok-2", version=session.version)


def test_a_failed_save_leaves_the_previous_chart_whole(day):
    session = save(day, checked_in(day), [row(lot=day.lot, volume="2")])
    with pytest.raises(ValidationError):
        save(
            day, session, [row(lot=day.lot, volume="2"), row("zone.neck", lot=day.lot, volume="-3")]
        )
    assert list(session.entries.values_list("zone_id", "volume_ml")) == [("zone.cheeks", 2)]


def test_charting_needs_a_check_in_of_the_same_day(day):
    session = checked_in(day)
    with pytest.raises(ValidationError, match="check-in today"):
        save(day, session, [row(lot=day.lot)], now=NOW + dt.timedelta(days=1))


def test_a_nurse_cannot_chart(day):
    session = checked_in(day)
    with pytest.raises(Exception) as exc:
        save(day, session, [row(lot=day.lot)], scope=day.nurse())
    assert exc.type.__name__ == "PermissionDenied"
