"""Injection points placed on a picture: validation, the volume rule, screening, immutability."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, InternalError, OperationalError, connection, transaction

from mesoclinic.charting.models import ChartEntry, ChartPoint
from mesoclinic.charting.services import PointForm, chart_save, session_sign
from mesoclinic.inventory.models import MovementKind, StockBalance, StockMovement
from tests.charting.factories import NOW, checked_in, make_day, receive, row

DB_REFUSAL = (IntegrityError, InternalError, OperationalError)


@pytest.fixture
def day(world, active_plan):
    return make_day(world, active_plan)


def pt(row_key="0", *, x="0.4", y="0.5", volume="", depth="", kind="point", **extra):
    return PointForm(
        row=row_key,
        canvas=extra.pop("canvas", "face"),
        kind=kind,
        x=x,
        y=y,
        volume=volume,
        depth=depth,
        **extra,
    )


def save(day, rows, points, session=None):
    session = session or checked_in(day)
    return chart_save(
        scope=day.scope,
        session=session,
        rows=rows,
        points=points,
        expected_version=session.version,
        save_token="",
        now=NOW,
    )


def test_points_and_a_line_are_stored_with_their_entry_and_fill_the_row_volume(day):
    session = save(
        day,
        [row("zone.cheeks", lot=day.lot, volume="", depth="1.0")],
        [
            pt(volume="0.2", depth="1.0"),
            pt(x="0.6", volume="0.3", depth="1.5"),
            pt(kind="line", x="0.1", y="0.1", x2="0.3", y2="0.2", volume="0.5", depth="0.8"),
        ],
    )
    entry = ChartEntry.objects.get(session=session)
    assert entry.volume_ml == 1
    points = list(ChartPoint.objects.filter(entry=entry).order_by("position"))
    assert [p.kind for p in points] == ["point", "point", "line"]
    assert (points[2].x2, points[2].y2) == (Decimal("0.3"), Decimal("0.2"))
    assert all(p.session_id == session.pk for p in points)


@pytest.mark.parametrize(
    ("point", "message"),
    [
        (pt(x="1.2"), "must lie on the picture"),
        (pt(y="-0.1"), "must lie on the picture"),
        (pt(x="abc"), "must lie on the picture"),
        (pt(kind="line", x2="0.5"), "must lie on the picture"),
        (pt(x2="0.5", y2="0.5"), "one position"),
        (pt(canvas="ceiling"), "one of the pictures"),
        (pt(canvas="photo", photo="999999"), "not one of the patient's"),
        (pt(volume="-1"), "more than 0 mL"),
        (pt(volume="0.0001"), "not a possible volume"),
        (pt(depth="120"), "between 0 and 99.9 mm"),
        (pt("7"), "belongs to no row"),
    ],
)
def test_a_bad_point_is_refused_and_nothing_is_written(day, point, message):
    with pytest.raises(ValidationError, match=message):
        save(day, [row("zone.cheeks", lot=day.lot, volume="1.0")], [point])
    assert not ChartEntry.objects.exists()
    assert not ChartPoint.objects.exists()


def test_the_row_volume_must_equal_the_sum_of_its_points(day):
    with pytest.raises(ValidationError, match=r"points add up to 0\.5 mL but the row says 2"):
        save(
            day,
            [row("zone.cheeks", lot=day.lot, volume="2.0")],
            [pt(volume="0.2"), pt(volume="0.3")],
        )
    with pytest.raises(ValidationError, match="every point of the row a volume, or none"):
        save(day, [row("zone.cheeks", lot=day.lot, volume="")], [pt(volume="0.2"), pt()])
    # Points without volumes only mark where the row's volume went.
    session = save(day, [row("zone.cheeks", lot=day.lot, volume="2.0")], [pt(), pt(x="0.7")])
    assert ChartEntry.objects.get(session=session).volume_ml == 2


def test_the_session_volume_limit_counts_the_points_volumes(day):
    # 25 points of 1 mL: the row's volume is their sum, over the 20 mL session limit.
    points = [pt(x=f"0.{i:02d}", volume="1") for i in range(25)]
    with pytest.raises(ValidationError, match="20"):
        save(day, [row("zone.cheeks", lot=day.lot, volume="")], points)
    assert not ChartPoint.objects.exists()


def test_a_point_depth_outside_the_technique_is_screened(day):
    # Nappage is superficial: a point placed 6 mm deep is refused even if the row says 1 mm.
    with pytest.raises(ValidationError):
        save(day, [row("zone.cheeks", lot=day.lot, volume="1.0", depth="1.0")], [pt(depth="6")])
    assert not ChartPoint.objects.exists()
    save(day, [row("zone.cheeks", lot=day.lot, volume="1.0", depth="1.0")], [pt(depth="1.0")])
    assert ChartPoint.objects.count() == 1


def test_a_point_with_its_own_lot_uses_that_lot_at_signing(day, world):
    other = receive(world, day.product, number="LOT-B", ml="10")
    session = save(
        day,
        [row("zone.cheeks", lot=day.lot, volume="")],
        [pt(volume="1.5"), pt(x="0.7", volume="0.5", lot=str(other.pk))],
    )
    session = session_sign(scope=day.scope, session=session, now=NOW)
    assert StockBalance.objects.get(lot=day.lot).quantity_ul == 48_500
    assert StockBalance.objects.get(lot=other).quantity_ul == 9_500
    assert StockMovement.objects.filter(kind=MovementKind.USE).count() == 2
    own = ChartPoint.objects.get(session=session, lot=other)
    assert own.lot_number == "LOT-B"


def test_a_recalled_lot_on_a_point_is_refused(day, world):
    from mesoclinic.inventory.services import lot_recall

    other = receive(world, day.product, number="LOT-R", ml="10")
    lot_recall(scope=day.nurse(), lot=other, reason="Sterility", now=NOW)
    with pytest.raises(ValidationError, match="LOT-R"):
        save(
            day,
            [row("zone.cheeks", lot=day.lot, volume="")],
            [pt(volume="0.5", lot=str(other.pk))],
        )


def test_points_of_a_signed_session_cannot_be_changed_by_the_service_or_the_database(day):
    session = save(day, [row("zone.cheeks", lot=day.lot, volume="")], [pt(volume="1")])
    session = session_sign(scope=day.scope, session=session, now=NOW)
    with pytest.raises(ValidationError, match="signed and cannot be changed"):
        save(day, [row("zone.cheeks", lot=day.lot, volume="")], [pt(volume="2")], session=session)
    point = ChartPoint.objects.get(session=session)
    for attempt in (
        lambda: ChartPoint.objects.filter(pk=point.pk).update(volume_ml="3"),
        lambda: ChartPoint.objects.filter(pk=point.pk)._raw_delete(connection.alias),
        lambda: ChartPoint.objects.create(
            organisation_id=point.organisation_id,
            session=session,
            entry_id=point.entry_id,
            canvas="face",
            x="0.1",
            y="0.1",
        ),
    ):
        with pytest.raises(DB_REFUSAL), transaction.atomic():
            attempt()
    assert ChartPoint.objects.get(session=session).volume_ml == 1


def test_the_database_refuses_a_point_off_the_picture(day):
    session = save(day, [row("zone.cheeks", lot=day.lot, volume="1.0")], [pt()])
    entry = ChartEntry.objects.get(session=session)
    with pytest.raises(IntegrityError), transaction.atomic():
        ChartPoint.objects.create(
            organisation_id=entry.organisation_id,
            session=session,
            entry=entry,
            canvas="face",
            x="1.5",
            y="0.1",
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        ChartPoint.objects.create(
            organisation_id=entry.organisation_id,
            session=session,
            entry=entry,
            canvas="face",
            kind="line",
            x="0.5",
            y="0.1",
        )
