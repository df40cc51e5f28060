"""The owners' administration pages: only owners of the organisation, errors in the
user's language, nothing half-written."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import translation
from django.utils.formats import date_format

from mesoclinic.accounts.models import OpeningHours, User
from mesoclinic.accounts.services import user_language_set
from mesoclinic.audit.models import AuditEvent
from tests.conftest import PASSWORD
from tests.scheduling.conftest import clinic_setup  # noqa: F401  (shared fixture)


def client_of(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize("role", ["practitioner", "nurse", "receptionist"])
def test_only_owners_reach_the_administration_pages(world, role):
    client = client_of(world.users[role])
    staff_id = world.users["nurse"].pk
    for url in (
        "/account/clinic/",
        "/account/clinics/new/",
        f"/account/clinics/{world.clinic.pk}/",
        "/account/staff/new/",
        f"/account/staff/{staff_id}/",
    ):
        assert client.get(url).status_code == 403, url


def test_another_organisations_clinic_and_staff_are_not_found(world, make_org):
    other = make_org()
    client = client_of(world.users["owner"])
    assert client.get(f"/account/clinics/{other.clinic.pk}/").status_code == 404
    assert client.get(f"/account/staff/{other.users['nurse'].pk}/").status_code == 404
    response = client.post(f"/account/staff/{other.users['nurse'].pk}/", {"action": "deactivate"})
    assert response.status_code == 404
    other.users["nurse"].refresh_from_db()
    assert other.users["nurse"].is_active


def test_the_edit_page_shows_the_clinics_hours(world):
    page = client_of(world.users["owner"]).get(f"/account/clinics/{world.clinic.pk}/")
    html = page.content.decode()
    assert 'name="hours-d0_opens" value="09:00"' in html
    assert 'name="hours-d6_opens"' in html and 'name="hours-d6_opens" value' not in html


def test_overlapping_hours_are_explained_in_russian_and_nothing_changes(world):
    owner = world.users["owner"]
    user_language_set(user=owner, language="ru")
    data = {
        "action": "details",
        "clinic-name": "Renamed",
        "clinic-time_zone": "Europe/Moscow",
        "clinic-locale": "ru",
        "hours-d0_opens": "09:00",
        "hours-d0_closes": "14:00",
        "hours-d0_opens2": "13:00",
        "hours-d0_closes2": "19:00",
    }
    response = client_of(owner).post(f"/account/clinics/{world.clinic.pk}/", data)
    assert response.status_code == 200
    assert "Часы работы одного дня не должны пересекаться." in response.content.decode()
    world.clinic.refresh_from_db()
    assert world.clinic.name == "Main"
    assert OpeningHours.objects.filter(clinic=world.clinic).count() == 6


@pytest.mark.usefixtures("clinic_setup")
def test_a_closure_over_booked_appointments_names_the_day(world, patient_of):
    from mesoclinic.scheduling.services import appointment_book
    from tests.scheduling.conftest import MONDAY, at

    appointment_book(
        scope=world.scope("receptionist"),
        patient=patient_of(world),
        practitioner=world.users["practitioner"],
        starts_at=at(MONDAY, "10:00"),
        duration_min=30,
        technique_id="technique.nappage",
    )
    response = client_of(world.users["owner"]).post(
        f"/account/clinics/{world.clinic.pk}/",
        {"action": "closure", "closure-first_day": "2026-11-29", "closure-last_day": MONDAY},
    )
    html = response.content.decode()
    from mesoclinic.accounts.locales import locale_language

    with translation.override(locale_language(language="en", clinic_locale=world.clinic.locale)):
        day = date_format(dt.date.fromisoformat(MONDAY), "SHORT_DATE_FORMAT")
    assert f"{day}: 1 appointment(s) are booked that day: move them first." in html
    from mesoclinic.scheduling.models import Holiday

    assert not Holiday.objects.filter(clinic=world.clinic).exists()


def test_an_owner_deactivates_and_reactivates_from_the_staff_page(world):
    owner = client_of(world.users["owner"])
    nurse = world.users["nurse"]
    response = owner.post(f"/account/staff/{nurse.pk}/", {"action": "deactivate"})
    assert response.status_code == 302
    nurse.refresh_from_db()
    assert not nurse.is_active
    assert AuditEvent.objects.filter(
        object_type="accounts.User", object_id=str(nurse.pk), detail__active=False
    ).exists()
    page = owner.get(f"/account/staff/{nurse.pk}/").content.decode()
    assert "Deactivated: cannot sign in; their records stay theirs" in page
    owner.post(f"/account/staff/{nurse.pk}/", {"action": "reactivate"})
    nurse.refresh_from_db()
    assert nurse.is_active


def test_a_future_training_date_is_refused_on_the_staff_page(world):
    owner = client_of(world.users["owner"])
    practitioner = world.users["practitioner"]
    response = owner.post(
        f"/account/staff/{practitioner.pk}/",
        {
            "action": "credential",
            "cred-technique_id": "technique.papule",
            "cred-trained_on": (dt.date.today() + dt.timedelta(days=30)).isoformat(),
            "cred-evidence": "Course",
        },
    )
    assert "The date of training cannot be in the future." in response.content.decode()


def test_a_deactivated_person_already_signed_in_is_signed_out(world):
    from mesoclinic.accounts.staff_services import staff_deactivate

    nurse = world.users["nurse"]
    signed_in = Client()
    assert (
        signed_in.post("/login/", {"username": nurse.username, "password": PASSWORD}).status_code
        == 302
    )
    assert signed_in.get("/patients/").status_code == 200
    staff_deactivate(scope=world.scope("owner"), user=nurse)
    response = signed_in.get("/patients/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_an_owner_adds_staff_with_a_password_set_now(world, mailoutbox):
    owner = client_of(world.users["owner"])
    data = {
        "display_name": "Pavel Orlov",
        "username": "pavel",
        "email": "pavel@example.test",
        "language": "en",
        "clinic": world.other_clinic.pk,
        "role": "receptionist",
        "access": "password",
        "password1": "amber-window-falcon-33",
        "password2": "amber-window-falcon-34",
    }
    response = owner.post("/account/staff/new/", data)
    assert "The two passwords differ." in response.content.decode()
    assert not User.objects.filter(username="pavel").exists()
    response = owner.post("/account/staff/new/", {**data, "password2": data["password1"]})
    assert response.status_code == 302
    pavel = User.objects.get(username="pavel")
    assert list(pavel.memberships.values_list("clinic_id", "role")) == [
        (world.other_clinic.pk, "receptionist")
    ]
    assert not mailoutbox
    assert (
        Client().post("/login/", {"username": "pavel", "password": data["password1"]}).status_code
        == 302
    )


@pytest.mark.usefixtures("clinic_setup")
def test_a_zone_change_over_bookings_asks_first_and_keeps_what_was_typed(world, patient_of):
    from mesoclinic.scheduling.services import appointment_book
    from tests.scheduling.conftest import at

    today = dt.date.today()
    next_tuesday = today + dt.timedelta(days=7 + (1 - today.weekday()) % 7)
    appointment_book(
        scope=world.scope("receptionist"),
        patient=patient_of(world),
        practitioner=world.users["practitioner"],
        starts_at=at(next_tuesday.isoformat(), "10:00"),
        duration_min=30,
        technique_id="technique.nappage",
    )
    owner = client_of(world.users["owner"])
    url = f"/account/clinics/{world.clinic.pk}/"
    assert 'name="clinic-confirm_zone_change"' in owner.get(url).content.decode()
    data = {
        "action": "details",
        "clinic-name": "Renamed",
        "clinic-time_zone": "Asia/Tokyo",
        "clinic-locale": world.clinic.locale,
        **{f"hours-d{d}_opens": "09:00" for d in range(6)},
        **{f"hours-d{d}_closes": "19:00" for d in range(6)},
    }
    html = owner.post(url, data).content.decode()
    assert "1 appointments are booked from now on" in html
    assert 'value="Renamed"' in html
    world.clinic.refresh_from_db()
    assert (world.clinic.name, world.clinic.time_zone) == ("Main", "Europe/Moscow")
    assert owner.post(url, {**data, "clinic-confirm_zone_change": "on"}).status_code == 302
    world.clinic.refresh_from_db()
    assert (world.clinic.name, world.clinic.time_zone) == ("Renamed", "Asia/Tokyo")
