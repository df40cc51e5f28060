"""Calendar feeds: issued to a practitioner or for a patient, revocable, dying with access.

A feed's secret URL is its only credential, so it lives exactly as long as the person
it belongs to may see those appointments: a practitioner's feed stops when they are
deactivated or hold no clinic any more, and the user or an owner may revoke any feed.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied
from django.db import transaction

from mesoclinic.accounts.models import Role, User
from mesoclinic.accounts.scope import Scope, scope_for
from mesoclinic.audit.models import AuditAction
from mesoclinic.audit.services import audit_record
from mesoclinic.patients.models import Patient
from mesoclinic.scheduling.models import CalendarFeed


@transaction.atomic
def calendar_feed_issue(
    *, scope: Scope, now: dt.datetime, patient: Patient | None = None, request=None
) -> CalendarFeed:
    """The live feed of the signed-in practitioner (or of `patient`), created if none."""
    scope.require("schedule.view")
    if patient is not None:
        if patient.organisation_id != scope.organisation_id:
            raise PermissionDenied("patient of another organisation")
        owner = {"patient": patient}
    else:
        owner = {"practitioner_id": scope.user_id}
    feed = CalendarFeed.objects.filter(
        organisation_id=scope.organisation_id, revoked_at__isnull=True, **owner
    ).first()
    if feed is None:
        feed = CalendarFeed.objects.create(organisation_id=scope.organisation_id, **owner)
        audit_record(
            action=AuditAction.CREATE,
            request=request,
            scope=scope,
            obj=feed,
            patient_id=feed.patient_id,
            detail={"feed": "patient" if patient is not None else "practitioner"},
        )
    return feed


def calendar_feed_may_revoke(*, scope: Scope, feed: CalendarFeed) -> bool:
    """The feed's practitioner and the organisation's owners may revoke it."""
    if feed.organisation_id != scope.organisation_id:
        return False
    return feed.practitioner_id == scope.user_id or Role.OWNER in scope.roles


@transaction.atomic
def calendar_feed_revoke(
    *, scope: Scope, feed: CalendarFeed, now: dt.datetime, request=None
) -> CalendarFeed:
    """Revoke a feed for good: its URL answers "not found" from now on (audited)."""
    if not calendar_feed_may_revoke(scope=scope, feed=feed):
        raise PermissionDenied("feed")
    return _revoke(feed=feed, now=now, actor_id=scope.user_id, reason="revoked", request=request)


def _revoke(*, feed: CalendarFeed, now, actor_id, reason: str, request=None) -> CalendarFeed:
    updated = CalendarFeed.objects.filter(pk=feed.pk, revoked_at__isnull=True).update(
        revoked_at=now
    )
    feed.refresh_from_db()
    if updated:
        audit_record(
            action=AuditAction.UPDATE,
            request=request,
            actor=User.objects.filter(pk=actor_id).first() if actor_id else None,
            organisation_id=feed.organisation_id,
            obj=feed,
            patient_id=feed.patient_id,
            detail={"revoked": True, "reason": reason},
        )
    return feed


def calendar_feed_live(*, feed: CalendarFeed, now: dt.datetime) -> bool:
    """Whether a feed may still be served; a practitioner's feed that lapsed is revoked."""
    if feed.revoked_at is not None:
        return False
    if feed.practitioner_id is None:
        return True
    user = feed.practitioner
    scope = scope_for(user) if user.is_active else None
    if scope is None or not scope.clinic_ids:
        reason = "user deactivated" if not user.is_active else "membership ended"
        with transaction.atomic():
            _revoke(feed=feed, now=now, actor_id=None, reason=reason)
        return False
    return True


@transaction.atomic
def calendar_feeds_lapse(*, user: User, now: dt.datetime) -> int:
    """Revoke the user's practitioner feeds once they are inactive or hold no clinic."""
    count = 0
    for feed in CalendarFeed.objects.filter(practitioner=user, revoked_at__isnull=True):
        if not calendar_feed_live(feed=feed, now=now):
            count += 1
    return count
