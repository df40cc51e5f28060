"""Creating, checking and revoking API tokens."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from mesoclinic.accounts.models import Clinic, Membership, User
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


def api_token_check(*, raw: str, now: dt.datetime) -> ApiToken | None:
    """The live token matching `raw`, or None. Constant-time comparison of the secret."""
    if not raw.startswith(TOKEN_PREFIX) or raw.count("_") < 2:
        return None
    prefix, _sep, secret = raw[len(TOKEN_PREFIX) :].partition("_")
    token = (
        ApiToken.objects.select_related("user")
        .filter(prefix=prefix, revoked_at__isnull=True)
        .first()
    )
    if token is None or not hmac.compare_digest(token.key_hash, _hash(secret)):
        return None
    if not token.user.is_active:
        return None
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token


@transaction.atomic
def api_token_revoke(*, token: ApiToken, now: dt.datetime) -> None:
    """Revoke a token for good; its next request is refused."""
    ApiToken.objects.filter(pk=token.pk).update(revoked_at=now)
    audit_record(
        action=AuditAction.UPDATE,
        actor=token.user,
        organisation_id=token.organisation_id,
        obj=token,
        detail={"revoked": True},
    )
