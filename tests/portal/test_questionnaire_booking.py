"""Questionnaire answers enter the record as patient-reported; the gate stops unsafe bookings;
an eligible course is booked as a whole series or not at all; changes follow the policy."""

from __future__ import annotations

import datetime as dt
import itertools
import re

import pytest
from django.test import Client
from django.utils import timezone

from mesoclinic.patients.models import HistoryFact
from mesoclinic.portal.models import OnlineBooking, Questionnaire
from mesoclinic.scheduling.models import Appointment
from tests.pdf_text import internal_words
from tests.portal.conftest import signed_in

pytestmark = pytest.mark.django_db

ANSWERS = {
    "conditions": [],
    "other_conditions": "",
    "allergies": "",
    "medicines": "",
    "pregnant": "no",
    "breastfeeding": "no",
    "procedure": "",
    "procedure_date": "",
}


def _answer(client, **changes):
    response = client.post("/portal/questionnaire/", {**ANSWERS, **changes})
    assert response.status_code == 302, response.content.decode()[:2000]


def test_answers_are_recorded_as_patient_reported_and_a_clinician_confirms(portal_world):
    world, alpha = portal_world["world"], portal_world["patients"]["a"]
    client = signed_in(Client(), world, alpha)
    _answer(
        client,
        conditions=["condition.diabetes"],
        allergies="penicillin",
        medicines="Aspirin Cardio",
    )
    q = Questionnaire.objects.get(patient=alpha)
    facts = HistoryFact.objects.filter(pk__in=q.fact_ids)
    assert {f.kind for f in facts} >= {"condition", "allergy", "medication", "pregnancy"}
    assert all(f.recorded_by.username == f"portal-{world.organisation.pk}" for f in facts)
    assert all("Reported by the patient" in f.note for f in facts)
    # The clinician sees them on the record and confirms them.
    staff = Client()
    staff.force_login(world.users["practitioner"])
    detail = staff.get(f"/patients/{alpha.pk}/").content.decode()
    assert f"/clinic-portal/questionnaires/{q.pk}/" in detail
    page = staff.get(f"/clinic-portal/questionnaires/{q.pk}/").content.decode()
    assert "Aspirin Cardio" in page
    assert internal_words(page) == []
    staff.post(f"/clinic-portal/questionnaires/{q.pk}/")
    q.refresh_from_db()
    assert q.confirmed_by == world.users["practitioner"] and q.confirmed_at is not None
    # A receptionist reads no clinical answers and cannot confirm.
    desk = Client()
    desk.force_login(world.users["receptionist"])
    assert desk.get(f"/clinic-portal/questionnaires/{q.pk}/").status_code == 403


def test_a_procedure_without_its_date_is_explained_and_nothing_is_recorded(portal_world):
    world, alpha = portal_world["world"], portal_world["patients"]["a"]
    client = signed_in(Client(), world, alpha)
    response = client.post(
        "/portal/questionnaire/", {**ANSWERS, "procedure": "procedure.chemical-peel"}
    )
    assert response.status_code == 200
    assert "Give the date" in response.content.decode()
    assert not Questionnaire.objects.exists()


def test_pregnant_patient_is_stopped_kindly_without_rule_ids(portal_world):
    world, alpha = portal_world["world"], portal_world["patients"]["a"]
    course = portal_world["course"]
    client = signed_in(Client(), world, alpha)
    _answer(client, pregnant="yes")
    page = client.get(f"/portal/book/{course.pk}/").content.decode()
    assert "Please talk to us before booking" in page
    assert "+7 495 000-00-00" in page
    assert internal_words(page) == []
    # A hand-made POST is refused by the service too.
    client.post(f"/portal/book/{course.pk}/", {"s0-day": "2027-01-04", "s0-time": "10:00"})
    assert not Appointment.objects.filter(patient=alpha).exists()


def _proposed(page: str) -> dict[str, str]:
    fields = dict(re.findall(r'name="(s\d-(?:day|time))"[^>]*value="([^"]+)"', page))
    fields.update(
        {k: v for v, k in re.findall(r'value="([^"]+)"[^>]*name="(s\d-(?:day|time))"', page)}
    )
    return fields


