"""Shared fixtures: organisations with staff in every role, built through the services."""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass, field

import pytest

PASSWORD = "correct-horse-battery-42"
_counter = itertools.count(1)


@dataclass
class OrgWorld:
    organisation: object
    clinic: object
    other_clinic: object
    users: dict = field(default_factory=dict)

    def scope(self, role: str, clinic=None):
        from mesoclinic.accounts.scope import scope_for

        return scope_for(self.users[role], clinic_id=(clinic or self.clinic).pk)

    @property
    def split(self):
        """Roles differ by clinic: a nurse at Main (Moscow), a practitioner at Second (London)."""
        return self.users["split"]

    @property
    def londoner(self):
        """A practitioner of Second (London) only."""
        return self.users["london_practitioner"]


@pytest.fixture
def make_org(db):
    """Build an organisation with two clinics and one user per role (owner, practitioner, ...).

    Everyone in a role works at Main (Europe/Moscow). Two more users make the second
    clinic (Second, Europe/London) matter: `split` is a nurse at Main and a practitioner
    at Second; `london_practitioner` is a practitioner at Second only.
    """
    from mesoclinic.accounts.models import Role
    from mesoclinic.accounts.services import clinic_create, organisation_create, user_create

    def _make(name: str | None = None) -> OrgWorld:
        n = next(_counter)
        org = organisation_create(name=name or f"Org {n}")
        hours = {d: (dt.time(9), dt.time(19)) for d in range(6)}
        clinic = clinic_create(
            organisation=org, name="Main", time_zone="Europe/Moscow", hours=hours
        )
        other = clinic_create(
            organisation=org, name="Second", time_zone="Europe/London", hours=hours
        )
        world = OrgWorld(organisation=org, clinic=clinic, other_clinic=other)
        for role in Role:
            world.users[role.value] = user_create(
                organisation=org,
                username=f"{role.value}{n}",
                email=f"{role.value}{n}@example.test",
                password=PASSWORD,
                display_name=f"{role.label} {n}",
                memberships=[(clinic, role)],
            )
        world.users["split"] = user_create(
            organisation=org,
            username=f"split{n}",
            email=f"split{n}@example.test",
            password=PASSWORD,
            display_name=f"Split {n}",
            memberships=[(clinic, Role.NURSE), (other, Role.PRACTITIONER)],
        )
        world.users["london_practitioner"] = user_create(
            organisation=org,
            username=f"london{n}",
            email=f"london{n}@example.test",
            password=PASSWORD,
            display_name=f"London practitioner {n}",
            memberships=[(other, Role.PRACTITIONER)],
        )
        return world

    return _make


@pytest.fixture
def world(make_org) -> OrgWorld:
    return make_org()


@pytest.fixture
def patient_of(db):
    from mesoclinic.patients.services import patient_create

    def _make(world: OrgWorld, family="Иванова", given="Елена", born="1985-04-01"):
        return patient_create(
            scope=world.scope("receptionist"),
            family_name=family,
            given_name=given,
            birth_date=dt.date.fromisoformat(born),
            today=dt.date(2026, 11, 23),
        )

    return _make


@pytest.fixture(autouse=True)
def _sqlite_audit_purge(request):
    """Let the test harness empty the audit table after transactional tests on SQLite.

    SQLite has no TRUNCATE: Django flushes tables with DELETE, which the append-only
    trigger refuses unless a purge is open (see audit migration 0002).
    """
    marker = request.node.get_closest_marker("django_db")
    transactional = bool(marker and marker.kwargs.get("transaction"))
    if not (transactional or {"transactional_db", "live_server"} & set(request.fixturenames)):
        if marker is not None or "db" in request.fixturenames:
            # A purge left open by a transactional test that ran earlier in this process
            # (test files are shared out between workers in any order) must not let this
            # test's deletes through: close it inside the test's own transaction.
            request.getfixturevalue("db")
            from django.db import connection

            if connection.vendor == "sqlite":
                with connection.cursor() as cursor:
                    cursor.execute("DELETE FROM audit_purge_guard")
        yield
        return
    if not transactional:
        request.getfixturevalue("transactional_db")
    yield
    from django.db import connection

    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("INSERT INTO audit_purge_guard (open) VALUES (1)")


@pytest.fixture(autouse=True)
def _media_per_test(settings, tmp_path):
    """Each test has its own media folder: stored PDFs and photos of one test (whose
    database ids another test, or another worker, reuses) are never read by another."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _language_restored():
    """A request by a Russian-speaking user leaves Russian active in the test thread;
    the next test starts in the default language again."""
    yield
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
