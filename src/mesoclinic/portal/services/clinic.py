"""A clinic's online-booking settings and published services (owners)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from mesoclinic.accounts.models import Clinic, Membership, Role, User
from mesoclinic.accounts.scope import Scope
from mesoclinic.audit.models import AuditAction
from mesoclinic.audit.services import audit_record
from mesoclinic.core.knowledge import load_knowledge
from mesoclinic.portal.models import OnlineService, PortalSettings, ServiceKind


def _owner_of(scope: Scope, clinic: Clinic) -> None:
    if clinic.organisation_id != scope.organisation_id:
        raise ValidationError(_("Unknown clinic."))
    scope.require_in("clinic.manage", clinic.pk)


@transaction.atomic
def portal_settings_set(
    *,
    scope: Scope,
    clinic: Clinic,
    booking_enabled: bool,
    lead_time_hours: int,
    change_until_hours: int,
    share_outcomes: bool = False,
    request=None,
) -> PortalSettings:
    """Open or close online booking, set the lead time and the change policy, and say
    whether patients see their own outcome scores and photographs on the portal."""
    _owner_of(scope, clinic)
    for field, value in (
        ("lead_time_hours", lead_time_hours),
        ("change_until_hours", change_until_hours),
    ):
        if not 0 <= value <= 24 * 60:
            raise ValidationError({field: _("Between 0 and 1440 hours.")})
    found, _created = PortalSettings.objects.update_or_create(
        clinic=clinic,
        defaults={
            "organisation_id": clinic.organisation_id,
            "booking_enabled": booking_enabled,
            "lead_time_hours": lead_time_hours,
            "change_until_hours": change_until_hours,
            "share_outcomes": share_outcomes,
        },
    )
    audit_record(
        action=AuditAction.UPDATE,
        request=request,
        scope=scope,
        obj=found,
        detail={
            "booking_enabled": booking_enabled,
            "lead_time_hours": lead_time_hours,
            "change_until_hours": change_until_hours,
            "share_outcomes": share_outcomes,
        },
    )
    return found


@transaction.atomic
def online_service_create(
    *,
    scope: Scope,
    clinic: Clinic,
    name: str,
    kind: str,
    practitioner: User,
    protocol_id: str = "",
    technique_id: str = "",
    product_id: str = "",
    zones: list[str] | tuple[str, ...] = (),
    sessions: int = 1,
    duration_min: int = 30,
    request=None,
) -> OnlineService:
    """Publish a service: a consultation, or a session/course with what is screened."""
    _owner_of(scope, clinic)
    kb = load_knowledge()
    errors: dict[str, str] = {}
    if not name.strip():
        errors["name"] = _("Give the service a name.")
    if kind not in ServiceKind.values:
        errors["kind"] = _("Choose what kind of service this is.")
    if not Membership.objects.filter(
        user=practitioner, clinic=clinic, role=Role.PRACTITIONER
    ).exists():
        errors["practitioner"] = _("Choose a practitioner of this clinic.")
    if kind != ServiceKind.CONSULTATION:
        if technique_id not in kb.technique:
            errors["technique_id"] = _("Choose the technique.")
        if not zones or any(z not in kb.zone for z in zones):
            errors["zones"] = _("Choose at least one zone.")
        if product_id and product_id not in kb.product:
            errors["product_id"] = _("Unknown product.")
        if protocol_id and protocol_id not in kb.protocol:
            errors["protocol_id"] = _("Unknown protocol.")
    if kind == ServiceKind.COURSE and not protocol_id:
        errors["protocol_id"] = _("A course follows a protocol: choose one.")
    if kind != ServiceKind.COURSE:
        sessions = 1
    if not 1 <= sessions <= 20:
        errors["sessions"] = _("Between 1 and 20 sessions.")
    if not 5 <= duration_min <= 480:
        errors["duration_min"] = _("Duration must be between 5 and 480 minutes.")
    if errors:
        raise ValidationError(errors)
    service = OnlineService.objects.create(
        organisation_id=clinic.organisation_id,
        clinic=clinic,
        name=name.strip(),
        kind=kind,
        protocol_id=protocol_id,
        technique_id=technique_id if kind != ServiceKind.CONSULTATION else "",
        product_id=product_id if kind != ServiceKind.CONSULTATION else "",
        zones=sorted(set(zones)) if kind != ServiceKind.CONSULTATION else [],
        sessions=sessions,
        duration_min=duration_min,
        practitioner=practitioner,
    )
    audit_record(action=AuditAction.CREATE, request=request, scope=scope, obj=service)
    return service


@transaction.atomic
def online_service_publish(
    *, scope: Scope, service: OnlineService, published: bool, request=None
) -> OnlineService:
    """Show or hide a service on the portal (bookings already made stay)."""
    _owner_of(scope, service.clinic)
    OnlineService.objects.filter(pk=service.pk).update(published=published)
    service.published = published
    audit_record(
        action=AuditAction.UPDATE,
        request=request,
        scope=scope,
        obj=service,
        detail={"published": published},
    )
    return service
