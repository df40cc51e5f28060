"""The receptionist's home page lists what came from the portal to review: online
bookings (with a point for the clinician when screening warned), patient-reported
answers to confirm at check-in, and self-registrations; "Seen" clears a booking."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import timezone

from mesoclinic.portal.models import OnlineBooking
from mesoclinic.portal.services import dates_propose, questionnaire_submit, series_book

pytestmark = pytest.mark.django_db


def test_receptionist_home_lists_bookings_and_reported_answers(portal_world):
    world, alpha = portal_world["world"], portal_world["patients"]["a"]
    course = portal_world["course"]
    now = timezone.now()
    questionnaire = questionnaire_submit(
        patient=alpha,
        clinic=world.clinic,
        answers={"pregnant": "no", "breastfeeding": "no", "allergies": "latex"},
        now=now,
    )
    series_book(
        patient=alpha,
        service=course,
        starts=dates_propose(service=course, patient=alpha, now=now),
        now=now,
    )
    booking = OnlineBooking.objects.get(patient=alpha)
    desk = Client()
    desk.force_login(world.users["receptionist"])
    home = desk.get("/").content.decode()
    assert f'data-online-booking="{booking.pk}"' in home
    assert f'data-questionnaire="{questionnaire.pk}"' in home
    assert "Face revitalisation course" in home and alpha.full_name in home
    # The receptionist (not clinical staff) is sent to the patient page, not the answers.
    assert f"/clinic-portal/questionnaires/{questionnaire.pk}/" not in home
    desk.post(f"/clinic-portal/bookings/{booking.pk}/seen/")
    home = desk.get("/").content.decode()
    assert f'data-online-booking="{booking.pk}"' not in home
    assert f'data-questionnaire="{questionnaire.pk}"' in home  # until confirmed at check-in
    booking.refresh_from_db()
    assert booking.reviewed_by == world.users["receptionist"]