def test_eligible_course_is_booked_as_a_series_within_its_window(portal_world):
    world, alpha = portal_world["world"], portal_world["patients"]["a"]
    course = portal_world["course"]
    client = signed_in(Client(), world, alpha)
    _answer(client)
    page = client.get(f"/portal/book/{course.pk}/").content.decode()
    fields = _proposed(page)
    assert len([k for k in fields if k.endswith("-day")]) == 3, page[:3000]
    days = [dt.date.fromisoformat(fields[f"s{i}-day"]) for i in range(3)]
    assert all(7 <= (b - a).days <= 10 for a, b in itertools.pairwise(days))
    # Moving the last visit outside the window is explained and books nothing.
    bad = {**fields, "s2-day": (days[1] + dt.timedelta(days=3)).isoformat()}
    refused = client.post(f"/portal/book/{course.pk}/", bad).content.decode()
    assert "days apart" in refused
    assert not Appointment.objects.filter(patient=alpha).exists()
    # As proposed: all three at once.
    response = client.post(f"/portal/book/{course.pk}/", fields)
    assert response.status_code == 302
    booking = OnlineBooking.objects.get(patient=alpha)
    appointments = Appointment.objects.filter(pk__in=booking.appointment_ids)
    assert appointments.count() == 3
    assert {a.session_number for a in appointments} == {1, 2, 3}
    # The receptionist's home lists the booking to review.
    desk = Client()
    desk.force_login(world.users["receptionist"])
    home = desk.get("/").content.decode()
    assert "Face revitalisation course" in home and "Alpha" in home


def test_series_is_all_or_nothing_when_one_date_is_taken(portal_world):
    from mesoclinic.scheduling.services import appointment_book

    world, patients = portal_world["world"], portal_world["patients"]
    course = portal_world["course"]
    client = signed_in(Client(), world, patients["a"])
    _answer(client)
    fields = _proposed(client.get(f"/portal/book/{course.pk}/").content.decode())
    zone = world.clinic.zone
    third = dt.datetime.combine(
        dt.date.fromisoformat(fields["s2-day"]),
        dt.time.fromisoformat(fields["s2-time"]),
        tzinfo=zone,
    )
    appointment_book(
        scope=world.scope("receptionist"),
        patient=patients["b"],
        practitioner=world.users["practitioner"],
        starts_at=third,
        duration_min=30,
        now=timezone.now(),
    )
    response = client.post(f"/portal/book/{course.pk}/", fields).content.decode()
    assert "Nothing was booked" in response
    assert not Appointment.objects.filter(patient=patients["a"]).exists()


def test_cancel_follows_the_clinic_policy(portal_world):
    from mesoclinic.portal.models import PortalSettings

    world, alpha = portal_world["world"], portal_world["patients"]["a"]
    course = portal_world["course"]
    client = signed_in(Client(), world, alpha)
    _answer(client)
    fields = _proposed(client.get(f"/portal/book/{course.pk}/").content.decode())
    client.post(f"/portal/book/{course.pk}/", fields)
    first = Appointment.objects.filter(patient=alpha).order_by("starts_at").first()
    # Closer than the policy allows: refused with the clinic's rule in words.
    PortalSettings.objects.update(change_until_hours=24 * 400)
    refused = client.post(f"/portal/visits/{first.pk}/").content.decode()
    assert "please call the clinic" in refused.lower()
    first.refresh_from_db()
    assert first.status == "booked"
    PortalSettings.objects.update(change_until_hours=24)
    assert client.post(f"/portal/visits/{first.pk}/").status_code == 302
    first.refresh_from_db()
    assert first.status == "cancelled"
    ics = client.get(f"/portal/visits/{first.pk}/calendar.ics")
    assert ics["Content-Type"].startswith("text/calendar")
    assert b"BEGIN:VEVENT" in ics.content


def _draft_plan(world, patient):
    from mesoclinic.consultations.services import plan_create

    now = timezone.now()
    return plan_create(
        scope=world.scope("practitioner"),
        patient=patient,
        now=now,
        today=now.date(),
        zones=["zone.cheeks"],
        technique_ids=["technique.nappage"],
        products=[("product.revitalising-cocktail", "2.0")],
        sessions=3,
        interval_min_days=7,
        interval_max_days=10,
        preferred_interval_days=7,
        target_start=now.date() + dt.timedelta(days=7),
        protocol_id="protocol.face-rejuvenation",
    )


