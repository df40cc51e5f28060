"""Portal access: invitations, passwords, one-time codes, rate limits and the portal actor."""

from __future__ import annotations

import datetime as dt
import secrets

from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.hashers import check_password, make_password
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import translation
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from mesoclinic.accounts.models import Clinic, Role, User
from mesoclinic.accounts.scope import Scope
from mesoclinic.audit.models import AuditAction
from mesoclinic.audit.services import audit_record
from mesoclinic.patients.models import Patient
from mesoclinic.portal.models import PortalAccount, PortalToken, TokenPurpose

INVITE_DAYS = 7
CODE_MINUTES = 10
CODE_GUESSES = 5


def portal_actor(*, organisation_id: int) -> User:
    """The organisation's "patient portal" user: the author of what patients do online.

    Records that need a member of staff as author (appointments, history facts) name
    this user, so the record says "patient portal" rather than a person who did not
    do it. It is inactive with no usable password: it can never sign in.
    """
    user, created = User.objects.get_or_create(
        username=f"portal-{organisation_id}",
        defaults={
            "email": f"portal-{organisation_id}@portal.invalid",
            "organisation_id": organisation_id,
            "is_active": False,
            "display_name": "Patient portal",
        },
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


def portal_scope(*, patient: Patient, clinic: Clinic, roles: frozenset[Role]) -> Scope:
    """A scope for one portal action in the patient's clinic, holding only `roles`.

    The portal calls the same services as the staff pages; this scope carries the
    portal actor and the one role the called service needs, never more.
    """
    actor = portal_actor(organisation_id=patient.organisation_id)
    return Scope(
        user_id=actor.pk,
        organisation_id=patient.organisation_id,
        clinic_id=clinic.pk,
        roles=roles,
        clinic_ids=frozenset({clinic.pk}),
        clinic_roles={clinic.pk: roles},
    )


def _digest(secret: str) -> str:
    return salted_hmac("mesoclinic.portal.token", secret, algorithm="sha256").hexdigest()


def _token_issue(*, account: PortalAccount, purpose: str, secret: str, lifetime, now) -> None:
    # A new token of a purpose spends the older ones: only the latest link or code works.
    PortalToken.objects.filter(account=account, purpose=purpose, used_at__isnull=True).update(
        used_at=now
    )
    PortalToken.objects.create(
        organisation_id=account.organisation_id,
        account=account,
        purpose=purpose,
        digest=_digest(secret),
        created_at=now,
        expires_at=now + lifetime,
    )


@transaction.atomic
def portal_invite(
    *, scope: Scope, patient: Patient, base_url: str, now: dt.datetime, request=None
) -> str:
    """Invite a patient to the portal: an e-mailed single-use link, valid for INVITE_DAYS.

    The account is bound to the patient's record, never found by e-mail alone; an
    existing account gets a fresh link. Returns the link.
    """
    scope.require("patients.edit_demographics")
    if patient.organisation_id != scope.organisation_id:
        raise ValidationError(_("Unknown patient."))
    if not patient.email:
        raise ValidationError(_("Add the patient's e-mail address first."))
    taken = (
        PortalAccount.objects.filter(organisation_id=scope.organisation_id, email=patient.email)
        .exclude(patient=patient)
        .exists()
    )
    if taken:
        raise ValidationError(
            _("Another patient's portal account uses this e-mail address: check the record.")
        )
    clinic = Clinic.objects.get(pk=scope.clinic_id)
    account, _created = PortalAccount.objects.update_or_create(
        patient=patient,
        defaults={
            "organisation_id": scope.organisation_id,
            "email": patient.email,
            "active": True,
        },
        create_defaults={
            "organisation_id": scope.organisation_id,
            "clinic": clinic,
            "email": patient.email,
            "invited_by_id": scope.user_id,
            "created_at": now,
        },
    )
    secret = secrets.token_urlsafe(32)
    _token_issue(
        account=account,
        purpose=TokenPurpose.INVITE,
        secret=secret,
        lifetime=dt.timedelta(days=INVITE_DAYS),
        now=now,
    )
    link = base_url.rstrip("/") + reverse("portal:invite", kwargs={"token": secret})
    with translation.override(patient.preferred_language):
        subject = _("Your patient portal at %(clinic)s") % {"clinic": clinic.name}
        body = _(
            "Hello %(name)s,\n\n%(clinic)s invites you to its patient portal: book visits, "
            "fill in your questionnaire before a visit, sign consents and read your aftercare."
            "\n\nOpen this link to set your password; it works once and expires in "
            "%(days)s days:\n\n%(link)s\n"
        ) % {
            "name": patient.given_name,
            "clinic": clinic.name,
            "days": INVITE_DAYS,
            "link": link,
        }
    try:
        send_mail(subject, body, None, [patient.email])
    except OSError as exc:
        raise ValidationError(
            _("The invitation could not be sent (%(error)s); nothing was changed.") % {"error": exc}
        ) from exc
    audit_record(
        action=AuditAction.CREATE,
        request=request,
        scope=scope,
        obj=account,
        patient_id=patient.pk,
        detail={"portal": "invite"},
    )
    return link


def _live_token(*, secret: str, purpose: str, now: dt.datetime) -> PortalToken | None:
    token = (
        PortalToken.objects.select_related("account", "account__patient")
        .filter(digest=_digest(secret), purpose=purpose)
        .first()
    )
    if token is None or token.used_at is not None or token.expires_at <= now:
        return None
    if not token.account.active:
        return None
    return token


def invite_account(*, secret: str, now: dt.datetime) -> PortalAccount | None:
    """The account an invitation link opens, or None if it is used, expired or unknown."""
    token = _live_token(secret=secret, purpose=TokenPurpose.INVITE, now=now)
    return token.account if token else None


@transaction.atomic
def invite_accept(*, secret: str, password: str, now: dt.datetime, request=None) -> PortalAccount:
    """Spend an invitation: set the account's password. The link never works again."""
    token = _live_token(secret=secret, purpose=TokenPurpose.INVITE, now=now)
    if token is None:
        raise ValidationError(
            _("This link has expired or was already used. Ask the clinic for a new one.")
        )
    token = PortalToken.objects.select_for_update().get(pk=token.pk)
    if token.used_at is not None:
        raise ValidationError(
            _("This link has expired or was already used. Ask the clinic for a new one.")
        )
    account = token.account
    password_validation.validate_password(password)
    account.password = make_password(password)
    account.last_sign_in_at = now
    account.save(update_fields=["password", "last_sign_in_at"])
    token.used_at = now
    token.save(update_fields=["used_at"])
    _audit_patient(account=account, action=AuditAction.LOGIN, request=request, how="invitation")
    return account


def _audit_patient(*, account: PortalAccount, action: str, request, how: str) -> None:
    audit_record(
        action=action,
        request=request,
        actor=portal_actor(organisation_id=account.organisation_id),
        organisation_id=account.organisation_id,
        obj=account,
        patient_id=account.patient_id,
        detail={"portal": how},
    )


# -- rate limits ------------------------------------------------------------------------


def _limit_keys(*, email: str, ip: str | None) -> list[str]:
    return [f"portal-signin:e:{_digest(email.lower())}", f"portal-signin:ip:{ip or '-'}"]


def signin_locked(*, email: str, ip: str | None) -> bool:
    """Whether sign-in for this address or from this client is paused after failures."""
    limit = settings.PORTAL_SIGNIN_FAILURE_LIMIT
    return any((cache.get(key) or 0) >= limit for key in _limit_keys(email=email, ip=ip))


def _signin_failed(*, email: str, ip: str | None) -> None:
    for key in _limit_keys(email=email, ip=ip):
        cache.add(key, 0, timeout=settings.PORTAL_SIGNIN_COOLOFF_SECONDS)
        try:
            cache.incr(key)
        except ValueError:
            cache.set(key, 1, timeout=settings.PORTAL_SIGNIN_COOLOFF_SECONDS)


def _signin_cleared(*, email: str) -> None:
    cache.delete(_limit_keys(email=email, ip=None)[0])


class SigninLocked(ValidationError):
    pass


def _refuse_if_locked(email: str, ip: str | None) -> None:
    if signin_locked(email=email, ip=ip):
        raise SigninLocked(
            _("Too many attempts. Please wait %(minutes)s minutes and try again.")
            % {"minutes": max(1, settings.PORTAL_SIGNIN_COOLOFF_SECONDS // 60)}
        )


def _account_for(email: str) -> PortalAccount | None:
    # E-mail addresses are unique per organisation, not across them: an address two
    # organisations invited signs in to neither by password until it is told apart.
    found = list(
        PortalAccount.objects.select_related("patient").filter(
            email__iexact=email.strip(), active=True
        )[:2]
    )
    return found[0] if len(found) == 1 else None


def signin_password(
    *, email: str, password: str, ip: str | None, now: dt.datetime, request=None
) -> PortalAccount:
    """Check an e-mail and password; refused (with the same words) for any mismatch."""
    _refuse_if_locked(email, ip)
    account = _account_for(email)
    if account is None or not account.password or not check_password(password, account.password):
        _signin_failed(email=email, ip=ip)
        raise ValidationError(_("That e-mail address and password do not match."))
    _signin_cleared(email=email)
    account.last_sign_in_at = now
    account.save(update_fields=["last_sign_in_at"])
    _audit_patient(account=account, action=AuditAction.LOGIN, request=request, how="password")
    return account


def code_send(*, email: str, ip: str | None, now: dt.datetime) -> str | None:
    """E-mail a six-digit sign-in code if the address has an account; returns the code.

    The answer to the person asking is the same whether or not the address is known.
    Every request counts towards the rate limit, so the mailbox cannot be flooded.
    """
    _refuse_if_locked(email, ip)
    _signin_failed(email=email, ip=ip)  # sending counts: it is not free to ask
    account = _account_for(email)
    if account is None:
        return None
    code = f"{secrets.randbelow(10**6):06d}"
    with transaction.atomic():
        _token_issue(
            account=account,
            purpose=TokenPurpose.CODE,
            secret=f"{account.pk}:{code}",
            lifetime=dt.timedelta(minutes=CODE_MINUTES),
            now=now,
        )
    with translation.override(account.patient.preferred_language):
        subject = _("Your sign-in code")
        body = _(
            "Your code to sign in to the patient portal is %(code)s. It expires in "
            "%(minutes)s minutes. If you did not ask for it, ignore this message."
        ) % {"code": code, "minutes": CODE_MINUTES}
    send_mail(subject, body, None, [account.email])
    return code


def signin_code(
    *, email: str, code: str, ip: str | None, now: dt.datetime, request=None
) -> PortalAccount:
    """Sign in with an e-mailed code: single use, expiring, CODE_GUESSES wrong tries at most."""
    _refuse_if_locked(email, ip)
    refused = ValidationError(_("That code is wrong or has expired. Ask for a new one."))
    account = _account_for(email)
    if account is None:
        _signin_failed(email=email, ip=ip)
        raise refused
    # The wrong guess is counted in its own transaction, then refused: a refusal that
    # rolled the count back would give unlimited guesses.
    with transaction.atomic():
        token = (
            PortalToken.objects.select_for_update()
            .filter(account=account, purpose=TokenPurpose.CODE, used_at__isnull=True)
            .order_by("-created_at")
            .first()
        )
        ok = token is not None and token.expires_at > now
        ok = ok and token.digest == _digest(f"{account.pk}:{code.strip()}")
        if token is not None and not ok:
            token.failures += 1
            if token.failures >= CODE_GUESSES or token.expires_at <= now:
                token.used_at = now
            token.save(update_fields=["failures", "used_at"])
        elif ok:
            token.used_at = now
            token.save(update_fields=["used_at"])
            account.last_sign_in_at = now
            account.save(update_fields=["last_sign_in_at"])
    if not ok:
        _signin_failed(email=email, ip=ip)
        raise refused
    _signin_cleared(email=email)
    _audit_patient(account=account, action=AuditAction.LOGIN, request=request, how="code")
    return account
