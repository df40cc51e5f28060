"""Writing the audit trail. Every read or write of patient data calls `audit_record`."""

from __future__ import annotations

from typing import Any

from django.db import models

from mesoclinic.audit.models import AuditAction, AuditEvent


def _client_ip(request) -> str | None:
    if request is None:
        return None
    # Behind the reverse proxy the operator configures (docs/operator-guide.md), the
    # left-most X-Forwarded-For address is the client's.
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    ip = forwarded.split(",")[0].strip() if forwarded else request.META.get("REMOTE_ADDR")
    return ip or None


def audit_record(
    *,
    action: AuditAction | str,
    request=None,
    scope=None,
    actor=None,
    organisation_id: int | None = None,
    obj: models.Model | None = None,
    patient_id: int | None = None,
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event to the audit trail.

    The actor and organisation default to the request's signed-in user and scope
    (or to `scope` where there is no request: CLI, imports, background tasks);
    `patient_id` defaults to the object's own patient (or the object, if it is one).
    """
    if actor is None and request is not None and request.user.is_authenticated:
        actor = request.user
    if scope is None:
        scope = getattr(request, "scope", None)
    if actor is None and scope is not None:
        from django.contrib.auth import get_user_model

        actor = get_user_model().objects.filter(pk=scope.user_id).first()
    if organisation_id is None:
        if scope is not None:
            organisation_id = scope.organisation_id
        elif obj is not None and hasattr(obj, "organisation_id"):
            organisation_id = obj.organisation_id
        elif actor is not None:
            organisation_id = actor.organisation_id
    if patient_id is None and obj is not None:
        if obj._meta.label == "patients.Patient":
            patient_id = obj.pk
        else:
            patient_id = getattr(obj, "patient_id", None)
    return AuditEvent.objects.create(
        organisation_id=organisation_id,
        actor=actor,
        actor_label=str(actor) if actor is not None else "",
        action=str(action),
        object_type=obj._meta.label if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        object_label=str(obj)[:300] if obj is not None else "",
        patient_id=patient_id,
        ip_address=_client_ip(request),
        user_agent=(request.META.get("HTTP_USER_AGENT", "")[:300] if request else ""),
        path=(request.get_full_path()[:500] if request else ""),
        detail=detail or {},
    )
