"""Demo outcomes: finished courses of three protocols with baseline and follow-up scores.

Bounded (twelve courses, four sessions each) so `mesoclinic demo` stays fast. The
courses are history: their signed sessions are stored as finished records (no chart
entries), the scores go through `score_record` like any other.
"""

from __future__ import annotations

import datetime as dt
import random

from django.utils import timezone

from mesoclinic.accounts.models import Clinic, User
from mesoclinic.accounts.scope import scope_for
from mesoclinic.charting.models import SessionStatus, SideEffect, TreatmentSession
from mesoclinic.consultations.engine import kb as knowledge
from mesoclinic.consultations.models import PlanStatus, TreatmentPlan
from mesoclinic.outcomes.services import score_record
from mesoclinic.patients.models import Patient

SESSIONS = 4
# protocol, zone, technique, product, dose, (scale, baseline levels, typical gain)
COURSES = (
    ("protocol.skinbooster-ha", "zone.cheeks", "technique.papule", "product.ha-skinbooster", "1.0",
     ("scale.wsrs", ["3", "4", "4", "3"], 1)),
    ("protocol.hair-loss", "zone.scalp", "technique.nappage", "product.hair-cocktail", "2.0",
     ("scale.ludwig", ["II", "II", "III", "II"], 0)),
    ("protocol.cellulite", "zone.thighs", "technique.nappage", "product.cellulite-cocktail", "5.0",
     ("scale.hexsel-css", ["9", "11", "7", "12"], 2)),
)  # fmt: skip


def outcomes_demo_load(*, organisation) -> int:
    """Twelve finished Moscow courses with scores; returns the number of courses."""
    kb = knowledge()
    rng = random.Random(14)
    moscow = Clinic.objects.get(organisation=organisation, time_zone="Europe/Moscow")
    anna = User.objects.get(organisation=organisation, username="anna")
    patients = list(
        Patient.objects.filter(organisation=organisation, home_clinic=moscow).order_by("pk")
    )
    scope = scope_for(anna, clinic_id=moscow.pk)
    now = timezone.now()
    today = timezone.localdate(timezone=moscow.zone)
    count = 0
    for c, (protocol, zone, technique, product, dose, measure) in enumerate(COURSES):
        scale_id, baselines, gain = measure
        scale = kb.scale[scale_id]
        for k, baseline in enumerate(baselines):
            patient = patients[(c * 4 + k) % len(patients)]
            start = today - dt.timedelta(days=200 + 40 * k + 10 * c)
            plan = TreatmentPlan.objects.create(
                organisation=organisation,
                clinic=moscow,
                patient=patient,
                practitioner=anna,
                protocol_id=protocol,
                zones=[zone],
                technique_ids=[technique],
                sessions=SESSIONS,
                interval_min_days=7,
                interval_max_days=14,
                preferred_interval_days=7,
                target_start=start,
                status=PlanStatus.COMPLETED,
                knowledge_version=kb.version,
                created_at=now - dt.timedelta(days=(today - start).days + 7),
                updated_at=now,
                activated_at=now - dt.timedelta(days=(today - start).days + 7),
            )
            plan.products.create(organisation=organisation, product_id=product, dose_ml=dose)
            sessions = [
                _signed_session(plan, anna, n, start + dt.timedelta(days=7 * (n - 1)), now, kb)
                for n in range(1, SESSIONS + 1)
            ]
            if (c + k) % 3 == 0:
                SideEffect.objects.create(
                    organisation=organisation,
                    session=sessions[0],
                    patient=patient,
                    kind="se.bruising",
                    zone_id=zone,
                    phase="session",
                    severity="mild",
                    outcome="resolved",
                    onset_on=sessions[0].session_date,
                    recorded_by=anna,
                    recorded_at=now,
                )
            common = {"scope": scope, "patient": patient, "plan": plan, "now": now}
            score_record(
                **common,
                scale_id=scale_id,
                value=baseline,
                rater="investigator",
                timepoint="baseline",
                zone_id=zone,
                scored_on=start,
            )
            follow_on = sessions[-1].session_date + dt.timedelta(days=14)
            score_record(
                **common,
                scale_id=scale_id,
                value=_better(scale, baseline, gain + rng.choice((-1, 0, 0, 1))),
                rater="investigator",
                timepoint="follow_up",
                zone_id=zone,
                scored_on=follow_on,
            )
            score_record(
                **common,
                scale_id="scale.gais",
                value=str(max(-1, min(3, gain + rng.choice((0, 1))))),
                rater="investigator",
                timepoint="follow_up",
                zone_id=zone,
                scored_on=follow_on,
            )
            score_record(
                **common,
                scale_id="scale.patient-satisfaction",
                value=rng.choice(("3", "3", "4", "2")),
                rater="subject",
                timepoint="follow_up",
                scored_on=follow_on,
            )
            count += 1
    return count


def _better(scale, value: str, steps: int) -> str:
    """The level `steps` better than `value` (clamped to the scale)."""
    levels = list(scale.levels)
    i = next(n for n, lv in enumerate(levels) if lv.value == value)
    j = i - steps if scale.better == "lower" else i + steps
    return levels[max(0, min(len(levels) - 1, j))].value


def _signed_session(plan, practitioner, number: int, day: dt.date, now, kb):
    moment = dt.datetime.combine(day, dt.time(11), tzinfo=plan.clinic.zone)
    return TreatmentSession.objects.create(
        organisation=plan.organisation,
        clinic=plan.clinic,
        patient=plan.patient,
        practitioner=practitioner,
        plan=plan,
        session_number=number,
        session_date=day,
        status=SessionStatus.SIGNED,
        screened_at=moment,
        screened_by=practitioner,
        knowledge_version=kb.version,
        signed_at=moment,
        signed_by=practitioner,
        signed_knowledge_version=kb.version,
        created_at=moment,
    )
