"""Owners add clinics with their own time zones, split and closed days, and closures."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from mesoclinic.accounts.clinic_services import (
    clinic_add,
    clinic_closure_add,
    clinic_closure_remove,
    clinic_hours_set,
    clinic_update,
)
from mesoclinic.accounts.models import Clinic, OpeningHours
from mesoclinic.accounts.scope import scope_for
from mesoclinic.audit.models import AuditEvent
from mesoclinic.scheduling.models import Holiday
from mesoclinic.scheduling.services import appointment_book

T = dt.time
VLADIVOSTOK = zoneinfo.ZoneInfo("Asia/Vladivostok")
# 2026-12-07 is a Monday, 2026-12-09 a Wednesday, 2026-12-13 a Sunday.
MONDAY, WEDNESDAY, SUNDAY = dt.date(2026, 12, 7), dt.date(2026, 12, 9), dt.date(2026, 12, 13)


def east(world, **kw):
    """A third clinic, seven hours ahead of the world's Moscow clinic, with a split Wednesday."""
    return clinic_add(
        scope=kw.pop("scope", None) or world.scope("owner"),
        organisation=world.organisation,
        name=kw.pop("name", "East"),
        time_zone="Asia/Vladivostok",
        locale="ru",
        hours=kw.pop(
            "hours",
            {
                0: [(T(9), T(18))],
                2: [(T(9), T(13)), (T(14), T(18))],
                5: [],
            },
        ),
        **kw,
    )


def book_at(world, clinic, patient, day, hhmm, zone):
    from mesoclinic.scheduling.services import credential_grant

    practitioner = world.users["practitioner"]
    if not practitioner.memberships.filter(clinic=clinic).exists():
        from mesoclinic.accounts.staff_services import staff_role_add

        staff_role_add(
            scope=world.scope("owner"), user=practitioner, clinic=clinic, role="practitioner"
        )
        credential_grant(
            scope=world.scope("owner"), practitioner=practitioner, technique_id="technique.nappage"
        )
    h, m = map(int, hhmm.split(":"))
    return appointment_book(
        scope=scope_for(practitioner, clinic_id=clinic.pk),
        patient=patient,
        practitioner=practitioner,
        starts_at=dt.datetime.combine(day, T(h, m), tzinfo=zone),
        duration_min=30,
    )


def test_a_new_clinic_keeps_its_split_and_closed_days(world):
    clinic = east(world)
    rows = list(
        OpeningHours.objects.filter(clinic=clinic).values_list("weekday", "opens", "closes")
    )
    assert rows == [(0, T(9), T(18)), (2, T(9), T(13)), (2, T(14), T(18))]
    assert clinic.locale == "ru" and clinic.time_zone == "Asia/Vladivostok"
    event = AuditEvent.objects.get(object_type="accounts.Clinic", object_id=str(clinic.pk))
    assert event.actor == world.users["owner"]
    assert event.detail["hours"]["2"] == ["09:00-13:00", "14:00-18:00"]


def test_bookings_follow_each_clinics_own_zone_and_hours(world, patient_of):
    clinic = east(world)
    patient = patient_of(world)
    # 10:00 in Vladivostok is 03:00 in Moscow: open in East, whatever Moscow's hours are.
    appt = book_at(world, clinic, patient, MONDAY, "10:00", VLADIVOSTOK)
    assert appt.starts_at.astimezone(VLADIVOSTOK).time() == T(10)
    with pytest.raises(ValidationError, match="outside the clinic's opening hours"):
        book_at(world, clinic, patient, WEDNESDAY, "13:15", VLADIVOSTOK)  # the lunch break
    with pytest.raises(ValidationError, match="outside the clinic's opening hours"):
        book_at(world, clinic, patient, SUNDAY, "10:00", VLADIVOSTOK)  # closed day
    # The same wall-clock time is fine in the Moscow clinic, which opens 09:00-19:00.
    moscow = book_at(
        world, world.clinic, patient, WEDNESDAY, "13:15", zoneinfo.ZoneInfo("Europe/Moscow")
    )
    assert moscow.clinic == world.clinic


@pytest.mark.parametrize(
    ("hours", "message"),
    [
        ({1: [(T(9), T(14)), (T(13), T(18))]}, "must not overlap"),
        ({1: [(T(18), T(9))]}, "open before it closes"),
    ],
)
def test_bad_hours_are_refused_and_nothing_is_written(world, hours, message):
    with pytest.raises(ValidationError, match=message):
        east(world, hours=hours)
    assert not Clinic.objects.filter(name="East").exists()
    with pytest.raises(ValidationError, match=message):
        clinic_hours_set(scope=world.scope("owner"), clinic=world.clinic, hours=hours)
    assert OpeningHours.objects.filter(clinic=world.clinic).count() == 6


