"""Owners' writes to their staff: add (by invitation or with a password), roles per
clinic, a new password, deactivation.

Like clinic_services, every function takes the acting owner's `scope`, or None for the
operator on the command line, and audits the change. Nothing here deletes a user: a
person who leaves is deactivated, so the records they signed stay attributed to them.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _

from mesoclinic.accounts.clinic_services import admin_audit, owner_require
from mesoclinic.accounts.models import Clinic, Membership, Organisation, Role, User
from mesoclinic.accounts.scope import Scope
from mesoclinic.accounts.services import membership_add, user_create
from mesoclinic.audit.models import AuditAction


def _password_check(password: str, user: User) -> None:
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise ValidationError({"password": exc.messages}) from exc


@transaction.atomic
def staff_add(
    *,
    scope: Scope | None,
    organisation: Organisation,
    username: str,
    email: str,
    display_name: str = "",
    language: str = "en",
    memberships: list[tuple[Clinic, Role]],
    password: str | None = None,
    invite_base_url: str | None = None,
    request=None,
) -> User:
    """Add a member of staff with their roles; with a password they can sign in at once,
    without one they get an e-mailed invitation to set it (needs `invite_base_url`)."""
    owner_require(scope, organisation.pk)
    if not memberships:
        raise ValidationError({"role": _("Give them a role in at least one clinic.")})
    for clinic, _role in memberships:
        if clinic.organisation_id != organisation.pk:
            raise ValidationError({"clinic": _("Unknown clinic.")})
    if not username.strip():
        raise ValidationError({"username": _("Give them a username to sign in with.")})
    if User.objects.filter(username__iexact=username.strip()).exists():
        raise ValidationError(
            {"username": _("The username %(name)s is taken.") % {"name": username.strip()}}
        )
    if User.objects.filter(email__iexact=email.strip()).exists():
        raise ValidationError(
            {"email": _("Someone already signs in with %(email)s.") % {"email": email.strip()}}
        )
    if password is not None:
        probe = User(username=username, email=email, display_name=display_name)
        _password_check(password, probe)
    elif not invite_base_url:
        raise ValidationError(_("Set a password or send an invitation."))
    user = user_create(
        organisation=organisation,
        username=username,
        email=email,
        password=password,
        display_name=display_name,
        language=language,
        memberships=memberships,
    )
    admin_audit(
        action=AuditAction.CREATE,
        scope=scope,
        organisation_id=organisation.pk,
        obj=user,
        request=request,
        detail={
            "roles": [[c.pk, str(r)] for c, r in memberships],
            "invited": password is None,
        },
    )
    if password is None:
        staff_invite_send(scope=scope, user=user, base_url=invite_base_url, request=request)
    return user


def invite_link(*, user: User, base_url: str) -> str:
    """The one-time link to set a password: valid until used, the password changes, or
    PASSWORD_RESET_TIMEOUT passes (Django's password-reset tokens)."""
    path = reverse(
        "accounts:invite",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )
    return base_url.rstrip("/") + path


@transaction.atomic
def staff_invite_send(*, scope: Scope | None, user: User, base_url: str, request=None) -> str:
    """E-mail a member of staff, in their language, a one-time link to set their password.

    Sent inside the transaction: if the mail server refuses it, nothing is written and
    the owner is told. Returns the link.
    """
    owner_require(scope, user.organisation_id)
    if not user.is_active:
        raise ValidationError(_("%(name)s is deactivated: reactivate them first.") % {"name": user})
    link = invite_link(user=user, base_url=base_url)
    clinics = sorted({m.clinic.name for m in user.memberships.select_related("clinic")})
    with translation.override(user.language):
        subject = _("Your Mesoclinic account")
        body = _(
            "Hello %(name)s,\n\nyou have been given an account at %(organisation)s "
            "(%(clinics)s). Your username is %(username)s.\n\nOpen this link to set your "
            "password; it works once and expires in %(days)s days:\n\n%(link)s\n"
        ) % {
            "name": user,
            "organisation": user.organisation,
            "clinics": ", ".join(clinics),
            "username": user.username,
            "days": max(1, settings.PASSWORD_RESET_TIMEOUT // 86400),
            "link": link,
        }
    try:
        send_mail(subject, body, None, [user.email])
    except OSError as exc:
        raise ValidationError(
            _("The invitation could not be sent (%(error)s). Check the e-mail settings.")
            % {"error": exc}
        ) from exc
    admin_audit(
        action=AuditAction.UPDATE,
        scope=scope,
        organisation_id=user.organisation_id,
        obj=user,
        request=request,
        detail={"invitation_sent": user.email},
    )
    return link


@transaction.atomic
def staff_password_set(*, scope: Scope | None, user: User, password: str, request=None) -> User:
    """Set a member of staff's password directly (owners); they should change it later."""
    owner_require(scope, user.organisation_id)
    _password_check(password, user)
    user.set_password(password)
    user.save(update_fields=["password"])
    admin_audit(
        action=AuditAction.UPDATE,
        scope=scope,
        organisation_id=user.organisation_id,
        obj=user,
        request=request,
        detail={"password_set": True},
    )
    return user


def _active_owners(organisation_id: int) -> set[int]:
    return set(
        Membership.objects.filter(
            organisation_id=organisation_id, role=Role.OWNER, user__is_active=True
        ).values_list("user_id", flat=True)
    )


@transaction.atomic
def staff_role_add(
    *, scope: Scope | None, user: User, clinic: Clinic, role: Role | str, request=None
) -> Membership:
    """Give a member of staff a role in one clinic (a nurse here may be a practitioner there)."""
    owner_require(scope, user.organisation_id)
    if clinic.organisation_id != user.organisation_id:
        raise ValidationError({"clinic": _("Unknown clinic.")})
    if role not in Role.values:
        raise ValidationError({"role": _("Unknown role.")})
    role = Role(role)
    if Membership.objects.filter(user=user, clinic=clinic, role=role).exists():
        raise ValidationError(
            {
                "role": _("%(name)s is already %(role)s at %(clinic)s.")
                % {"name": user, "role": role.label, "clinic": clinic}
            }
        )
    membership = membership_add(user=user, clinic=clinic, role=role)
    admin_audit(
        action=AuditAction.CREATE,
        scope=scope,
        organisation_id=user.organisation_id,
        obj=membership,
        request=request,
        detail={"user": user.pk, "clinic": clinic.pk, "role": str(role)},
    )
    return membership


@transaction.atomic
def staff_role_remove(*, scope: Scope | None, membership: Membership, request=None) -> None:
    """Take a role in one clinic away; refused for someone's only role or the last owner."""
    owner_require(scope, membership.organisation_id)
    user = membership.user
    if user.memberships.count() == 1:
        raise ValidationError(
            _("This is %(name)s's only role: give another first, or deactivate them.")
            % {"name": user}
        )
    other_owners = Membership.objects.filter(
        organisation_id=membership.organisation_id, role=Role.OWNER, user__is_active=True
    ).exclude(pk=membership.pk)
    if membership.role == Role.OWNER and not other_owners.exists():
        raise ValidationError(_("The organisation needs at least one owner."))
    admin_audit(
        action=AuditAction.DELETE,
        scope=scope,
        organisation_id=membership.organisation_id,
        obj=membership,
        request=request,
        detail={"user": user.pk, "clinic": membership.clinic_id, "role": membership.role},
    )
    membership.delete()


@transaction.atomic
def staff_deactivate(*, scope: Scope | None, user: User, request=None) -> User:
    """Stop a member of staff signing in (web, API tokens, calendar feeds). Their records
    stay, attributed to them; they can be reactivated."""
    from mesoclinic.scheduling.models import CalendarFeed

    owner_require(scope, user.organisation_id)
    if scope is not None and scope.user_id == user.pk:
        raise ValidationError(_("You cannot deactivate yourself."))
    if not user.is_active:
        raise ValidationError(_("%(name)s is already deactivated.") % {"name": user})
    if _active_owners(user.organisation_id) == {user.pk}:
        raise ValidationError(_("The organisation needs at least one owner."))
    user.is_active = False
    user.save(update_fields=["is_active"])
    CalendarFeed.objects.filter(practitioner=user, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    admin_audit(
        action=AuditAction.UPDATE,
        scope=scope,
        organisation_id=user.organisation_id,
        obj=user,
        request=request,
        detail={"active": False},
    )
    return user


@transaction.atomic
def staff_reactivate(*, scope: Scope | None, user: User, request=None) -> User:
    """Let a deactivated member of staff sign in again."""
    owner_require(scope, user.organisation_id)
    if user.is_active:
        raise ValidationError(_("%(name)s is already active.") % {"name": user})
    user.is_active = True
    user.save(update_fields=["is_active"])
    admin_audit(
        action=AuditAction.UPDATE,
        scope=scope,
        organisation_id=user.organisation_id,
        obj=user,
        request=request,
        detail={"active": True},
    )
    return user
