"""Writing the audit trail. Every read or write of patient data calls `audit_record`."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.conf import settings
from django.db import models, transaction

from mesoclinic.audit.models import AuditAction, AuditEvent
from mesoclinic.web.text import strip_control

# The events of the innermost `audit_batch` block, written when it ends (None: none open).
_batch: ContextVar[list[AuditEvent] | None] = ContextVar("audit_batch", default=None)


@contextmanager
def audit_batch() -> Iterator[None]:
    """Write every audit event recorded inside the block in one INSERT, when it ends.

    For a service that writes many objects in one transaction (signing a chart: its
    ledger lines, the appointment, the session): the same events, in the order they
    were recorded, without a statement each. Only inside `transaction.atomic`, so the
    events commit or roll back with the writes they describe; when the block raises,
    nothing is written (the transaction is rolled back). A nested block adds to the
    outer one.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit_batch() is only for use inside transaction.atomic")
    if _batch.get() is not None:
        yield
        return
    events: list[AuditEvent] = []
    token = _batch.set(events)
    try:
        yield
    finally:
        _batch.reset(token)
    if events:
        AuditEvent.objects.bulk_create(events)


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


def client_ip(request) -> str | None:
    """The client's address: the peer's, or behind trusted proxies the right-most untrusted one.

    `X-Forwarded-For` is believed only when the peer is one of `TRUSTED_PROXIES`; then
    the list is read from the right (each trusted proxy appended what it saw) and the
    first address that is not a trusted proxy is the client. Anything left of it was
    written by the client and may be forged. A malformed entry stops the walk at the
    last proxy that could be believed. None when even the peer's address is malformed.
    """
    if request is None:
        return None
    peer = _address(str(request.META.get("REMOTE_ADDR") or ""))
    if peer is None:
        return None
    networks = [ipaddress.ip_network(p, strict=False) for p in settings.TRUSTED_PROXIES]

    def trusted(address) -> bool:
        return any(address in network for network in networks)

    client = peer
    forwarded = str(request.META.get("HTTP_X_FORWARDED_FOR") or "")
    hops = [hop for hop in forwarded.split(",") if hop.strip()]
    while trusted(client) and hops:
        hop = _address(hops.pop())
        if hop is None:
            break
        client = hop
    return str(client)


def _clean(value: Any) -> Any:
    """The value with control characters removed from every string, keys included."""
    if isinstance(value, str):
        return strip_control(value)
    if isinstance(value, dict):
        return {_clean(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return value


def _event(
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
    """An unsaved audit event; see `audit_record` for the defaults."""
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
    return AuditEvent(
        organisation_id=organisation_id,
        actor=actor,
        actor_label=strip_control(str(actor)) if actor is not None else "",
        action=str(action),
        object_type=obj._meta.label if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        object_label=strip_control(str(obj))[:300] if obj is not None else "",
        patient_id=patient_id,
        ip_address=client_ip(request),
        user_agent=(
            strip_control(request.META.get("HTTP_USER_AGENT", ""))[:300] if request else ""
        ),
        path=(strip_control(request.get_full_path())[:500] if request else ""),
        detail=_clean(detail or {}),
    )


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
    event = _event(
        action=action,
        request=request,
        scope=scope,
        actor=actor,
        organisation_id=organisation_id,
        obj=obj,
        patient_id=patient_id,
        detail=detail,
    )
    batch = _batch.get()
    if batch is not None:
        batch.append(event)  # written when the `audit_batch` block ends
    else:
        event.save(force_insert=True)
    return event


def audit_record_many(
    *,
    action: AuditAction | str,
    objects: list[models.Model],
    details: list[dict[str, Any]],
    request=None,
    scope=None,
) -> list[AuditEvent]:
    """Append one event per object (with its own detail) in a single insert.

    For writes that touch many rows at once (the ledger lines of a signed chart):
    the same events as `audit_record` one by one, without a round trip each.
    """
    if len(objects) != len(details):
        raise ValueError("one detail per object")
    if not objects:
        return []
    first = _event(action=action, request=request, scope=scope, obj=objects[0], detail=details[0])
    events = [first]
    # What comes from the request and the actor is the same for every event: computed once.
    for obj, detail in zip(objects[1:], details[1:], strict=True):
        events.append(
            AuditEvent(
                organisation_id=first.organisation_id,
                actor=first.actor,
                actor_label=first.actor_label,
                action=first.action,
                object_type=obj._meta.label,
                object_id=str(obj.pk),
                object_label=strip_control(str(obj))[:300],
                patient_id=(
                    obj.pk
                    if obj._meta.label == "patients.Patient"
                    else getattr(obj, "patient_id", None)
                ),
                ip_address=first.ip_address,
                user_agent=first.user_agent,
                path=first.path,
                detail=_clean(detail or {}),
            )
        )
    batch = _batch.get()
    if batch is not None:
        batch.extend(events)  # written when the `audit_batch` block ends
        return events
    return AuditEvent.objects.bulk_create(events)
