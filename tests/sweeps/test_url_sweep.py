"""Every URL with an id, resolved from the URLconf, against two organisations and every role.

- Users of another organisation get 403/404 on GET and POST, and nothing is written.
- Each role gets what its permissions allow and 403/404 for the rest (`NEEDS` below).
- Every GET whose page shows a patient's identity, or exports patient data, writes an
  audit event naming the reader.

A new URL with an id fails `test_every_url_with_an_id_is_swept` until it is given a
permission here: that is the point.
"""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from mesoclinic.accounts.models import Role
from mesoclinic.accounts.scope import PERMISSIONS
from mesoclinic.audit.models import AuditAction, AuditEvent

# The permission each URL needs (None: any member of staff). The API is swept by
# schemathesis and tests/api; the password-reset link carries its own token.
NEEDS = {
    "patients:detail": "patients.view_demographics",
    "patients:edit": "patients.edit_demographics",
    "patients:history_add": "patients.edit_clinical",
    "patients:history_versions": "patients.view_clinical",
    "patients:history_correct": "patients.edit_clinical",
    "patients:history_retract": "patients.edit_clinical",
    "consultations:create": "patients.edit_clinical",
    "consultations:timeline": "patients.view_clinical",
    "consultations:detail": "patients.view_clinical",
    "consultations:plan_create": "plans.create",
    "consultations:plan": "patients.view_clinical",
    "consultations:plan_update": "plans.create",
    "consultations:plan_preview": "plans.create",
    "consultations:plan_activate": "plans.create",
    "consultations:plan_cancel": "plans.create",
    "consultations:consent_sign": "patients.edit_clinical",
    "consultations:consent": "patients.view_clinical",
    "consultations:consent_pdf": "patients.view_clinical",
    "inventory:product": "inventory.view",
    "inventory:lot": "inventory.view",
    "inventory:lot_status": "inventory.manage",
    "inventory:lot_movement": "inventory.manage",
    "inventory:recall": "inventory.view",
    "inventory:recall_export": "inventory.view",
    "inventory:patient": "inventory.view",
    "inventory:import_status": "inventory.manage",
    "scheduling:appointment": "schedule.view",
    "scheduling:patient": "schedule.view",
    "scheduling:availability": "schedule.book",
    "scheduling:course_book": "schedule.book",
    "scheduling:course_replan": "schedule.book",
    "scheduling:planner_run": "schedule.book",
    "scheduling:planner_run_book": "schedule.book",
    "scheduling:planner_booking": "schedule.book",
    "charting:checkin": "patients.edit_clinical",
    "charting:session": "patients.view_clinical",
    "charting:override": "screening.override",
    "charting:postpone": "patients.edit_clinical",
    "charting:chart": "sessions.chart",
    "charting:totals": "patients.view_clinical",
    "charting:sign": "sessions.chart",
    "charting:addendum": "patients.edit_clinical",
    "charting:side_effect": "patients.edit_clinical",
    "charting:aftercare_pdf": "patients.view_clinical",
    "charting:record_pdf": "patients.view_clinical",
    "charting:aftercare_email": "patients.edit_clinical",
    "charting:aftercare_durations": "clinic.manage",
    "charting:override_cosign": "patients.edit_clinical",
    "charting:screening_settings": "clinic.manage",
    "outcomes:patient": "patients.view_clinical",
    "outcomes:session": "patients.view_clinical",
    "consultations:walkin_plan": "plans.create",
    "consultations:walkin_consent": "plans.create",
    "photos:patient": "patients.view_clinical",
    "photos:consent_sign": "patients.edit_clinical",
    "photos:capture": "patients.edit_clinical",
    "photos:compare": "patients.view_clinical",
    "photos:consent": "patients.view_clinical",
    "photos:consent_pdf": "patients.view_clinical",
    "photos:consent_withdraw": "patients.edit_clinical",
    "photos:detail": "patients.view_clinical",
    "photos:image": "patients.view_clinical",
    "photos:thumb": "patients.view_clinical",
    "accounts:clinic_edit": "clinic.manage",
    "accounts:staff": "clinic.manage",
    "jobs:detail": "clinic.manage",
    "jobs:retry": "clinic.manage",
    "interop:data_rights": "clinic.manage",
    "interop:access_request": "clinic.manage",
    "interop:erasure_request": "clinic.manage",
    "interop:access_download": "clinic.manage",
    "interop:reported": "patients.view_clinical",
    # Revoking is for the token's or feed's own user and owners (tests/api/test_access.py);
    # here: nobody of another organisation, and no GET.
    "access:token_revoke": None,
    "access:feed_revoke": None,
    "portal_staff:invite": "patients.edit_demographics",
    "portal_staff:guardian": "patients.edit_demographics",
    "portal_staff:questionnaire": "patients.view_clinical",
    "portal_staff:booking_seen": "schedule.book",
    "portal_staff:change_seen": "schedule.book",
    "portal_staff:registration_checked": "patients.edit_demographics",
    "portal_staff:clinic": "clinic.manage",
}
# Token URLs: no session.
NOT_SWEPT = {"password_reset_confirm", "scheduling:feed_ics", "accounts:invite"}
EXPORTS = ("application/pdf", "text/csv", "text/calendar", "application/zip")
DENIED = (403, 404)
SEEN = {"urls": 0, "requests": 0, "audited_reads": 0}