def test_only_owners_of_the_organisation_manage_clinics(world, make_org):
    with pytest.raises(PermissionDenied):
        east(world, scope=world.scope("practitioner"))
    other = make_org()
    with pytest.raises(ValidationError, match="Unknown clinic"):
        clinic_update(
            scope=other.scope("owner"), clinic=world.clinic, name="Taken", time_zone="UTC"
        )
    assert Clinic.objects.get(pk=world.clinic.pk).name == "Main"


def test_clinic_names_and_time_zones_are_checked(world):
    with pytest.raises(ValidationError, match="already has a clinic called second"):
        clinic_update(
            scope=world.scope("owner"), clinic=world.clinic, name="second", time_zone="UTC"
        )
    with pytest.raises(ValidationError, match="not a known time zone"):
        clinic_update(
            scope=world.scope("owner"), clinic=world.clinic, name="Main", time_zone="Mars/Base"
        )
    clinic_update(
        scope=world.scope("owner"),
        clinic=world.clinic,
        name="Main",
        time_zone="Europe/Samara",
        phone="+7 846 000-00-00",
        locale="ru",
    )
    world.clinic.refresh_from_db()
    assert (world.clinic.time_zone, world.clinic.locale) == ("Europe/Samara", "ru")


def test_a_closure_closes_every_day_and_is_refused_while_anything_is_booked(world, patient_of):
    clinic = east(world)
    owner = world.scope("owner")
    assert (
        clinic_closure_add(
            scope=owner,
            clinic=clinic,
            first_day=dt.date(2026, 12, 30),
            last_day=dt.date(2027, 1, 2),
        )
        == 4
    )
    appt = book_at(world, clinic, patient_of(world), MONDAY, "10:00", VLADIVOSTOK)
    with pytest.raises(ValidationError, match="booked that day"):
        clinic_closure_add(
            scope=owner, clinic=clinic, first_day=MONDAY - dt.timedelta(days=1), last_day=MONDAY
        )
    # Nothing half-written: the Sunday before the booked Monday is still open.
    assert not Holiday.objects.filter(clinic=clinic, day=MONDAY - dt.timedelta(days=1)).exists()
    assert appt.pk
    with pytest.raises(ValidationError, match="last day cannot be before"):
        clinic_closure_add(
            scope=owner, clinic=clinic, first_day=MONDAY, last_day=SUNDAY - dt.timedelta(days=7)
        )
    clinic_closure_remove(scope=owner, clinic=clinic, day=dt.date(2026, 12, 31))
    assert sorted(Holiday.objects.filter(clinic=clinic).values_list("day", flat=True)) == [
        dt.date(2026, 12, 30),
        dt.date(2027, 1, 1),
        dt.date(2027, 1, 2),
    ]


def test_changing_the_zone_of_a_clinic_with_bookings_ahead_needs_a_confirmation(world, patient_of):
    """Appointments keep their moment: a new zone moves their clock times, so the owner
    must say they mean it; without bookings ahead the zone changes at once."""
    clinic = east(world)
    owner = world.scope("owner")
    appt = book_at(world, clinic, patient_of(world), MONDAY, "10:00", VLADIVOSTOK)
    fields = {"name": "East", "locale": "ru"}
    with pytest.raises(ValidationError, match="1 appointments are booked"):
        clinic_update(scope=owner, clinic=clinic, time_zone="Asia/Tokyo", **fields)
    assert Clinic.objects.get(pk=clinic.pk).time_zone == "Asia/Vladivostok"
    clinic_update(
        scope=owner, clinic=clinic, time_zone="Asia/Tokyo", confirm_zone_change=True, **fields
    )
    clinic.refresh_from_db()
    assert clinic.time_zone == "Asia/Tokyo"
    appt.refresh_from_db()
    assert appt.starts_at.astimezone(VLADIVOSTOK).strftime("%H:%M") == "10:00"
    # A clinic with nothing ahead changes zone without the question.
    clinic_update(scope=owner, clinic=world.other_clinic, name="Second", time_zone="Europe/Lisbon")
    assert Clinic.objects.get(pk=world.other_clinic.pk).time_zone == "Europe/Lisbon"
