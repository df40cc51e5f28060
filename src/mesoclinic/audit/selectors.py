"""Reading the audit trail (owners only)."""

from __future__ import annotations

from django.db.models import QuerySet

from mesoclinic.accounts.scope import Scope, scoped
from mesoclinic.audit.models import AuditEvent


def audit_event_list(*, scope: Scope, patient_id: int | None = None) -> QuerySet[AuditEvent]:
    """The organisation's audit events, newest first; owners only."""
    qs = scoped(AuditEvent, scope, permission="audit.view").select_related("actor")
    if patient_id is not None:
        qs = qs.filter(patient_id=patient_id)
    return qs.order_by("-at", "-id")
