"""Writes to accounts: organisations, clinics, users and memberships."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from mesoclinic.accounts.models import Clinic, Membership, OpeningHours, Organisation, Role, User


@transaction.atomic
def organisation_create(*, name: str) -> Organisation:
    """Create an organisation (a practice or chain)."""
    org = Organisation(name=name.strip())
    org.full_clean()
    org.save()
    return org


@transaction.atomic
def clinic_create(
    *,
    organisation: Organisation,
    name: str,
    time_zone: str,
    address: str = "",
    phone: str = "",
    locale: str = "en-gb",
    hours: dict[int, tuple[dt.time, dt.time]] | None = None,
) -> Clinic:
    """Create a clinic with its time zone and weekly opening hours (weekday 0 = Monday)."""
    clinic = Clinic(
        organisation=organisation,
        name=name.strip(),
        time_zone=time_zone,
        address=address,
        phone=phone,
        locale=locale,
    )
    clinic.full_clean()
    clinic.save()
    for weekday, (opens, closes) in sorted((hours or {}).items()):
        if not opens < closes:
            raise ValidationError({"hours": _("A clinic must open before it closes.")})
        OpeningHours.objects.create(
            organisation=organisation, clinic=clinic, weekday=weekday, opens=opens, closes=closes
        )
    return clinic


@transaction.atomic
def user_create(
    *,
    organisation: Organisation | None,
    username: str,
    email: str,
    password: str,
    display_name: str = "",
    language: str = "en",
    memberships: list[tuple[Clinic, Role]] = (),
    is_superuser: bool = False,
) -> User:
    """Create a user with argon2-hashed password and their clinic roles."""
    user = User(
        organisation=organisation,
        username=username.strip(),
        email=email.strip().lower(),
        display_name=display_name.strip(),
        language=language,
        is_staff=is_superuser,
        is_superuser=is_superuser,
    )
    user.set_password(password)
    user.full_clean()
    user.save()
    for clinic, role in memberships:
        membership_add(user=user, clinic=clinic, role=role)
    return user


@transaction.atomic
def membership_add(*, user: User, clinic: Clinic, role: Role) -> Membership:
    """Give a user a role in a clinic of their own organisation."""
    if user.organisation_id != clinic.organisation_id:
        raise ValidationError(_("A user can only work in clinics of their own organisation."))
    membership, _created = Membership.objects.get_or_create(
        organisation_id=clinic.organisation_id, user=user, clinic=clinic, role=role
    )
    return membership


@transaction.atomic
def user_language_set(*, user: User, language: str) -> User:
    """Persist the language the user sees Mesoclinic in."""
    user.language = language
    user.full_clean(validate_unique=False)
    user.save(update_fields=["language"])
    return user
