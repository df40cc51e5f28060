"""Adverse events linked to lots."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from mesoclinic.accounts.scope import Scope
from mesoclinic.audit.models import AuditAction
from mesoclinic.audit.services import audit_record
from mesoclinic.core.knowledge import load_knowledge
from mesoclinic.inventory.models import (
    AdverseEventReport,
    Lot,
    Product,
    Severity,
)
from mesoclinic.inventory.services.common import _clinic_of
from mesoclinic.patients.models import Patient


@transaction.atomic
def adverse_event_record(
    *,
    scope: Scope,
    patient: Patient,
    product: Product,
    kind: str,
    severity: str,
    recorded_at: dt.datetime,
    lot: Lot | None = None,
    onset_on: dt.date | None = None,
    note: str = "",
    session_ref: int | None = None,
    request=None,
) -> AdverseEventReport:
    """Record a side effect after a product (and lot); `kind` is a knowledge-base side effect id."""
    scope.require("patients.edit_clinical")
    clinic = _clinic_of(scope)
    errors = {}
    if kind not in load_knowledge().side_effect:
        errors["kind"] = _("%(id)s is not a side effect of the knowledge base.") % {"id": kind}
    if severity not in Severity.values:
        errors["severity"] = _("Choose mild, moderate or severe.")
    if patient.organisation_id != scope.organisation_id:
        errors["patient"] = _("This patient belongs to another organisation.")
    if product.organisation_id != scope.organisation_id:
        errors["product"] = _("This product belongs to another organisation.")
    if lot is not None and lot.product_id != product.pk:
        errors["lot"] = _("This lot is not a lot of that product.")
    if errors:
        raise ValidationError(errors)
    report = AdverseEventReport.objects.create(
        organisation_id=scope.organisation_id,
        clinic=clinic,
        patient=patient,
        product=product,
        lot=lot,
        kind=kind,
        severity=severity,
        onset_on=onset_on,
        note=note.strip(),
        session_ref=session_ref,
        recorded_at=recorded_at,
        recorded_by_id=scope.user_id,
    )
    audit_record(action=AuditAction.CREATE, request=request, scope=scope, obj=report)
    return report