def _walk(patterns, prefix="", namespace=None):
    for p in patterns:
        if isinstance(p, URLResolver):
            yield from _walk(p.url_patterns, prefix + str(p.pattern), p.namespace or namespace)
        elif isinstance(p, URLPattern):
            name = f"{namespace}:{p.name}" if namespace else p.name
            yield name, prefix + str(p.pattern)


def urls_with_ids() -> list[tuple[str, str]]:
    """(name, route) of every URL pattern that takes a parameter, outside the API and the
    patient portal (patients' sessions: tests/sweeps/test_portal_sweep.py)."""
    return [
        (name, route)
        for name, route in _walk(get_resolver().url_patterns)
        if "<" in route and not route.startswith(("api/", "portal/")) and name not in NOT_SWEPT
    ]


def _fill(route: str, ids: dict) -> str:
    return "/" + re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(ids[m.group(1)]), route)


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_every_url_with_an_id_is_swept():
    names = {name for name, _route in urls_with_ids()}
    assert names - set(NEEDS) == set(), "give these URLs a permission in NEEDS"
    assert set(NEEDS) - names == set(), "these URLs no longer exist"


def _writes() -> int:
    return AuditEvent.objects.exclude(
        action__in=[AuditAction.READ, AuditAction.LOGIN, AuditAction.EXPORT]
    ).count()


def _reads(user) -> int:
    return AuditEvent.objects.filter(
        actor=user, action__in=[AuditAction.READ, AuditAction.EXPORT]
    ).count()


@pytest.mark.django_db
def test_another_organisation_gets_403_or_404_and_writes_nothing(two_orgs):
    ours, theirs = two_orgs
    writes = _writes()
    tried = 0
    for role in Role:
        client = _client(theirs.world.users[role.value])
        for _name, route in urls_with_ids():
            url = _fill(route, ours.ids)
            for method in (client.get, client.post):
                response = method(url)
                tried += 1
                assert response.status_code in (*DENIED, 405), (role, method, url)
    assert _writes() == writes
    leaked = AuditEvent.objects.filter(
        patient_id=ours.patient.pk, organisation_id=theirs.world.organisation.pk
    )
    assert not leaked.exists()
    SEEN["requests"] += tried
    print(f"\ncross-organisation: {len(urls_with_ids())} URLs x 4 roles x 2 methods = {tried}")


@pytest.mark.django_db
def test_each_role_gets_what_it_may_and_every_read_of_a_patient_is_audited(two_orgs):
    ours, _theirs = two_orgs
    family = ours.patient.family_name
    tried = audited = 0
    unaudited: list[str] = []
    for role in Role:
        user = ours.world.users[role.value]
        client = _client(user)
        for name, route in urls_with_ids():
            url = _fill(route, ours.ids)
            permission = NEEDS[name]
            allowed = permission is None or role in PERMISSIONS[permission]
            before = _reads(user)
            response = client.get(url)
            tried += 1
            if not allowed:
                assert response.status_code in (*DENIED, 405), (role, url, response.status_code)
                # POST as well: refused, or the form sent back, and nothing written.
                writes = _writes()
                assert client.post(url).status_code < 500, (role, url)
                assert _writes() == writes, (role, "POST wrote", url)
                tried += 1
                continue
            assert response.status_code in (200, 302, 405), (role, url, response.status_code)
            if response.status_code != 200:
                continue
            kind = response.get("Content-Type", "")
            shows = kind.startswith(EXPORTS) or family in response.content.decode(errors="ignore")
            if shows:
                if _reads(user) <= before:
                    unaudited.append(f"{role.value} {url}")
                audited += 1
    assert not unaudited, "patient shown without an audit event: " + ", ".join(unaudited)
    SEEN["audited_reads"] += audited
    print(f"\nown organisation: {tried} requests, {audited} audited reads checked")
