"""Outcome pages: scoring from the session page, the patient's chart, follow-ups, the report."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.core import mail
from django.test import Client

from mesoclinic.charting.services import side_effect_record
from mesoclinic.consultations.models import PlanStatus, TreatmentPlan
from mesoclinic.core.screening import add_months
from mesoclinic.outcomes.models import OutcomeScore
from mesoclinic.outcomes.selectors import followups_due
from mesoclinic.outcomes.services import score_record
from mesoclinic.outcomes.tasks import followup_reminders_enqueue
from tests.charting.factories import NOW, TODAY

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_refused_score_keeps_what_was_typed_and_a_good_one_is_charted(world, signed):
    client = _client(world.users["practitioner"])
    page = client.get(f"/sessions/{signed.pk}/").content.decode()
    assert "Record a score" in page and "WSRS 3 — Moderate" in page
    url = f"/outcomes/sessions/{signed.pk}/"
    typed = {
        "level": "scale.gais-subject:2",
        "rater": "investigator",
        "zone_id": "zone.cheeks",
        "scored_on": TODAY.isoformat(),
        "note": "left side better",
    }
    refused = client.post(url, typed)
    body = refused.content.decode()
    assert refused.status_code == 400
    assert "is scored by the patient, not the practitioner" in body
    assert 'value="scale.gais-subject:2" selected' in body and "left side better" in body
    assert not OutcomeScore.objects.exists()

    done = client.post(url, {**typed, "level": "scale.wsrs:3"})
    assert done.status_code == 302
    chart = client.get(f"/outcomes/patients/{signed.patient_id}/").content.decode()
    assert chart.count('data-testid="chart-point"') == 1
    assert 'data-testid="chart-session"' in chart and "<svg" in chart


def test_the_end_of_a_course_asks_for_follow_up_until_it_is_scored(
    world, signed, django_capture_on_commit_callbacks
):
    TreatmentPlan.objects.filter(pk=signed.plan_id).update(status=PlanStatus.COMPLETED)
    practitioner = world.scope("practitioner")
    due = followups_due(scope=practitioner, today=TODAY, practitioner_id=practitioner.user_id)
    assert [(f.plan.pk, f.timepoint) for f in due] == [(signed.plan_id, "follow_up")]
    home = _client(world.users["practitioner"]).get("/").content.decode()
    assert 'data-testid="home-followup"' in home and "Follow-up at the course" in home

    world.users["practitioner"].email = "doc@example.org"
    world.users["practitioner"].save()
    with django_capture_on_commit_callbacks(execute=True):
        queued = followup_reminders_enqueue(day=TODAY)
    assert queued == [(signed.plan_id, "follow_up")]
    assert mail.outbox[-1].to == ["doc@example.org"]
    assert "Course Patient" in mail.outbox[-1].subject

    score_record(
        scope=practitioner,
        patient=signed.patient,
        plan=signed.plan,
        scale_id="scale.wsrs",
        value="2",
        rater="investigator",
        timepoint="follow_up",
        scored_on=TODAY,
        zone_id="zone.cheeks",
        now=NOW,
    )
    assert followups_due(scope=practitioner, today=TODAY) == []
    six_months = add_months(TODAY, 6)
    later = followups_due(scope=practitioner, today=six_months)
    assert [(f.timepoint, f.due_on) for f in later] == [("maintenance", six_months)]
    assert followup_reminders_enqueue(day=six_months - dt.timedelta(days=1)) == []
    assert followup_reminders_enqueue(day=six_months) == [(signed.plan_id, "maintenance")]


def test_the_owners_report_shows_change_with_its_interval_and_adverse_events(world, signed):
    practitioner = world.scope("practitioner")
    common = {
        "scope": practitioner,
        "patient": signed.patient,
        "plan": signed.plan,
        "scale_id": "scale.wsrs",
        "rater": "investigator",
        "zone_id": "zone.cheeks",
        "scored_on": TODAY,
        "now": NOW,
    }
    score_record(value="4", timepoint="baseline", **common)
    score_record(value="2", timepoint="follow_up", **common)
    side_effect_record(
        scope=practitioner,
        session=signed,
        kind="se.bruising",
        phase="session",
        severity="mild",
        outcome="resolved",
        onset_on=TODAY,
        now=NOW,
    )

    owner = _client(world.users["owner"])
    page = owner.get("/outcomes/report/")
    body = page.content.decode()
    assert page.status_code == 200
    assert "Observational" in body
    assert "Face rejuvenation" in body or "rejuvenation" in body.lower()
    assert 'data-key="protocol.face-rejuvenation" data-scale="scale.wsrs"' in body
    assert "100.0 (1 / 1)" in body  # one side effect on one signed session

    rows = list(csv.reader(io.StringIO(owner.get("/outcomes/report/?export=csv").content.decode())))
    assert rows[0][:3] == ["Grouped by", "Name", "Scale"]
    protocol = next(r for r in rows if r[0] == "Protocol" and r[2] == "WSRS")
    assert protocol[3:6] == ["1", "1", "2.00"]  # courses, paired, mean change
    assert protocol[8] == "100"  # improved, %

    assert owner.get("/outcomes/report/?first=2027-01-01&last=2026-01-01").status_code == 400
    assert _client(world.users["practitioner"]).get("/outcomes/report/").status_code == 403
