"""The audit trail and a patient's timeline come a page at a time, filters kept."""

from __future__ import annotations

import datetime as dt
import re

from django.test import Client
from django.urls import reverse
from django.utils import timezone

from mesoclinic.audit import views as audit_views
from mesoclinic.audit.models import AuditAction
from mesoclinic.audit.services import audit_record
from mesoclinic.consultations import views as consultation_views
from mesoclinic.patients.services import history_fact_record


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _next(html: str) -> str:
    return re.search(r'href="([^"]+)" rel="next"', html).group(1).replace("&amp;", "&")


def test_audit_trail_pages_keep_the_patient_filter(world, patient_of, monkeypatch):
    monkeypatch.setattr(audit_views, "AUDIT_PER_PAGE", 2)
    watched, other = patient_of(world, family="Watched"), patient_of(world, family="Other")
    for _ in range(3):
        audit_record(
            action=AuditAction.READ,
            actor=world.users["nurse"],
            organisation_id=world.organisation.pk,
            obj=watched,
        )
    client = _client(world.users["owner"])
    first = client.get(f"/audit/?patient={watched.pk}").content.decode()
    link = _next(first)
    assert f"patient={watched.pk}" in link and "page=2" in link
    second = client.get(f"/audit/{link}").content.decode()
    assert "Other" not in second and "Watched" in second
    assert other.pk  # the filter, not luck, keeps Other out


def test_timeline_is_paged_newest_first(world, patient_of, monkeypatch):
    monkeypatch.setattr(consultation_views, "TIMELINE_PER_PAGE", 2)
    patient = patient_of(world)
    scope = world.scope("practitioner")
    codes = ["condition.diabetes", "condition.bleeding-disorder", "condition.cold-intolerance"]
    for days, code in enumerate(codes):
        history_fact_record(
            scope=scope,
            patient=patient,
            kind="condition",
            code=code,
            now=timezone.now() + dt.timedelta(minutes=days),
            today=timezone.localdate(),
        )
    client = _client(world.users["practitioner"])
    url = reverse("consultations:timeline", args=[patient.pk])
    first = client.get(url).content.decode()
    assert first.count('data-kind="history"') == 2 and "Page 1 of 2" in first
    second = client.get(url + _next(first)).content.decode()
    assert second.count('data-kind="history"') == 1