def test_patient_signs_the_clinics_consent_remotely_with_a_typed_name(portal_world):
    from mesoclinic.consultations.models import Consent
    from tests.pdf_text import pdf_text

    world, patients = portal_world["world"], portal_world["patients"]
    alpha = patients["a"]
    plan = _draft_plan(world, alpha)
    client = signed_in(Client(), world, alpha)
    assert f"/portal/consents/{plan.pk}/" in client.get("/portal/").content.decode()
    page = client.get(f"/portal/consents/{plan.pk}/").content.decode()
    assert "consent-text" in page
    # Without ticking the box: explained, nothing signed.
    refused = client.post(f"/portal/consents/{plan.pk}/", {"signer_name": "Alpha Anna"})
    assert "Tick the box" in refused.content.decode()
    assert not Consent.objects.exists()
    response = client.post(
        f"/portal/consents/{plan.pk}/", {"signer_name": "Alpha Anna", "agree": "on"}
    )
    assert response.status_code == 302
    consent = Consent.objects.get(plan=plan)
    assert consent.collected_by.username == f"portal-{world.organisation.pk}"
    assert response.url == "/portal/treatments/"
    assert f"/portal/consents/signed/{consent.pk}.pdf" in client.get(response.url).content.decode()
    pdf = client.get(f"/portal/consents/signed/{consent.pk}.pdf")
    assert pdf["Content-Type"] == "application/pdf"
    assert "Alpha Anna" in pdf_text(pdf.content)
    # Another patient's plan is not theirs to sign.
    other = signed_in(Client(), world, patients["b"])
    assert other.get(f"/portal/consents/{plan.pk}/").status_code == 404


def test_owner_publishes_a_service_and_sets_the_policy(portal_world):
    from mesoclinic.portal.models import OnlineService, PortalSettings

    world = portal_world["world"]
    owner = Client()
    owner.force_login(world.users["owner"])
    url = f"/clinic-portal/clinics/{world.clinic.pk}/"
    page = owner.get(url).content.decode()
    assert f"/portal/register/{world.clinic.pk}/" in page  # the booking page's address
    # A course without a protocol is explained; nothing is published.
    refused = owner.post(
        url,
        {
            "action": "service",
            "name": "Skin booster",
            "kind": "course",
            "technique_id": "technique.papule",
            "zones": ["zone.cheeks"],
            "sessions": 3,
            "duration_min": 30,
            "practitioner": world.users["practitioner"].pk,
        },
    )
    assert "A course follows a protocol" in refused.content.decode()
    assert not OnlineService.objects.filter(name="Skin booster").exists()
    owner.post(
        url,
        {
            "action": "service",
            "name": "First consultation",
            "kind": "consultation",
            "sessions": 1,
            "duration_min": 30,
            "practitioner": world.users["practitioner"].pk,
        },
    )
    assert OnlineService.objects.filter(name="First consultation", published=True).exists()
    owner.post(
        url,
        {"action": "settings", "lead_time_hours": 48, "change_until_hours": 12},
    )
    settings = PortalSettings.objects.get(clinic=world.clinic)
    assert (settings.booking_enabled, settings.lead_time_hours) == (False, 48)
    # Closed: patients see no services and cannot open one.
    client = signed_in(Client(), world, portal_world["patients"]["a"])
    assert "First consultation" not in client.get("/portal/").content.decode()
    course = portal_world["course"]
    assert client.get(f"/portal/book/{course.pk}/").status_code == 404
    # A receptionist cannot open the page.
    desk = Client()
    desk.force_login(world.users["receptionist"])
    assert desk.get(url).status_code == 403


def test_online_booking_keeps_the_clinics_rules_and_says_which(portal_world):
    from mesoclinic.scheduling.services import patient_availability_set

    world, alpha = portal_world["world"], portal_world["patients"]["a"]
    course = portal_world["course"]
    client = signed_in(Client(), world, alpha)
    _answer(client)
    fields = _proposed(client.get(f"/portal/book/{course.pk}/").content.decode())
    first = dt.date.fromisoformat(fields["s0-day"])
    # Meanwhile the desk records that the patient can only come on another weekday.
    patient_availability_set(
        scope=world.scope("receptionist"),
        patient=alpha,
        preferred_weekdays=[],
        preferred_from=None,
        preferred_until=None,
        unavailable_dates=[],
        available_weekdays=[(first.weekday() + 1) % 7],
    )
    response = client.post(f"/portal/book/{course.pk}/", fields).content.decode()
    assert "The patient can only come on" in response
    assert "Nothing was booked" in response
    assert not Appointment.objects.filter(patient=alpha).exists()
