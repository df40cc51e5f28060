"""Portal fixtures: two invited patients of one clinic, a published course and a session."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core import mail
from django.utils import timezone

from tests.conftest import PASSWORD
from tests.scheduling.conftest import clinic_setup  # noqa: F401  (shared)

PATIENT_PASSWORD = "sea-glass-lantern-77"


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Sign-in limits are counted in the cache: every test starts with none."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


def invite_link(world, patient) -> str:
    """Invite through the service the patient page's button calls; the e-mailed link."""
    from mesoclinic.portal.services import portal_invite

    before = len(mail.outbox)
    portal_invite(
        scope=world.scope("receptionist"),
        patient=patient,
        base_url="http://testserver/",
        now=timezone.now(),
    )
    assert len(mail.outbox) == before + 1
    return re.search(r"http://testserver(/portal/invitation/\S+/)", mail.outbox[-1].body).group(1)


def signed_in(client, world, patient, password: str = PATIENT_PASSWORD):
    """A client whose patient accepted the invitation (set a password) and is signed in."""
    path = invite_link(world, patient)
    response = client.post(path, {"password1": password, "password2": password})
    assert response.status_code == 302, response.content[:500]
    return client


@pytest.fixture
def portal_world(world, patient_of, clinic_setup):  # noqa: F811
    """A clinic with a phone, a published 3-session nappage course and two patients."""
    from mesoclinic.patients.services import patient_update
    from mesoclinic.portal.models import OnlineService, PortalSettings

    world.clinic.phone = "+7 495 000-00-00"
    world.clinic.save(update_fields=["phone"])
    PortalSettings.objects.create(
        organisation=world.organisation, clinic=world.clinic, lead_time_hours=24
    )
    patients = {}
    for key, family, email in (
        ("a", "Alpha", "alpha@example.test"),
        ("b", "Beta", "beta@example.test"),
    ):
        patient = patient_of(world, family=family, given="Anna", born="1985-04-01")
        patient = patient_update(
            scope=world.scope("receptionist"),
            patient=patient,
            today=dt.date(2026, 11, 23),
            email=email,
        )
        patients[key] = patient
    course = OnlineService.objects.create(
        organisation=world.organisation,
        clinic=world.clinic,
        name="Face revitalisation course",
        kind="course",
        protocol_id="protocol.face-rejuvenation",
        technique_id="technique.nappage",
        product_id="product.revitalising-cocktail",
        zones=["zone.cheeks"],
        sessions=3,
        duration_min=30,
        practitioner=world.users["practitioner"],
    )
    return {"world": world, "patients": patients, "course": course, "staff_password": PASSWORD}
