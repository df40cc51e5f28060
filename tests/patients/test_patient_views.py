"""Patient pages: registration with duplicate offer, field errors in Russian, clinical hiding."""

from __future__ import annotations

from django.test import Client

from mesoclinic.accounts.services import user_language_set
from mesoclinic.patients.models import Patient


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


FORM = {
    "family_name": "Петрова",
    "given_name": "Ольга",
    "birth_date": "1980-05-05",
    "sex": "female",
    "preferred_language": "ru",
    "data_consent": "on",
}


def test_registering_a_duplicate_offers_the_existing_record(world):
    client = client_for(world.users["receptionist"])
    first = client.post("/patients/new/", FORM)
    assert first.status_code == 302
    existing = Patient.objects.get()
    again = client.post("/patients/new/", {**FORM, "family_name": "Petrova", "given_name": "Olga"})
    page = again.content.decode()
    assert again.status_code == 200
    assert f"/patients/{existing.pk}/" in page
    assert Patient.objects.count() == 1
    confirmed = client.post(
        "/patients/new/", {**FORM, "family_name": "Petrova", "confirm_different": "on"}
    )
    assert confirmed.status_code == 302
    assert Patient.objects.count() == 2


def test_future_birth_date_is_a_field_error_in_the_users_language(world):
    user = world.users["receptionist"]
    user_language_set(user=user, language="ru")
    response = client_for(user).post("/patients/new/", {**FORM, "birth_date": "2999-01-01"})
    page = response.content.decode()
    assert 'id="id_birth_date_errors"' in page
    assert "Дата рождения не может быть в будущем" in page
    assert not Patient.objects.exists()


def test_receptionist_sees_demographics_but_no_clinical_history(world, patient_of):
    from django.utils import timezone

    from mesoclinic.patients.services import history_fact_record

    patient = patient_of(world)
    history_fact_record(
        scope=world.scope("practitioner"),
        patient=patient,
        kind="note",
        note="Very private clinical note",
        now=timezone.now(),
        today=timezone.localdate(),
    )
    reception = client_for(world.users["receptionist"])
    page = reception.get(f"/patients/{patient.pk}/").content.decode()
    assert patient.full_name in page
    assert "Very private clinical note" not in page
    assert reception.get(f"/patients/{patient.pk}/history/").status_code == 403
    doctor = client_for(world.users["practitioner"])
    assert "Very private clinical note" in doctor.get(f"/patients/{patient.pk}/").content.decode()


def test_unknown_allergy_is_shown_as_needing_coding(world, patient_of):
    patient = patient_of(world)
    client = client_for(world.users["practitioner"])
    response = client.post(
        f"/patients/{patient.pk}/history/add/",
        {"kind": "allergy", "label": "Strawberries", "present": "on"},
    )
    assert response.status_code == 302
    page = client.get(f"/patients/{patient.pk}/").content.decode()
    assert 'data-testid="needs-coding"' in page
    assert "Strawberries" in page


def test_the_search_pager_counts_the_matches_in_the_users_language(world, monkeypatch):
    import datetime as dt

    from mesoclinic.patients import selectors
    from mesoclinic.patients.services import patient_create

    scope = world.scope("receptionist")
    for i in range(27):
        patient_create(
            scope=scope,
            family_name=f"Orlova{i:02d}",
            given_name="Anna",
            birth_date=dt.date(1990, 1, 1) + dt.timedelta(days=i),
            today=dt.date(2026, 11, 23),
        )
    user = world.users["receptionist"]
    client = client_for(user)
    first = client.get("/patients/?q=orlo").content.decode()
    assert "1–25 of 27" in first and "Orlova24" in first and "Orlova25" not in first
    second = client.get("/patients/?q=орло&page=2", HTTP_HX_REQUEST="true").content.decode()
    assert "26–27 of 27" in second and "Orlova26" in second and "Orlova00" not in second
    monkeypatch.setattr(selectors, "COUNT_CAP", 26)
    user_language_set(user=user, language="ru")
    capped = client.get("/patients/?q=orlova").content.decode()
    assert "1–25 из 26+" in capped
    assert "Подходит много пациентов" in capped
