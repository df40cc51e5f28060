"""Facts imported from another system wait on their own page until a clinician decides."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

NOW = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)

BUNDLE = {
    "resourceType": "Bundle",
    "type": "collection",
    "entry": [
        {
            "resource": {
                "resourceType": "Patient",
                "id": "gp-1",
                "name": [{"family": "Reported", "given": ["Facts"]}],
                "birthDate": "1979-03-04",
                "gender": "female",
            }
        },
        {
            "resource": {
                "resourceType": "AllergyIntolerance",
                "id": "a1",
                "patient": {"reference": "Patient/gp-1"},
                "code": {
                    "coding": [
                        {
                            "system": "https://mesoclinic.org/fhir/CodeSystem/allergen",
                            "code": "ingredient.lidocaine",
                        }
                    ]
                },
            }
        },
        {
            "resource": {
                "resourceType": "Condition",
                "id": "c1",
                "subject": {"reference": "Patient/gp-1"},
                "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10", "code": "D66"}]},
            }
        },
        {
            "resource": {
                "resourceType": "MedicationStatement",
                "id": "m1",
                "status": "active",
                "subject": {"reference": "Patient/gp-1"},
                "medicationCodeableConcept": {
                    "coding": [{"system": "http://www.whocc.no/atc", "code": "B01AA03"}]
                },
            }
        },
    ],
}


@pytest.mark.django_db
def test_a_clinician_confirms_one_reported_fact_and_rejects_another(world):
    from mesoclinic.interop.models import ImportedFact
    from mesoclinic.interop.services import bundle_import

    patient = bundle_import(scope=world.scope("nurse"), data=BUNDLE, now=NOW, today=NOW.date())
    allergy = ImportedFact.objects.get(patient=patient, kind="allergy")
    condition = ImportedFact.objects.get(patient=patient, kind="condition")
    assert condition.code == "condition.haemophilia"  # read through ICD-10
    medication = ImportedFact.objects.get(patient=patient, kind="medication")
    # Read through ATC: the medicine's class, and its name for the clinician.
    assert (medication.code, medication.label) == ("medclass.anticoagulant", "Warfarin")

    client = Client()
    client.force_login(world.users["practitioner"])
    detail = client.get(f"/patients/{patient.pk}/").content.decode()
    assert "3 facts reported by another system to confirm" in detail
    page = client.get(f"/data-rights/patients/{patient.pk}/reported/").content.decode()
    assert "Haemophilia" in page and "condition.haemophilia" not in page
    url = f"/data-rights/patients/{patient.pk}/reported/"
    client.post(url, {"fact": allergy.pk, "decision": "confirm"})
    client.post(url, {"fact": condition.pk, "decision": "reject"})
    assert [(f.kind, f.code) for f in patient.history.all()] == [
        ("allergy", "ingredient.lidocaine")
    ]
    condition.refresh_from_db()
    assert condition.status == "rejected"
    # Decided facts are gone from the page; a receptionist cannot see it at all.
    client.post(url, {"fact": medication.pk, "decision": "reject"})
    assert "Nothing is waiting." in client.get(url).content.decode()
    receptionist = Client()
    receptionist.force_login(world.users["receptionist"])
    assert receptionist.get(url).status_code == 403
