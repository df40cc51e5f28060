"""`mesoclinic reminders` queues each clinic's own tomorrow, not tomorrow in UTC."""

from __future__ import annotations

import datetime as dt

from mesoclinic.scheduling.models import Appointment
from mesoclinic.scheduling.tasks import reminders_enqueue


def _book(world, patient, clinic, local: dt.datetime) -> Appointment:
    start = local.replace(tzinfo=clinic.zone)
    return Appointment.objects.create(
        organisation=world.organisation,
        clinic=clinic,
        patient=patient,
        practitioner=world.users["practitioner"],
        starts_at=start,
        ends_at=start + dt.timedelta(minutes=45),
        technique_id="technique.nappage",
        created_by=world.users["receptionist"],
    )


def test_reminders_go_out_for_each_clinics_own_tomorrow(world, patient_of):
    patient = patient_of(world)
    # 22:30 UTC on Sunday 29 November: already Monday 30th (01:30) in Moscow,
    # still Sunday in London. Moscow's tomorrow is 1 December, London's is 30 November.
    now = dt.datetime(2026, 11, 29, 22, 30, tzinfo=dt.UTC)
    moscow_tomorrow = _book(world, patient, world.clinic, dt.datetime(2026, 12, 1, 10, 0))
    _book(world, patient, world.clinic, dt.datetime(2026, 11, 30, 10, 0))  # Moscow's today
    london_tomorrow = _book(world, patient, world.other_clinic, dt.datetime(2026, 11, 30, 10, 0))
    _book(world, patient, world.other_clinic, dt.datetime(2026, 12, 1, 10, 0))
    queued = reminders_enqueue(now=now)
    assert sorted(queued) == sorted([moscow_tomorrow.pk, london_tomorrow.pk])


def test_a_given_day_is_that_day_in_every_clinic(world, patient_of):
    patient = patient_of(world)
    moscow = _book(world, patient, world.clinic, dt.datetime(2026, 12, 1, 10, 0))
    london = _book(world, patient, world.other_clinic, dt.datetime(2026, 12, 1, 10, 0))
    queued = reminders_enqueue(day=dt.date(2026, 12, 1))
    assert sorted(queued) == sorted([moscow.pk, london.pk])
