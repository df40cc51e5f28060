"""Sign-ins, sign-outs and failed sign-ins go into the audit trail."""

from __future__ import annotations

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from mesoclinic.audit.models import AuditAction
from mesoclinic.audit.services import audit_record


@receiver(user_logged_in)
def _logged_in(sender, request, user, **kwargs):
    audit_record(action=AuditAction.LOGIN, request=request, actor=user)


@receiver(user_logged_out)
def _logged_out(sender, request, user, **kwargs):
    if user is not None:
        audit_record(action=AuditAction.LOGOUT, request=request, actor=user)


@receiver(user_login_failed)
def _login_failed(sender, credentials, request=None, **kwargs):
    # The attempted username is kept; the password never is.
    audit_record(
        action=AuditAction.LOGIN_FAILED,
        request=request,
        detail={"username": str(credentials.get("username", ""))[:150]},
    )
