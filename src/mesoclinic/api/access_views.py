"""Pages listing and revoking API tokens and calendar feeds: one's own, and (owners) all."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from mesoclinic.accounts.scope import scoped
from mesoclinic.api.models import ApiToken
from mesoclinic.api.services import api_token_may_revoke, api_token_revoke
from mesoclinic.audit.models import AuditAction
from mesoclinic.audit.services import audit_record
from mesoclinic.scheduling.models import CalendarFeed
from mesoclinic.scheduling.services import calendar_feed_may_revoke, calendar_feed_revoke


def _scope(request):
    if request.scope is None:
        raise Http404
    return request.scope


def _render(request, *, tokens, feeds, everyone: bool):
    scope = request.scope
    return render(
        request,
        "api/access.html",
        {
            "tokens": [(t, api_token_may_revoke(scope=scope, token=t)) for t in tokens],
            "feeds": [(f, calendar_feed_may_revoke(scope=scope, feed=f)) for f in feeds],
            "everyone": everyone,
            "can_see_all": scope.can("clinic.manage"),
        },
    )


@login_required
def access_mine_view(request):
    """The signed-in user's API tokens and calendar feed."""
    scope = _scope(request)
    tokens = (
        scoped(ApiToken, scope)
        .filter(user_id=scope.user_id)
        .select_related("user", "clinic")
        .order_by("revoked_at", "-created_at")
    )
    feeds = (
        scoped(CalendarFeed, scope)
        .filter(practitioner_id=scope.user_id)
        .select_related("practitioner")
        .order_by("revoked_at", "-created_at")
    )
    return _render(request, tokens=tokens, feeds=feeds, everyone=False)


@login_required
def access_all_view(request):
    """Owners: every API token and calendar feed of the organisation."""
    scope = _scope(request)
    tokens = (
        scoped(ApiToken, scope, permission="clinic.manage")
        .select_related("user", "clinic")
        .order_by("revoked_at", "user__username", "-created_at")
    )
    feeds = list(
        scoped(CalendarFeed, scope, permission="clinic.manage")
        .select_related("practitioner", "patient")
        .order_by("revoked_at", "-created_at")
    )
    patient_ids = sorted({f.patient_id for f in feeds if f.patient_id})
    if patient_ids:
        audit_record(
            action=AuditAction.READ,
            request=request,
            detail={"calendar_feeds_of_patients": patient_ids},
        )
    return _render(request, tokens=tokens, feeds=feeds, everyone=True)


def _back(request):
    return redirect("access:all" if request.POST.get("everyone") else "access:mine")


@login_required
@require_POST
def token_revoke_view(request, token_id: int):
    scope = _scope(request)
    token = scoped(ApiToken, scope).filter(pk=token_id).first()
    if token is None:
        raise Http404
    if not api_token_may_revoke(scope=scope, token=token):
        raise PermissionDenied("token")
    api_token_revoke(scope=scope, token=token, now=timezone.now(), request=request)
    messages.success(
        request,
        _("The API token “%(name)s” is revoked: it no longer works.") % {"name": token.name},
    )
    return _back(request)


@login_required
@require_POST
def feed_revoke_view(request, feed_id: int):
    scope = _scope(request)
    feed = scoped(CalendarFeed, scope).filter(pk=feed_id).first()
    if feed is None:
        raise Http404
    if not calendar_feed_may_revoke(scope=scope, feed=feed):
        raise PermissionDenied("feed")
    calendar_feed_revoke(scope=scope, feed=feed, now=timezone.now(), request=request)
    messages.success(request, _("The calendar feed is revoked: its address no longer works."))
    return _back(request)
