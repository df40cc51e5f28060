from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest

from mesoclinic.scheduling.models import Device, Room

MOSCOW = zoneinfo.ZoneInfo("Europe/Moscow")


def at(day: str, hhmm: str) -> dt.datetime:
    """An aware datetime in the test clinic's zone (Europe/Moscow)."""
    h, m = map(int, hhmm.split(":"))
    return dt.datetime.combine(dt.date.fromisoformat(day), dt.time(h, m), tzinfo=MOSCOW)


# 2026-11-30 is a Monday; the test clinic opens Monday-Saturday 09:00-19:00.
MONDAY = "2026-11-30"


@pytest.fixture
def clinic_setup(world):
    """The world's main clinic with two rooms, an electroporation device and credentials."""
    from mesoclinic.scheduling.services import credential_grant

    org = world.organisation
    rooms = [
        Room.objects.create(organisation=org, clinic=world.clinic, name=name) for name in ("A", "B")
    ]
    device = Device.objects.create(
        organisation=org,
        clinic=world.clinic,
        name="EP-1",
        technique_ids=["technique.electroporation"],
    )
    owner = world.scope("owner")
    for technique in ("technique.nappage", "technique.papule", "technique.electroporation"):
        credential_grant(
            scope=owner, practitioner=world.users["practitioner"], technique_id=technique
        )
    return {"rooms": rooms, "device": device}


def signature_data_url() -> str:
    """A drawn signature as the signature pad posts it (PNG data URL)."""
    import base64
    import io

    from PIL import Image, ImageDraw

    image = Image.new("RGBA", (300, 100), (255, 255, 255, 0))
    ImageDraw.Draw(image).line((10, 60, 150, 30, 290, 70), fill=(0, 0, 0, 255), width=4)
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


@pytest.fixture
def active_plan(world, patient_of, clinic_setup):
    """An active 6-session nappage plan (7-10 days apart), screened and consented."""
    from mesoclinic.consultations.services import consent_sign, plan_activate, plan_create

    now = dt.datetime(2026, 11, 23, 12, 0, tzinfo=MOSCOW)
    today = now.date()
    patient = patient_of(world, family="Course", given="Patient", born="1988-05-05")
    scope = world.scope("practitioner")
    plan = plan_create(
        scope=scope,
        patient=patient,
        now=now,
        today=today,
        zones=["zone.cheeks"],
        technique_ids=["technique.nappage"],
        products=[("product.revitalising-cocktail", "2.0")],
        sessions=6,
        interval_min_days=7,
        interval_max_days=10,
        preferred_interval_days=7,
        target_start=dt.date.fromisoformat(MONDAY),
        protocol_id="protocol.face-rejuvenation",
    )
    consent_sign(
        scope=scope,
        plan=plan,
        signer_name="Course Patient",
        signature=signature_data_url(),
        now=now,
        today=today,
    )
    return plan_activate(scope=scope, plan=plan, now=now, today=today)


def record_signed_session(world, plan, appointment):
    """The practitioner's signed chart of `appointment` (a course session), and the
    appointment marked done as signing marks it.

    Stored directly: what is under test is what the desk and the course do with a
    signed session, not charting itself (tests/services/test_session_sign.py).
    """
    from mesoclinic.charting.models import SessionStatus, TreatmentSession
    from mesoclinic.scheduling.services import TRANSITIONS, appointment_status_set

    practitioner = world.users["practitioner"]
    start = appointment.starts_at
    session = TreatmentSession.objects.create(
        organisation=world.organisation,
        clinic=appointment.clinic,
        patient=plan.patient,
        practitioner=practitioner,
        appointment=appointment,
        plan=plan,
        session_number=appointment.session_number or 1,
        session_date=start.astimezone(appointment.clinic.zone).date(),
        status=SessionStatus.SIGNED,
        screened_at=start,
        screened_by=practitioner,
        knowledge_version="test",
        signed_at=start,
        signed_by=practitioner,
        signed_knowledge_version="test",
        created_at=start,
    )
    scope = world.scope("receptionist")
    for status in ("arrived", "done"):
        appointment.refresh_from_db()
        if status not in TRANSITIONS.get(appointment.status, ()):
            continue
        appointment_status_set(
            scope=scope,
            appointment=appointment,
            status=status,
            expected_version=appointment.version,
        )
    appointment.refresh_from_db()
    return session
