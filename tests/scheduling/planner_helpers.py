"""Waiting courses for the clinic planner's tests: active plans, screened and consented."""

from __future__ import annotations

import datetime as dt

from tests.scheduling.conftest import MONDAY, MOSCOW, signature_data_url


def waiting_course(world, patient_of, *, family: str, sessions: int = 3):
    """An active nappage plan of a new patient, nothing booked yet."""
    from mesoclinic.consultations.services import consent_sign, plan_activate, plan_create

    now = dt.datetime(2026, 11, 23, 12, 0, tzinfo=MOSCOW)
    patient = patient_of(world, family=family, given="Waiting", born="1985-03-03")
    scope = world.scope("practitioner")
    plan = plan_create(
        scope=scope,
        patient=patient,
        now=now,
        today=now.date(),
        zones=["zone.cheeks"],
        technique_ids=["technique.nappage"],
        products=[("product.revitalising-cocktail", "2.0")],
        sessions=sessions,
        interval_min_days=7,
        interval_max_days=10,
        preferred_interval_days=7,
        target_start=dt.date.fromisoformat(MONDAY),
        protocol_id="protocol.face-rejuvenation",
    )
    consent_sign(
        scope=scope,
        plan=plan,
        signer_name=f"{family} Waiting",
        signature=signature_data_url(),
        now=now,
        today=now.date(),
    )
    return plan_activate(scope=scope, plan=plan, now=now, today=now.date())
