"""Two organisations, each with one object behind every kind of id the URLconf takes."""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass

import pytest

from tests.scheduling.conftest import MONDAY, MOSCOW, signature_data_url

_n = itertools.count(1)


@dataclass
class OrgData:
    world: object
    patient: object
    ids: dict  # URL parameter name -> value that names this organisation's object


def org_data_build(world) -> OrgData:
    """Patient, history fact, consultation, plan + consent, appointment, charted session,
    product, lot, delivery import and patient calendar feed, all made through the services."""
    from mesoclinic.charting.services import session_sign
    from mesoclinic.consultations.services import (
        consent_sign,
        consultation_create,
        plan_activate,
        plan_create,
    )
    from mesoclinic.inventory.services import delivery_import_create
    from mesoclinic.patients.services import history_fact_record, patient_create
    from mesoclinic.scheduling.models import CalendarFeed, Device, Room
    from mesoclinic.scheduling.services import credential_grant
    from tests.charting.factories import NOW, charted, make_day

    n = next(_n)
    org = world.organisation
    for name in ("A", "B"):
        Room.objects.create(organisation=org, clinic=world.clinic, name=name)
    Device.objects.create(
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
    now = dt.datetime(2026, 11, 23, 12, 0, tzinfo=MOSCOW)
    today = now.date()
    patient = patient_create(
        scope=world.scope("receptionist"),
        family_name=f"Sweepfamily{n}",
        given_name="Sweepgiven",
        birth_date=dt.date(1988, 5, 5),
        today=today,
    )
    practitioner = world.scope("practitioner")
    consultation = consultation_create(
        scope=practitioner,
        patient=patient,
        now=now,
        today=today,
        examination="dry skin",
        indications=["indication.dehydration"],
        zones=["zone.cheeks"],
    )
    plan = plan_create(
        scope=practitioner,
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
    consent = consent_sign(
        scope=practitioner,
        plan=plan,
        signer_name="Sweep Patient",
        signature=signature_data_url(),
        now=now,
        today=today,
    )
    plan = plan_activate(scope=practitioner, plan=plan, now=now, today=today)
    day = make_day(world, plan)
    session = session_sign(scope=day.scope, session=charted(day), now=NOW)
    # Recorded last: an allergy to the plan's ingredient would block the plan.
    fact = history_fact_record(
        scope=practitioner,
        patient=patient,
        kind="allergy",
        code="ingredient.hyaluronic-acid",
        now=now,
        today=today,
    )
    job = delivery_import_create(
        scope=world.scope("nurse"),
        filename="delivery.csv",
        content="product,lot_number,expiry_date,quantity_ml\n",
        today=today,
    )
    feed = CalendarFeed.objects.create(organisation=org, patient=patient)
    from mesoclinic.jobs.models import BackgroundJob, JobStatus

    background = BackgroundJob.objects.create(
        organisation=org,
        clinic=world.clinic,
        kind="reminders",
        status=JobStatus.FAILED,
        error="mail",
        task_path="mesoclinic.scheduling.tasks.clinic_reminders_send",
        task_args=[world.clinic.pk, []],
    )
    from mesoclinic.interop.models import JobStatus as AccessStatus
    from mesoclinic.interop.models import SubjectAccessRequest

    # A finished copy of the patient's data (its archive's content is not what is swept).
    access = SubjectAccessRequest.objects.create(
        organisation=org,
        patient=patient,
        requested_at=now,
        status=AccessStatus.DONE,
        archive=b"PK\x05\x06" + bytes(18),
    )
    from mesoclinic.photos.services import photo_capture, photo_consent_sign
    from tests.photos.images import sharp_jpeg

    photo_consent = photo_consent_sign(
        scope=practitioner,
        patient=patient,
        use="record",
        signer_name="Sweep Patient",
        signature=signature_data_url(),
        now=now,
        today=today,
    )
    photo = photo_capture(
        scope=practitioner,
        patient=patient,
        data=sharp_jpeg(),
        content_type="image/jpeg",
        zone_id="zone.cheeks",
        view_id="view.frontal",
        session=session,
        now=now,
    )
    from mesoclinic.portal.models import OnlineBooking, OnlineService
    from mesoclinic.portal.services import questionnaire_submit

    questionnaire = questionnaire_submit(
        patient=patient,
        clinic=world.clinic,
        answers={"pregnant": "no", "breastfeeding": "no", "allergies": "latex"},
        now=now,
    )
    service = OnlineService.objects.create(
        organisation=org,
        clinic=world.clinic,
        name="Skin booster",
        kind="session",
        technique_id="technique.nappage",
        zones=["zone.cheeks"],
        practitioner=world.users["practitioner"],
    )
    # The booking's record as the portal leaves it (booking itself: tests/portal).
    online_booking = OnlineBooking.objects.create(
        organisation=org,
        clinic=world.clinic,
        patient=patient,
        service=service,
        appointment_ids=[day.appointment.pk],
        screening_level="ok",
        knowledge_version="sweep",
        booked_at=now,
    )
    from mesoclinic.portal.models import OnlineChange

    online_change = OnlineChange.objects.create(
        organisation=org,
        clinic=world.clinic,
        patient=patient,
        appointment=day.appointment,
        kind="reschedule",
        old_starts_at=day.appointment.starts_at,
        new_starts_at=day.appointment.starts_at,
        changed_at=now,
    )
    from mesoclinic.patients.models import Patient
    from mesoclinic.portal.models import PortalAccount, SelfRegistration
    from mesoclinic.portal.services import portal_actor

    # A patient who registered online, as the booking page leaves them (tests/portal).
    newcomer = Patient.objects.create(
        organisation=org,
        home_clinic=world.clinic,
        family_name="Newcomer",
        given_name="Nora",
        birth_date=dt.date(1990, 5, 5),
    )
    self_registered = PortalAccount.objects.create(
        organisation=org,
        clinic=world.clinic,
        patient=newcomer,
        email=f"self-{org.pk}@example.test",
        invited_by=portal_actor(organisation_id=org.pk),
        created_at=now,
    )
    self_registration = SelfRegistration.objects.create(
        organisation=org,
        clinic=world.clinic,
        patient=newcomer,
        account=self_registered,
        possible_duplicates=[patient.pk],
        registered_at=now,
    )
    from mesoclinic.api.services import api_token_create

    token, _secret = api_token_create(
        user=world.users["practitioner"], clinic=world.clinic, name="sweep"
    )
    from mesoclinic.scheduling.models import PlannerBooking, PlannerRun, PlannerRunStatus

    # A finished planner run proposing the plan's course, and a booking made from it.
    run = PlannerRun.objects.create(
        organisation=org,
        clinic=world.clinic,
        created_by=world.users["receptionist"],
        first_day=today,
        last_day=today + dt.timedelta(weeks=16),
        status=PlannerRunStatus.DONE,
        percent=100,
        result={"courses": [plan.pk], "placements": [], "unplaced": []},
    )
    booking = PlannerBooking.objects.create(
        organisation=org,
        clinic=world.clinic,
        run=run,
        created_by=world.users["receptionist"],
        report=[{"plan": plan.pk, "booked": 0, "problems": ["-"]}],
    )
    return OrgData(
        world=world,
        patient=patient,
        ids={
            "patient_id": patient.pk,
            "fact_id": fact.pk,
            "consultation_id": consultation.pk,
            "plan_id": plan.pk,
            "consent_id": consent.pk,
            "product_id": day.product.pk,
            "lot_id": day.lot.pk,
            "fmt": "csv",
            "import_id": job.pk,
            "appointment_id": day.appointment.pk,
            "session_id": session.pk,
            "clinic_id": world.clinic.pk,
            "token": feed.token,
            "token_id": token.pk,
            "feed_id": feed.pk,
            "user_id": world.users["practitioner"].pk,
            "job_id": background.pk,
            "access_id": access.pk,
            "run_id": run.pk,
            "booking_id": booking.pk,
            "photo_consent_id": photo_consent.pk,
            "photo_id": photo.pk,
            "questionnaire_id": questionnaire.pk,
            "online_booking_id": online_booking.pk,
            "online_change_id": online_change.pk,
            "self_registration_id": self_registration.pk,
            "service_id": service.pk,
        },
    )


@pytest.fixture
def two_orgs(make_org):
    """(ours, theirs): two organisations with the same kinds of objects."""
    return org_data_build(make_org()), org_data_build(make_org())
