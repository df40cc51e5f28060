"""`mesoclinic createadmin`, `clinic` and `staff`: a scripted install gives a clinic that
takes bookings, staff in several clinics, and clear one-line errors."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from mesoclinic.accounts.models import Clinic, Membership, OpeningHours, User
from mesoclinic.accounts.scope import scope_for
from mesoclinic.admin_cli import HoursSpecError, hours_parse
from mesoclinic.audit.models import AuditEvent
from mesoclinic.cli import main

T = dt.time
OWNER_PASSWORD = "violet-compass-harbour-58"
STAFF_PASSWORD = "copper-meadow-lantern-64"


@pytest.fixture
def installed(db, monkeypatch, capsys):
    """A fresh install: `createadmin` with its defaults."""
    monkeypatch.setenv("MESOCLINIC_ADMIN_PASSWORD", OWNER_PASSWORD)
    code = main(
        [
            "createadmin",
            "--username",
            "boss",
            "--email",
            "boss@example.test",
            "--organisation",
            "Skin Chain",
            "--clinic",
            "Centre",
            "--time-zone",
            "Europe/Moscow",
        ]
    )
    assert code == 0, capsys.readouterr().err
    capsys.readouterr()
    return Clinic.objects.get(name="Centre")


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_createadmin_opens_the_first_clinic_on_weekdays_and_saturday(installed, capsys):
    hours = list(
        OpeningHours.objects.filter(clinic=installed).values_list("weekday", "opens", "closes")
    )
    assert hours == [(d, T(9), T(19)) for d in range(5)] + [(5, T(10), T(16))]
    created = set(AuditEvent.objects.values_list("object_type", "detail__via"))
    assert created == {("accounts.Clinic", "command line"), ("accounts.User", "command line")}


def test_after_createadmin_a_practitioner_can_be_booked(installed, capsys, monkeypatch):
    from mesoclinic.patients.services import patient_create
    from mesoclinic.scheduling.services import appointment_book

    monkeypatch.setenv("MESOCLINIC_STAFF_PASSWORD", STAFF_PASSWORD)
    code, _out, err = run(
        capsys,
        "staff",
        "add",
        "--username",
        "anna",
        "--email",
        "anna@example.test",
        "--clinic",
        "Centre",
        "--role",
        "practitioner",
    )
    assert code == 0, err
    anna = User.objects.get(username="anna")
    scope = scope_for(anna)
    patient = patient_create(
        scope=scope,
        family_name="Petrova",
        given_name="Irina",
        birth_date=dt.date(1990, 1, 2),
        today=dt.date(2026, 11, 30),
    )
    zone = installed.zone
    appointment = appointment_book(
        scope=scope,
        patient=patient,
        practitioner=anna,
        starts_at=dt.datetime(2026, 12, 7, 10, 0, tzinfo=zone),  # a Monday
        duration_min=30,
    )
    assert appointment.clinic == installed


def test_createadmin_hours_are_configurable(db, monkeypatch, capsys):
    monkeypatch.setenv("MESOCLINIC_ADMIN_PASSWORD", OWNER_PASSWORD)
    code, _out, err = run(
        capsys,
        "createadmin",
        "--username",
        "boss",
        "--email",
        "boss@example.test",
        "--organisation",
        "Org",
        "--clinic",
        "Solo",
        "--hours",
        "tue-thu 08:00-12:00,13:00-20:00",
        "--language",
        "ru",
    )
    assert code == 0, err
    rows = list(OpeningHours.objects.values_list("weekday", "opens", "closes"))
    assert rows == [(d, a, b) for d in (1, 2, 3) for a, b in ((T(8), T(12)), (T(13), T(20)))]
    assert User.objects.get(username="boss").language == "ru"


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("weekdays 09:00-19:00", "start with a day"),
        ("fri-mon 09:00-19:00", "runs backwards"),
        ("mon 9-19", "not a period like"),
        ("mon 25:00-26:00", "not a period like"),
    ],
)
def test_unreadable_hours_are_explained(spec, message):
    with pytest.raises(HoursSpecError, match=message):
        hours_parse([spec])


def test_hours_specs_close_days_and_later_specs_win():
    hours = hours_parse(["mon-sun 09:00-18:00", "sun closed", "wed 10:00-14:00"])
    assert hours[6] == [] and hours[2] == [(T(10), T(14))] and hours[0] == [(T(9), T(18))]


def test_clinic_add_and_list_in_two_time_zones(installed, capsys):
    code, out, err = run(
        capsys,
        "clinic",
        "add",
        "--name",
        "East",
        "--time-zone",
        "Asia/Vladivostok",
        "--locale",
        "ru",
        "--hours",
        "mon-fri 10:00-14:00,15:00-20:00",
    )
    assert code == 0, err
    assert "East" in out and "Asia/Vladivostok" in out
    code, out, _err = run(capsys, "clinic", "list")
    lines = out.strip().splitlines()
    # The jurisdiction: as the locale suggests unless given.
    assert lines[0].startswith("Centre\tEurope/Moscow\ten-gb\tGB\tmon 09:00-19:00")
    assert lines[1].startswith("East\tAsia/Vladivostok\tru\tRU\tmon 10:00-14:00,15:00-20:00")
    code, out, err = run(
        capsys,
        "clinic",
        "add",
        "--name",
        "Far",
        "--time-zone",
        "Asia/Tokyo",
        "--jurisdiction",
        "other",
    )
    assert code == 0, err
    assert Clinic.objects.get(name="Far").jurisdiction == "other"
    east = Clinic.objects.get(name="East")
    event = AuditEvent.objects.get(object_type="accounts.Clinic", object_id=str(east.pk))
    assert event.detail["via"] == "command line"


def test_clinic_add_errors_are_one_line_and_write_nothing(installed, capsys):
    code, _out, err = run(capsys, "clinic", "add", "--name", "Moon", "--time-zone", "Mars/Olympus")
    assert code == 2 and "not a known time zone" in err
    code, _out, err = run(
        capsys,
        "clinic",
        "add",
        "--name",
        "Moon",
        "--time-zone",
        "UTC",
        "--hours",
        "mon 19:00-09:00",
    )
    assert code == 2 and "open before it closes" in err
    assert not Clinic.objects.filter(name="Moon").exists()


def test_staff_roles_per_clinic_list_and_deactivate(installed, capsys, monkeypatch, mailoutbox):
    run(capsys, "clinic", "add", "--name", "East", "--time-zone", "Asia/Vladivostok")
    code, out, err = run(
        capsys,
        "staff",
        "add",
        "--username",
        "nina",
        "--email",
        "nina@example.test",
        "--name",
        "Nina Orlova",
        "--clinic",
        "Centre",
        "--role",
        "nurse",
        "--invite",
        "--url",
        "https://clinic.example.org",
    )
    assert code == 0, err
    (message,) = mailoutbox
    assert re.search(r"https://clinic\.example\.org/account/invitation/\S+/", message.body)
    code, out, err = run(
        capsys, "staff", "role", "--username", "nina", "--clinic", "East", "--role", "practitioner"
    )
    assert code == 0, err
    nina = User.objects.get(username="nina")
    east = Clinic.objects.get(name="East")
    assert set(Membership.objects.filter(user=nina).values_list("clinic__name", "role")) == {
        ("Centre", "nurse"),
        ("East", "practitioner"),
    }
    code, out, _err = run(capsys, "staff", "list")
    assert "nina\tnina@example.test\tinvited\tnurse@Centre, practitioner@East" in out
    code, _out, err = run(
        capsys, "staff", "role", "--username", "nina", "--clinic", "East", "--role", "practitioner"
    )
    assert code == 2 and "already" in err
    code, _out, err = run(capsys, "staff", "deactivate", "--username", "boss")
    assert code == 2 and "at least one owner" in err
    code, out, err = run(capsys, "staff", "deactivate", "--username", "nina")
    assert code == 0, err
    nina.refresh_from_db()
    assert not nina.is_active
    # Her roles stay on record (her signed work stays attributed); she has no scope any more.
    assert Membership.objects.filter(user=nina, clinic=east).exists()
    assert scope_for(nina, clinic_id=east.pk) is None
    code, _out, err = run(capsys, "staff", "deactivate", "--username", "ghost")
    assert code == 2 and "no user 'ghost'" in err


def test_staff_add_refuses_a_weak_password(installed, capsys, monkeypatch):
    monkeypatch.setenv("MESOCLINIC_STAFF_PASSWORD", "12345")
    code, _out, err = run(
        capsys,
        "staff",
        "add",
        "--username",
        "weak",
        "--email",
        "weak@example.test",
        "--clinic",
        "Centre",
        "--role",
        "receptionist",
    )
    assert code == 2 and "too short" in err
    assert not User.objects.filter(username="weak").exists()
