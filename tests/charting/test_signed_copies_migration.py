"""Migration charting 0003 gives sessions signed before it their copies, triggers kept."""

from __future__ import annotations

import importlib

import pytest
from django.db import IntegrityError, InternalError, OperationalError, connection, transaction

from mesoclinic.charting.models import ChartEntry, TreatmentSession
from mesoclinic.charting.services import session_sign
from tests.charting.factories import NOW, charted, make_day
from tests.scheduling.conftest import active_plan, clinic_setup  # noqa: F401

migration = importlib.import_module(
    "mesoclinic.charting.migrations.0003_signed_record_frozen_copies"
)
immutable = importlib.import_module("mesoclinic.charting.migrations.0002_signed_immutable")


def _as_before_the_upgrade(session) -> None:
    """Blank the copies, as on a session signed before they existed (triggers lifted)."""
    blank = [
        "UPDATE charting_chartentry SET product_name = '', lot_number = '', lot_expiry = NULL",
        "UPDATE charting_treatmentsession SET appointment_status = '', "
        "appointment_starts_at = NULL",
    ]
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            for sql in immutable.SQLITE_DOWN + blank + immutable.SQLITE_UP:
                cursor.execute(sql)
        else:
            cursor.execute(migration.POSTGRES_LIFT)
            for sql in blank:
                cursor.execute(sql)
            cursor.execute(migration.POSTGRES_RESTORE)


@pytest.mark.django_db(transaction=True)
def test_sessions_signed_before_the_migration_get_their_copies_and_stay_immutable(
    world,
    active_plan,  # noqa: F811
):
    day = make_day(world, active_plan)
    session = session_sign(scope=day.scope, session=charted(day), now=NOW)
    _as_before_the_upgrade(session)
    assert ChartEntry.objects.get(session=session).lot_number == ""

    with connection.schema_editor() as editor:
        migration.copy_signed(None, editor)

    entry = ChartEntry.objects.get(session=session)
    assert (entry.product_name, entry.lot_number) == ("Revitalising cocktail", "LOT-A")
    assert entry.lot_expiry == day.lot.expiry_date
    signed = TreatmentSession.objects.get(pk=session.pk)
    assert signed.appointment_status == "done"
    assert signed.appointment_starts_at == day.appointment.starts_at
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM audit_purge_guard")
    for attempt in (
        lambda: ChartEntry.objects.filter(session=session).update(lot_number="X"),
        lambda: TreatmentSession.objects.filter(pk=session.pk).update(appointment_status="x"),
    ):
        with pytest.raises((IntegrityError, InternalError, OperationalError)), transaction.atomic():
            attempt()
