"""Creating, checking and revoking API tokens."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from mesoclinic.accounts.models import Clinic, Membership, Role, User
from mesoclinic.accounts.scope import Scope, scope_for
from mesoclinic.api.models import ApiToken
from mesoclinic.audit.models import AuditAction
from mesoclinic.audit.services import audit_record

TOKEN_PREFIX = "mc_"  # noqa: S105  (a marker, not a secret)


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@transaction.atomic
def api_token_create(*, user: User, clinic: Clinic, name: str) -> tuple[ApiToken, str]:
    """Create a token acting as `user` in `clinic`; returns the row and the token to show once."""
    if user.organisation_id is None or clinic.organisation_id != user.organisation_id:
        raise ValidationError(_("The user does not work in that clinic."))
    is_owner = Membership.objects.filter(user=user, role="owner").exists()
    if not is_owner and not Membership.objects.filter(user=user, clinic=clinic).exists():
        raise ValidationError(_("The user does not work in that clinic."))
    if not name.strip():
        raise ValidationError({"name": _("Name the token after what uses it.")})
    prefix = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        organisation_id=user.organisation_id,
        user=user,
        clinic=clinic,
        name=name.strip(),
        prefix=prefix,
        key_hash=_hash(secret),
    )
    audit_record(
        action=AuditAction.CREATE, actor=user, organisation_id=user.organisation_id, obj=token
    )
    return token, f"{TOKEN_PREFIX}{prefix}_{secret}"


def api_token_check(*, raw: str, now: dt.datetime) -> tuple[ApiToken, Scope] | None:
    """The live token matching `raw` and the scope it acts with, or None.

    Constant-time comparison of the secret. A token acts only in its own clinic,
    with the user's roles there: once the user is deactivated or no longer works in
    that clinic the token is revoked (audited) rather than falling back to the roles
    of another clinic.
    """
    if not raw.startswith(TOKEN_PREFIX) or raw.count("_") < 2:
        return None
    prefix, _sep, secret = raw[len(TOKEN_PREFIX) :].partition("_")
    token = (
        ApiToken.objects.select_related("user", "clinic")
        .filter(prefix=prefix, revoked_at__isnull=True)
        .first()
    )
    if token is None or not hmac.compare_digest(token.key_hash, _hash(secret)):
        return None
    scope = scope_for(token.user, clinic_id=token.clinic_id, strict=True)
    if scope is None:
        reason = "user deactivated" if not token.user.is_active else "membership ended"
        with transaction.atomic():
            _revoke(token=token, now=now, actor=None, reason=reason)
        return None
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token, scope


def api_token_may_revoke(*, scope: Scope, token: ApiToken) -> bool:
    """The token's user and the organisation's owners may revoke it."""
    if token.organisation_id != scope.organisation_id:
        return False
    return token.user_id == scope.user_id or Role.OWNER in scope.roles


@transaction.atomic
def api_token_revoke(*, scope: Scope, token: ApiToken, now: dt.datetime, request=None) -> ApiToken:
    """Revoke a token for good (its user or an owner); its next request is refused."""
    if not api_token_may_revoke(scope=scope, token=token):
        raise PermissionDenied("token")
    actor = User.objects.get(pk=scope.user_id)
    return _revoke(token=token, now=now, actor=actor, reason="revoked", request=request)


def api_token_withdraw(*, token: ApiToken, now: dt.datetime, reason: str) -> ApiToken:
    """Revoke a token with no signed-in actor: the operator's command, or lapsed access."""
    with transaction.atomic():
        return _revoke(token=token, now=now, actor=None, reason=reason)


def _revoke(*, token: ApiToken, now: dt.datetime, actor, reason: str, request=None) -> ApiToken:
    updated = ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=now)
    token.refresh_from_db()
    if updated:
        audit_record(
            action=AuditAction.UPDATE,
            request=request,
            actor=actor,
            organisation_id=token.organisation_id,
            obj=token,
            detail={"revoked": True, "reason": reason},
        )
    return token


@transaction.atomic
def api_tokens_lapse(*, user: User, now: dt.datetime) -> int:
    """Revoke the user's tokens for clinics they no longer work in (all, if inactive)."""
    count = 0
    for token in ApiToken.objects.filter(user=user, revoked_at__isnull=True):
        if scope_for(user, clinic_id=token.clinic_id, strict=True) is None:
            reason = "user deactivated" if not user.is_active else "membership ended"
            _revoke(token=token, now=now, actor=None, reason=reason)
            count += 1
    return count
