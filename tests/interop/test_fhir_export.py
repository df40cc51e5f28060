"""The FHIR export of one patient: every resource valid R4, and the bundle says what the
database holds."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from pypdf import PdfReader

from mesoclinic.interop.fhir import codes
from mesoclinic.interop.fhir.export import bundle, patient_everything, validate

NOW = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)


def _read(record, *, with_pdfs=True):
    """The bundle parsed back with fhir.resources, and its resources grouped by type."""
    from fhir.resources.R4B.bundle import Bundle

    data = bundle(patient_everything(record, with_pdfs=with_pdfs), now=NOW)
    parsed = Bundle.model_validate(data)
    by_type: dict[str, list] = {}
    for entry in parsed.entry:
        by_type.setdefault(entry.resource.get_resource_type(), []).append(entry.resource)
    return data, by_type


@pytest.mark.django_db
def test_every_exported_resource_is_valid_fhir_and_every_reference_resolves(photographed):
    resources = patient_everything(photographed, with_pdfs=False)
    types = {r["resourceType"] for r in resources}
    assert types >= {
        "Patient",
        "Practitioner",
        "PractitionerRole",
        "Organization",
        "Location",
        "Appointment",
        "Consent",
        "Condition",
        "AllergyIntolerance",
        "MedicationStatement",
        "Procedure",
        "MedicationAdministration",
        "AdverseEvent",
        "Media",
        "Observation",
    }
    for resource in resources:
        validate(resource)
    ids = [(r["resourceType"], r["id"]) for r in resources]
    assert len(ids) == len(set(ids)), "a resource is exported twice"
    data = bundle(resources, now=NOW)
    present = {f"{e['resource']['resourceType']}/{e['resource']['id']}" for e in data["entry"]}

    def refs(value):
        if isinstance(value, dict):
            for key, inner in value.items():
                if key == "reference" and not inner.startswith("#"):
                    yield inner
                else:
                    yield from refs(inner)
        elif isinstance(value, list):
            for inner in value:
                yield from refs(inner)

    dangling = {r for e in data["entry"] for r in refs(e["resource"])} - present
    assert dangling == set()


@pytest.mark.django_db
def test_round_trip_matches_the_database(record):
    from mesoclinic.charting.models import ChartEntry, SideEffect, TreatmentSession
    from mesoclinic.consultations.models import Consent

    _, by_type = _read(record)
    (patient,) = by_type["Patient"]
    assert patient.name[0].family == record.family_name
    assert patient.name[0].given[0] == record.given_name
    assert patient.birthDate == record.birth_date
    assert patient.gender == "female"
    assert {t.value for t in patient.telecom} == {record.phone, record.email}

    allergy = by_type["AllergyIntolerance"][0]
    assert (codes.ALLERGEN, "ingredient.lidocaine") in {
        (c.system, c.code) for c in allergy.code.coding
    }
    conditions = {c.code.text: c for c in by_type["Condition"]}
    haemophilia = [c for c in by_type["Condition"] if c.code.coding]
    assert {(c.system, c.code) for c in haemophilia[0].code.coding} >= {
        (codes.ICD10, "D66"),
        (codes.CONDITION, "condition.haemophilia"),
    }
    assert "Seasonal hay fever" in conditions
    assert conditions["Seasonal hay fever"].verificationStatus.coding[0].code == "confirmed"
    (statement,) = by_type["MedicationStatement"]
    assert (codes.ATC, "B01AA03") in {
        (c.system, c.code) for c in statement.medicationCodeableConcept.coding
    }

    session = TreatmentSession.objects.get(patient=record)
    (procedure,) = by_type["Procedure"]
    assert procedure.id == str(session.pk)
    assert procedure.performedDateTime == session.session_date
    assert procedure.performer[0].actor.reference == f"Practitioner/{session.practitioner_id}"
    assert [s.coding[0].code for s in procedure.bodySite] == ["zone.cheeks"]
    assert procedure.extension[0].valueCodeableConcept.coding[0].code == "technique.nappage"

    entries = ChartEntry.objects.filter(session=session, product__isnull=False)
    administered = by_type["MedicationAdministration"]
    assert len(administered) == entries.count() == 1
    medication = administered[0].contained[0]
    assert medication.batch.lotNumber == entries[0].lot_number == "LOT-A"
    assert medication.batch.expirationDate == entries[0].lot_expiry
    assert administered[0].dosage.dose.value == pytest.approx(float(entries[0].volume_ml))

    (event,) = by_type["AdverseEvent"]
    side_effect = SideEffect.objects.get(patient=record)
    assert event.event.coding[0].code == side_effect.kind == "se.bruising"
    assert event.suspectEntity[0].instance.reference == f"Procedure/{session.pk}"

    treatment = [c for c in by_type["Consent"] if not c.id.startswith("privacy-")]
    assert len(treatment) == Consent.objects.filter(patient=record).count() == 1
    # fhir.resources hands base64Binary back decoded.
    pdf = PdfReader(io.BytesIO(treatment[0].sourceAttachment.data))
    assert "Course Patient" in "".join(page.extract_text() for page in pdf.pages)
    (privacy,) = [c for c in by_type["Consent"] if c.id.startswith("privacy-")]
    assert privacy.status == "active"
    assert privacy.provision.type == "permit"

    appointments = by_type["Appointment"]
    assert {a.id for a in appointments} == {str(a.pk) for a in record.appointments.all()}


@pytest.mark.django_db
def test_a_withdrawn_data_consent_is_exported_as_inactive(record, world):
    from mesoclinic.patients.services import patient_update

    patient_update(
        scope=world.scope("receptionist"), patient=record, today=NOW.date(), data_consent=False
    )
    record.refresh_from_db()
    _, by_type = _read(record, with_pdfs=False)
    privacy = [c for c in by_type["Consent"] if c.id.startswith("privacy-")]
    # The withdrawal clears the stamp; nothing claims a consent that is no longer given.
    assert all(c.status == "inactive" and c.provision.type == "deny" for c in privacy)
