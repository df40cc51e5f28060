"""Parents and guardians: a portal account may see a child's record, set by the clinic.

Access lasts while the child is under 18 by the calendar of the child's clinic; on the
18th birthday it stops by itself (the link stays on record, it just grants nothing).
A guardian never reaches another adult's record, their own excepted.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from mesoclinic.accounts.scope import Scope
from mesoclinic.audit.models import AuditAction
from mesoclinic.audit.services import audit_record
from mesoclinic.patients.models import Patient
from mesoclinic.portal.models import Guardianship, PortalAccount
from mesoclinic.portal.services.registration import ADULT_YEARS, age_on


def _clinic_today(patient: Patient, fallback_clinic, now: dt.datetime) -> dt.date:
    clinic = patient.home_clinic or fallback_clinic
    return now.astimezone(clinic.zone).date()


def is_minor(*, patient: Patient, fallback_clinic, now: dt.datetime) -> bool:
    """Under 18 on the child's clinic's date."""
    return age_on(patient.birth_date, _clinic_today(patient, fallback_clinic, now)) < ADULT_YEARS


@transaction.atomic
def guardian_link(
    *, scope: Scope, child: Patient, email: str, now: dt.datetime, request=None
) -> Guardianship:
    """The clinic names the portal account (by its e-mail) of a parent or guardian of a
    patient under 18."""
    scope.require("patients.edit_demographics")
    if child.organisation_id != scope.organisation_id:
        raise ValidationError(_("Unknown patient."))
    if not is_minor(patient=child, fallback_clinic=scope_clinic(scope), now=now):
        raise ValidationError(_("This patient is 18 or older: they use their own portal account."))
    account = (
        PortalAccount.objects.filter(
            organisation_id=scope.organisation_id, email__iexact=email.strip(), active=True
        )
        .select_related("patient")
        .first()
    )
    if account is None:
        raise ValidationError(
            {
                "email": _(
                    "No patient portal account uses this e-mail address: invite the parent "
                    "or guardian to the portal first."
                )
            }
        )
    if account.patient_id == child.pk:
        raise ValidationError({"email": _("This is the child's own account.")})
    link, _created = Guardianship.objects.get_or_create(
        account=account,
        child=child,
        defaults={
            "organisation_id": scope.organisation_id,
            "created_by_id": scope.user_id,
            "created_at": now,
        },
    )
    audit_record(
        action=AuditAction.CREATE,
        request=request,
        scope=scope,
        obj=link,
        patient_id=child.pk,
        detail={"guardian_patient": account.patient_id},
    )
    return link


def scope_clinic(scope: Scope):
    from mesoclinic.accounts.models import Clinic

    return Clinic.objects.get(pk=scope.clinic_id)


def wards(*, account: PortalAccount, now: dt.datetime) -> list[Patient]:
    """The children this account may see now: linked, and under 18 on their clinic's date."""
    children = Patient.objects.filter(
        guardians__account=account, organisation_id=account.organisation_id
    ).select_related("home_clinic")
    return [
        child
        for child in children
        if is_minor(patient=child, fallback_clinic=account.clinic, now=now)
    ]


def ward_get(*, account: PortalAccount, patient_id: int, now: dt.datetime) -> Patient | None:
    """The child with this id if the account may see them now, else None."""
    return next((c for c in wards(account=account, now=now) if c.pk == patient_id), None)
