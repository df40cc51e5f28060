"""Self-registration on a clinic's public booking page.

A visitor gives their name, date of birth, e-mail (and phone) and consents to the
processing of their data; a six-digit code e-mailed to them proves the address. Only
then is a NEW patient record made, with a portal account, and listed for the front
desk. A record is never linked to an existing patient here, whatever matches: a
stranger who types someone's name must not reach that person's record. Look-alikes
are flagged ("possible duplicate") for the receptionist to check.
"""

from __future__ import annotations

import datetime as dt
import secrets

from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from mesoclinic.accounts.models import Clinic, Role
from mesoclinic.accounts.scope import Scope
from mesoclinic.audit.models import AuditAction
from mesoclinic.audit.services import audit_record
from mesoclinic.patients import search
from mesoclinic.patients.models import Patient
from mesoclinic.portal.models import PortalAccount, SelfRegistration
from mesoclinic.portal.services.access import (
    CODE_GUESSES,
    CODE_MINUTES,
    _digest,
    _refuse_if_locked,
    _signin_failed,
    portal_actor,
    portal_scope,
)

ADULT_YEARS = 18


def age_on(birth_date: dt.date, today: dt.date) -> int:
    """Full years on `today` (a 29 February birthday counts on 1 March)."""
    return (
        today.year
        - birth_date.year
        - ((today.month, today.day) < (birth_date.month, birth_date.day))
    )


def registration_code_send(
    *, clinic: Clinic, details: dict, ip: str | None, now: dt.datetime
) -> dict:
    """E-mail a six-digit code to the address being registered; returns what the page
    keeps until the code comes back (a hash of the code, never the code).

    Counted like sign-in: the same address or client asking too often is paused.
    """
    email = details["email"]
    _refuse_if_locked(email, ip)
    _signin_failed(email=email, ip=ip)  # asking is not free: the mailbox cannot be flooded
    today = now.astimezone(clinic.zone).date()
    if age_on(details["birth_date"], today) < ADULT_YEARS:
        raise ValidationError(
            {
                "birth_date": _(
                    "Patients under 18 are registered by the clinic with a parent or "
                    "guardian: please call us."
                )
            }
        )
    code = f"{secrets.randbelow(10**6):06d}"
    subject = _("Your registration code")
    body = _(
        "Your code to finish registering with %(clinic)s is %(code)s. It expires in "
        "%(minutes)s minutes. If you did not ask for it, ignore this message."
    ) % {"clinic": clinic.name, "code": code, "minutes": CODE_MINUTES}
    try:
        send_mail(subject, body, None, [email])
    except OSError as exc:
        raise ValidationError(
            _("The code could not be sent (%(error)s). Please try again later.") % {"error": exc}
        ) from exc
    return {
        "clinic": clinic.pk,
        "details": {**details, "birth_date": details["birth_date"].isoformat()},
        "digest": _digest(f"register:{clinic.pk}:{email.lower()}:{code}"),
        "expires": (now + dt.timedelta(minutes=CODE_MINUTES)).isoformat(),
        "failures": 0,
    }


def registration_code_check(*, pending: dict, code: str, ip: str | None, now: dt.datetime) -> bool:
    """Whether `code` is the one sent; a wrong code counts (CODE_GUESSES at most, then the
    pending registration is spent and `pending["spent"]` is set)."""
    email = pending["details"]["email"]
    _refuse_if_locked(email, ip)
    expected = _digest(f"register:{pending['clinic']}:{email.lower()}:{code.strip()}")
    live = not pending.get("spent") and dt.datetime.fromisoformat(pending["expires"]) > now
    if live and secrets.compare_digest(expected, pending["digest"]):
        return True
    pending["failures"] = pending.get("failures", 0) + 1
    if pending["failures"] >= CODE_GUESSES or not live:
        pending["spent"] = True
    _signin_failed(email=email, ip=ip)
    return False


def _look_alikes(*, organisation_id: int, details: dict, exclude_id: int) -> list[int]:
    return list(
        Patient.objects.filter(organisation_id=organisation_id)
        .filter(
            Q(
                birth_date=details["birth_date"],
                name_key=search.name_key(details["family_name"], details["given_name"]),
            )
            | Q(email__iexact=details["email"])
        )
        .exclude(pk=exclude_id)
        .order_by("pk")
        .values_list("pk", flat=True)[:20]
    )


@transaction.atomic
def self_registration_complete(
    *, clinic: Clinic, details: dict, language: str, now: dt.datetime, request=None
) -> PortalAccount:
    """Make the verified visitor a NEW patient of the clinic with a portal account,
    listed for the front desk with any look-alike records. Never links to an existing
    record. Refused if the e-mail address already has a portal account here."""
    from mesoclinic.patients.services import patient_create

    details = {**details, "birth_date": dt.date.fromisoformat(str(details["birth_date"]))}
    if PortalAccount.objects.filter(
        organisation_id=clinic.organisation_id, email__iexact=details["email"]
    ).exists():
        raise ValidationError(
            _(
                "This e-mail address already has a patient portal account: sign in instead, "
                "or use “Sign in with a code”."
            )
        )
    scope: Scope = portal_scope(
        patient=Patient(organisation_id=clinic.organisation_id),
        clinic=clinic,
        roles=frozenset({Role.RECEPTIONIST}),
    )
    patient = patient_create(
        scope=scope,
        family_name=details["family_name"],
        given_name=details["given_name"],
        birth_date=details["birth_date"],
        today=now.astimezone(clinic.zone).date(),
        phone=details.get("phone", ""),
        email=details["email"],
        preferred_language=language,
        data_consent=True,
        allow_duplicate=True,  # look-alikes are flagged below, never merged or linked
        request=request,
    )
    actor = portal_actor(organisation_id=clinic.organisation_id)
    account = PortalAccount.objects.create(
        organisation_id=clinic.organisation_id,
        clinic=clinic,
        patient=patient,
        email=details["email"],
        invited_by=actor,
        created_at=now,
        last_sign_in_at=now,
    )
    registration = SelfRegistration.objects.create(
        organisation_id=clinic.organisation_id,
        clinic=clinic,
        patient=patient,
        account=account,
        possible_duplicates=_look_alikes(
            organisation_id=clinic.organisation_id, details=details, exclude_id=patient.pk
        ),
        registered_at=now,
    )
    audit_record(
        action=AuditAction.CREATE,
        request=request,
        actor=actor,
        organisation_id=clinic.organisation_id,
        obj=registration,
        patient_id=patient.pk,
        detail={
            "portal": "self-registration",
            "look_alikes": len(registration.possible_duplicates),
        },
    )
    return account


@transaction.atomic
def self_registration_review(
    *, scope: Scope, registration: SelfRegistration, now: dt.datetime, request=None
) -> SelfRegistration:
    """The front desk has checked a self-registered patient (and any look-alikes)."""
    if registration.organisation_id != scope.organisation_id:
        raise ValidationError(_("Unknown patient."))
    scope.require_in("patients.edit_demographics", registration.clinic_id)
    updated = SelfRegistration.objects.filter(pk=registration.pk, reviewed_at__isnull=True).update(
        reviewed_by_id=scope.user_id, reviewed_at=now
    )
    if updated:
        audit_record(
            action=AuditAction.UPDATE,
            request=request,
            scope=scope,
            obj=registration,
            patient_id=registration.patient_id,
            detail={"reviewed": True},
        )
    registration.refresh_from_db()
    return registration
