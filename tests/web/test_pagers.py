"""The audit trail and a patient's timeline come a page at a time, filters kept."""

from __future__ import annotations

import datetime as dt
import re

from django.test import Client
from django.urls import reverse
from django.utils import timezone

from mesoclinic.audit import views as audit_views
from mesoclinic.audit.models import AuditAction, AuditEvent
from mesoclinic.audit.services import audit_record
from mesoclinic.consultations import views as consultation_views
from mesoclinic.consultations.selectors import patient_timeline
from mesoclinic.patients.services import history_fact_record


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _next(html: str) -> str:
    return re.search(r'href="([^"]+)" rel="next"', html).group(1).replace("&amp;", "&")


def _link(html: str, rel: str) -> str | None:
    found = re.search(rf'href="([^"]+)" rel="{rel}"', html)
    return found.group(1).replace("&amp;", "&") if found else None


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
    assert f"patient={watched.pk}" in link and "before=" in link
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
    assert first.count('data-kind="history"') == 2
    second = client.get(url + _next(first)).content.decode()
    assert second.count('data-kind="history"') == 1


def test_audit_trail_walked_page_by_page_shows_every_event_once_and_newer_goes_back(
    world, patient_of, monkeypatch
):
    monkeypatch.setattr(audit_views, "AUDIT_PER_PAGE", 3)
    patient = patient_of(world, family="Walked")
    for _ in range(8):
        audit_record(
            action=AuditAction.READ,
            actor=world.users["nurse"],
            organisation_id=world.organisation.pk,
            obj=patient,
        )
    expected = list(
        AuditEvent.objects.filter(patient_id=patient.pk)
        .order_by("-at", "-id")
        .values_list("pk", flat=True)
    )
    client = _client(world.users["owner"])
    seen, pages, url = [], [], f"/audit/?patient={patient.pk}"
    while url is not None:
        response = client.get(url)
        html = response.content.decode()
        pages.append((url, [e.pk for e in response.context["page"].object_list]))
        seen += pages[-1][1]
        older = _link(html, "next")
        url = f"/audit/{older}" if older else None
    assert seen == expected and len(pages) == -(-len(expected) // 3) >= 3
    newer = _link(client.get(pages[2][0]).content.decode(), "prev")
    back = client.get(f"/audit/{newer}")
    assert [e.pk for e in back.context["page"].object_list] == pages[1][1]


def test_audit_trail_with_a_malformed_cursor_shows_the_newest_page(world, patient_of):
    patient_of(world)
    client = _client(world.users["owner"])
    for bad in ("x", "1-2-3", "99999999999999999999-1", "-5"):
        response = client.get(f"/audit/?before={bad}")
        assert response.status_code == 200
        assert response.context["page"].at_start


def test_timeline_walked_one_entry_a_page_matches_the_whole_timeline(
    world, patient_of, monkeypatch
):
    monkeypatch.setattr(consultation_views, "TIMELINE_PER_PAGE", 1)
    patient = patient_of(world)
    scope = world.scope("practitioner")
    same_moment = timezone.now()
    codes = ["condition.diabetes", "condition.bleeding-disorder", "condition.cold-intolerance"]
    for code in codes:  # three entries at the very same time: the id breaks the tie
        history_fact_record(
            scope=scope,
            patient=patient,
            kind="condition",
            code=code,
            now=same_moment,
            today=timezone.localdate(),
        )
    whole = [(e.kind, e.pk) for e in patient_timeline(scope=scope, patient=patient)]
    client = _client(world.users["practitioner"])
    base = reverse("consultations:timeline", args=[patient.pk])
    seen, url = [], base
    while url is not None:
        response = client.get(url)
        seen += [(e.kind, e.pk) for e in response.context["entries"]]
        older = _link(response.content.decode(), "next")
        url = base + older if older else None
    assert seen == whole and len(seen) == len(codes)
