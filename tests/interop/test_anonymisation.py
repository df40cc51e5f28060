"""Anonymisation when retention ends: no identifying text anywhere, clinical facts kept,
and the triggers of signed records still refuse every other UPDATE."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import DatabaseError, connection, transaction

from tests.charting.factories import NOW, TODAY

PHONE_DIGITS = "79001234567"


def _text_hits(needles: list[str]) -> list[tuple[str, str, str]]:
    """(table, column, needle) for every column of every table whose text contains a needle."""
    hits = []
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            for column in connection.introspection.get_table_description(cursor, table):
                for needle in needles:
                    # Names from the database's own catalogue, quoted; the needle is a parameter.
                    sql = f"SELECT COUNT(*) FROM {quote(table)} WHERE LOWER(CAST({quote(column.name)} AS TEXT)) LIKE %s"  # noqa: E501, S608
                    cursor.execute(sql, [f"%{needle.lower()}%"])
                    if cursor.fetchone()[0]:
                        hits.append((table, column.name, needle))
    return hits


def _write_free_text(world, patient, name: str) -> None:
    """Free text naming the patient in every kind of record that has some."""
    from mesoclinic.charting.models import SideEffect, TreatmentSession
    from mesoclinic.charting.services import addendum_create
    from mesoclinic.consultations.services import consultation_create
    from mesoclinic.outcomes.services import score_record
    from mesoclinic.patients.services import history_fact_record

    scope = world.scope("practitioner")
    session = TreatmentSession.objects.get(patient=patient, status="signed")
    addendum_create(scope=scope, session=session, text=f"Called {name} back", now=NOW)
    consultation_create(
        scope=scope.in_clinic(session.clinic_id),
        patient=patient,
        now=NOW,
        today=TODAY,
        examination=f"{name} has fine lines",
        concerns=f"{name} worries about bruising",
        indications=["indication.dehydration"],
        zones=["zone.cheeks"],
    )
    history_fact_record(
        scope=scope,
        patient=patient,
        kind="condition",
        code="",
        label=f"Hay fever, says {name}",
        note=f"Reported by {name}",
        now=NOW,
        today=TODAY,
    )
    score_record(
        scope=scope,
        patient=patient,
        session=session,
        timepoint="session",
        scale_id="scale.pain-vas",
        value="1",
        rater="subject",
        scored_on=TODAY,
        note=f"{name} said it barely hurt",
        now=NOW,
    )
    # Notes written before a later change of the services, as they may be in old rows.
    SideEffect.objects.filter(patient=patient).update(note=f"{name} phoned")
    patient.appointments.update(notes=f"Ring {name} on {PHONE_DIGITS}")
    # The stock ledger: a write-off whose reason names the patient, and one of the
    # patient's own (use) lines with a reason, as an older import may have written.
    from mesoclinic.inventory.models import StockMovement
    from mesoclinic.inventory.services import stock_waste

    use = StockMovement.objects.filter(patient=patient).first()
    stock_waste(
        scope=world.scope("owner").in_clinic(use.clinic_id),
        lot=use.lot,
        quantity_ml="0.1",
        reason=f"Vial dropped during {name}'s session",
        at=NOW,
    )
    use.pk = None
    use.reason = f"Top-up for {name}"
    use.save()


def _raw_update(sql: str, params: list) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)


def _refused(sql: str, params: list) -> bool:
    try:
        _raw_update(sql, params)
    except DatabaseError:
        return True
    return False


@pytest.mark.django_db
def test_anonymised_records_hold_no_identifying_text_and_keep_the_clinical_facts(
    world, photographed, django_capture_on_commit_callbacks
):
    from mesoclinic.charting.models import ChartEntry, SideEffect, TreatmentSession
    from mesoclinic.consultations.models import Consent
    from mesoclinic.interop.models import AnonymisationPass, ErasureStatus
    from mesoclinic.interop.services import request_erasure, retention_run
    from mesoclinic.inventory.models import StockMovement
    from mesoclinic.outcomes.models import OutcomeScore
    from mesoclinic.photos.models import Photo, PhotoConsent

    patient = photographed
    name, email, phone = patient.full_name, patient.email, patient.phone
    _write_free_text(world, patient, name)
    identifying = [name, email, phone, PHONE_DIGITS]
    assert {t for t, _c, _n in _text_hits(identifying)} >= {
        "charting_addendum",
        "consultations_consent",
        "consultations_consultation",
        "inventory_stockmovement",
        "patients_historyfact",
        "patients_patient",
        "photos_photoconsent",
    }
    entries = list(
        ChartEntry.objects.filter(session__patient=patient).values_list(
            "zone_id", "product_id", "lot_id", "lot_number", "volume_ml"
        )
    )
    session_days = list(
        TreatmentSession.objects.filter(patient=patient).values_list("session_date", flat=True)
    )
    ledger = list(StockMovement.objects.values_list("pk", "kind", "quantity_ul", "patient_id"))

    erasure = request_erasure(patient, requested_by=world.users["owner"], reason=f"{name} asked")
    assert erasure.status == ErasureStatus.RETAINED
    # Kept until retention ends: the signed consent still names its signer.
    assert Consent.objects.get(patient=patient).signer_name == "Course Patient"
    end = dt.datetime.combine(erasure.retain_until, dt.time(12), tzinfo=dt.UTC)
    with django_capture_on_commit_callbacks(execute=True):
        assert retention_run(now=end) == [erasure.pk]

    assert _text_hits(identifying) == []
    assert not AnonymisationPass.objects.exists()  # the pass never outlives its transaction
    # The clinical facts stay: sessions on their days, products, lots, zones, volumes.
    assert (
        list(
            ChartEntry.objects.filter(session__patient=patient).values_list(
                "zone_id", "product_id", "lot_id", "lot_number", "volume_ml"
            )
        )
        == entries
    )
    assert (
        list(
            TreatmentSession.objects.filter(patient=patient).values_list("session_date", flat=True)
        )
        == session_days
    )
    assert list(StockMovement.objects.values_list("pk", "kind", "quantity_ul", "patient_id")) == (
        ledger
    )
    assert StockMovement.objects.filter(reason=f"Vial dropped during #{patient.pk}'s session")
    assert SideEffect.objects.filter(patient=patient, kind="se.bruising").count() == 1
    assert OutcomeScore.objects.filter(patient=patient).count() == 3
    assert Consent.objects.filter(patient=patient).count() == 1
    assert PhotoConsent.objects.filter(patient=patient).count() == 1
    assert not Photo.objects.filter(patient=patient).exists()

    # What remains still exports as valid FHIR, and the consent still renders as a PDF.
    from mesoclinic.consultations.documents import consent_pdf
    from mesoclinic.interop.fhir.export import patient_everything, validate

    for resource in patient_everything(patient, with_pdfs=False):
        validate(resource)
    assert consent_pdf(consent=Consent.objects.get(patient=patient)).startswith(b"%PDF")


@pytest.mark.django_db
def test_signed_records_still_refuse_a_raw_update_outside_anonymisation(world, record):
    from mesoclinic.charting.models import Addendum, TreatmentSession
    from mesoclinic.charting.services import addendum_create
    from mesoclinic.consultations.models import Consent
    from mesoclinic.interop.models import AnonymisationPass
    from mesoclinic.interop.services import request_erasure, retention_run
    from mesoclinic.inventory.models import StockMovement
    from mesoclinic.patients.models import HistoryFact

    session = TreatmentSession.objects.get(patient=record, status="signed")
    addendum = addendum_create(
        scope=world.scope("practitioner"), session=session, text="Checked", now=NOW
    )
    consent = Consent.objects.get(patient=record)
    fact = HistoryFact.objects.filter(patient=record).first()
    updates = [
        ("UPDATE consultations_consent SET signer_name = %s WHERE id = %s", ["X", consent.pk]),
        ("UPDATE charting_addendum SET text = %s WHERE id = %s", ["X", addendum.pk]),
        (
            "UPDATE charting_treatmentsession SET override_reason = %s WHERE id = %s",
            ["X", session.pk],
        ),
        ("UPDATE patients_historyfact SET note = %s WHERE id = %s", ["X", fact.pk]),
    ]
    assert all(_refused(sql, params) for sql, params in updates)

    # A pass for another patient opens nothing for this one.
    with transaction.atomic():
        AnonymisationPass.objects.create(patient_id=record.pk + 100000)
        assert all(_refused(sql, params) for sql, params in updates)
        transaction.set_rollback(True)
    # Even under this patient's pass, a record cannot be moved to another patient
    # nor a signed session reopened.
    with transaction.atomic():
        AnonymisationPass.objects.create(patient_id=record.pk)
        assert _refused(
            "UPDATE consultations_consent SET patient_id = %s WHERE id = %s",
            [record.pk + 100000, consent.pk],
        )
        assert _refused(
            "UPDATE charting_treatmentsession SET status = %s WHERE id = %s",
            ["charting", session.pk],
        )
        transaction.set_rollback(True)

    # The stock ledger: under this patient's pass only a reason may change.
    line = StockMovement.objects.filter(patient=record).first()
    reason = ("UPDATE inventory_stockmovement SET reason = %s WHERE id = %s", ["X", line.pk])
    assert _refused(*reason)
    with transaction.atomic():
        AnonymisationPass.objects.create(patient_id=record.pk)
        for column, value in [("quantity_ul", -1), ("patient_id", None), ("kind", "waste")]:
            assert _refused(
                f"UPDATE inventory_stockmovement SET reason = %s, {column} = %s WHERE id = %s",  # noqa: S608
                ["X", value, line.pk],
            )
        assert _refused("DELETE FROM inventory_stockmovement WHERE id = %s", [line.pk])
        assert not _refused(*reason)
        transaction.set_rollback(True)

    erasure = request_erasure(record, requested_by=world.users["owner"])
    end = dt.datetime.combine(erasure.retain_until, dt.time(12), tzinfo=dt.UTC)
    assert retention_run(now=end) == [erasure.pk]
    assert Addendum.objects.get(pk=addendum.pk).text == "—"
    assert _refused(*reason)
    # After the anonymisation, the same statements are refused as before.
    assert all(_refused(sql, params) for sql, params in updates)
