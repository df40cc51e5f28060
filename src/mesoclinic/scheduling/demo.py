"""Demo rooms, devices, credentials, working hours and this week's appointments."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from mesoclinic.accounts.models import Clinic, Role, User
from mesoclinic.accounts.scope import scope_for
from mesoclinic.patients.models import Patient
from mesoclinic.scheduling.models import Device, Room, WorkingHours
from mesoclinic.scheduling.services import appointment_book, credential_grant

NEEDLE = ["technique.nappage", "technique.papule", "technique.point-by-point"]
ALL = [*NEEDLE, "technique.linear-retrograde", "technique.deep", "technique.electroporation"]


def demo_schedule_load(*, organisation, owner: User) -> None:
    """Give each demo clinic rooms and a device, the practitioners credentials and hours,
    and book a few appointments on the next working days."""
    owner_scope = scope_for(owner)
    for clinic in Clinic.objects.filter(organisation=organisation):
        for name in (
            ("Кабинет 1", "Кабинет 2") if "Moscow" in clinic.time_zone else ("Room 1", "Room 2")
        ):
            Room.objects.create(organisation=organisation, clinic=clinic, name=name)
        Device.objects.create(
            organisation=organisation,
            clinic=clinic,
            name="Electroporation EP-1",
            technique_ids=["technique.electroporation", "technique.cryo-electroporation"],
        )
    practitioners = User.objects.filter(
        organisation=organisation, memberships__role=Role.PRACTITIONER
    ).distinct()
    for i, practitioner in enumerate(practitioners.order_by("username")):
        for technique in ALL if i == 0 else NEEDLE:
            credential_grant(scope=owner_scope, practitioner=practitioner, technique_id=technique)
        for membership in practitioner.memberships.filter(role=Role.PRACTITIONER):
            for hours in membership.clinic.opening_hours.all():
                WorkingHours.objects.create(
                    organisation=organisation,
                    clinic=membership.clinic,
                    practitioner=practitioner,
                    weekday=hours.weekday,
                    starts=hours.opens,
                    ends=hours.closes,
                )
    moscow = Clinic.objects.get(organisation=organisation, time_zone="Europe/Moscow")
    anna = User.objects.get(organisation=organisation, username="anna")
    maria = User.objects.get(organisation=organisation, username="maria")
    scope = scope_for(maria, clinic_id=moscow.pk)
    day = timezone.localdate(timezone=moscow.zone) + dt.timedelta(days=1)
    while day.weekday() > 4:
        day += dt.timedelta(days=1)
    patients = list(Patient.objects.filter(organisation=organisation, home_clinic=moscow)[:4])
    for slot, patient in enumerate(patients):
        starts = dt.datetime.combine(day, dt.time(10 + slot, 0), tzinfo=moscow.zone)
        appointment_book(
            scope=scope,
            patient=patient,
            practitioner=anna,
            starts_at=starts,
            duration_min=45,
            technique_id="technique.nappage" if slot % 2 == 0 else "technique.papule",
        )


def _signature_png() -> str:
    """A drawn signature, as the signature pad would post it (demo only)."""
    import base64
    import io

    from PIL import Image, ImageDraw

    image = Image.new("RGBA", (320, 100), (255, 255, 255, 0))
    ImageDraw.Draw(image).line(
        (12, 70, 80, 25, 150, 75, 230, 30, 300, 60), fill=(20, 20, 60, 255), width=4
    )
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def demo_course_load(*, organisation) -> None:
    """An active, consented course for one Moscow patient, booked from today on, so the
    session day (check-in, charting, signing) can be tried at once."""
    from mesoclinic.consultations.services import consent_sign, plan_activate, plan_create
    from mesoclinic.scheduling.courses import choices_from_plan, course_book, course_propose

    moscow = Clinic.objects.get(organisation=organisation, time_zone="Europe/Moscow")
    anna = User.objects.get(organisation=organisation, username="anna")
    maria = User.objects.get(organisation=organisation, username="maria")
    patient = Patient.objects.get(organisation=organisation, family_name="Соколова")
    now = timezone.now()
    today = timezone.localdate(timezone=moscow.zone)
    scope = scope_for(anna, clinic_id=moscow.pk)
    plan = plan_create(
        scope=scope,
        patient=patient,
        now=now,
        today=today,
        protocol_id="protocol.face-rejuvenation",
        zones=["zone.forehead", "zone.cheeks", "zone.neck"],
        technique_ids=["technique.nappage"],
        products=[("product.revitalising-cocktail", "3.0")],
        sessions=5,
        interval_min_days=7,
        interval_max_days=10,
        preferred_interval_days=7,
        target_start=today,
    )
    consent_sign(
        scope=scope,
        plan=plan,
        signer_name=patient.full_name,
        signature=_signature_png(),
        now=now,
        today=today,
    )
    plan = plan_activate(scope=scope, plan=plan, now=now, today=today)
    desk = scope_for(maria, clinic_id=moscow.pk)
    proposal = course_propose(scope=desk, plan=plan, today=today)
    course_book(scope=desk, plan=plan, sessions=choices_from_plan(proposal, moscow))
    _demo_waiting_courses(organisation=organisation, clinic=moscow, practitioner=anna, now=now)


def _demo_waiting_courses(*, organisation, clinic, practitioner, now) -> None:
    """Consented, active courses with nothing booked yet, for the clinic planner to place
    (Schedule -> Clinic planner), each with its own number of sessions and interval."""
    from mesoclinic.consultations.services import consent_sign, plan_activate, plan_create

    today = timezone.localdate(timezone=clinic.zone)
    scope = scope_for(practitioner, clinic_id=clinic.pk)
    waiting = (
        Patient.objects.filter(organisation=organisation, home_clinic=clinic, history__isnull=True)
        .exclude(family_name="Соколова")
        .order_by("pk")[:3]
    )
    courses = [
        ("protocol.face-rejuvenation", ["zone.forehead", "zone.cheeks"], 4, 7, 10, 7),
        ("protocol.face-rejuvenation", ["zone.neck"], 5, 7, 14, 10),
        ("protocol.face-rejuvenation", ["zone.cheeks"], 6, 7, 10, 7),
    ]
    for patient, (protocol, zones, sessions, low, high, gap) in zip(waiting, courses, strict=False):
        plan = plan_create(
            scope=scope,
            patient=patient,
            now=now,
            today=today,
            protocol_id=protocol,
            zones=zones,
            technique_ids=["technique.nappage"],
            products=[("product.revitalising-cocktail", "2.0")],
            sessions=sessions,
            interval_min_days=low,
            interval_max_days=high,
            preferred_interval_days=gap,
            target_start=today + dt.timedelta(days=3),
        )
        consent_sign(
            scope=scope,
            plan=plan,
            signer_name=patient.full_name,
            signature=_signature_png(),
            now=now,
            today=today,
        )
        plan_activate(scope=scope, plan=plan, now=now, today=today)
