"""Writes to accounts: organisations, clinics, users and memberships."""

from __future__ import annotations

import datetime as dt
from itertools import pairwise

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from mesoclinic.accounts.models import (
    Clinic,
    Jurisdiction,
    Membership,
    OpeningHours,
    Organisation,
    Role,
    User,
)


@transaction.atomic
def organisation_create(*, name: str) -> Organisation:
    """Create an organisation (a practice or chain)."""
    org = Organisation(name=name.strip())
    org.full_clean()
    org.save()
    return org


Span = tuple[dt.time, dt.time]


def opening_hours_clean(
    hours: dict[int, Span | list[Span] | None] | None,
) -> dict[int, list[Span]]:
    """Weekly hours as weekday (0 = Monday) -> sorted spans, checked: each span opens
    before it closes and the spans of a day do not overlap. A day without spans is closed.
    """
    out: dict[int, list[Span]] = {}
    for weekday, value in (hours or {}).items():
        if not 0 <= int(weekday) <= 6:
            raise ValidationError({"hours": _("Unknown weekday.")})
        spans = [value] if isinstance(value, tuple) else list(value or [])
        spans.sort()
        for opens, closes in spans:
            if not opens < closes:
                raise ValidationError({"hours": _("A clinic must open before it closes.")})
        for (_o1, c1), (o2, _c2) in pairwise(spans):
            if o2 < c1:
                raise ValidationError(
                    {"hours": _("The opening hours of one day must not overlap.")}
                )
        out[int(weekday)] = spans
    return out


def opening_hours_write(*, clinic: Clinic, hours: dict[int, list[Span]]) -> list[OpeningHours]:
    """Replace a clinic's weekly hours with already-cleaned `hours` (inside a transaction)."""
    OpeningHours.objects.filter(clinic=clinic).delete()
    return OpeningHours.objects.bulk_create(
        OpeningHours(
            organisation_id=clinic.organisation_id,
            clinic=clinic,
            weekday=weekday,
            opens=opens,
            closes=closes,
        )
        for weekday, spans in sorted(hours.items())
        for opens, closes in spans
    )


@transaction.atomic
def clinic_create(
    *,
    organisation: Organisation,
    name: str,
    time_zone: str,
    address: str = "",
    phone: str = "",
    locale: str = "en-gb",
    jurisdiction: str = "",
    hours: dict[int, Span | list[Span] | None] | None = None,
) -> Clinic:
    """Create a clinic with its time zone and weekly opening hours (weekday 0 = Monday;
    a day's value is one (opens, closes) span or a list of them for a split day).
    Without a jurisdiction, the one its locale suggests."""
    name = name.strip()
    cleaned = opening_hours_clean(hours)
    if Clinic.objects.filter(organisation=organisation, name__iexact=name).exists():
        raise ValidationError(
            {"name": _("The organisation already has a clinic called %(name)s.") % {"name": name}}
        )
    clinic = Clinic(
        organisation=organisation,
        name=name,
        time_zone=time_zone.strip(),
        address=address.strip(),
        phone=phone.strip(),
        locale=locale,
        jurisdiction=jurisdiction or Jurisdiction.of_locale(locale),
    )
    clinic.full_clean()
    clinic.save()
    opening_hours_write(clinic=clinic, hours=cleaned)
    return clinic


@transaction.atomic
def user_create(
    *,
    organisation: Organisation | None,
    username: str,
    email: str,
    password: str | None,
    display_name: str = "",
    language: str = "en",
    memberships: list[tuple[Clinic, Role]] = (),
    is_superuser: bool = False,
) -> User:
    """Create a user with argon2-hashed password and their clinic roles.

    Without a password the user cannot sign in until they set one (an invitation).
    """
    user = User(
        organisation=organisation,
        username=username.strip(),
        email=email.strip().lower(),
        display_name=display_name.strip(),
        language=language,
        is_staff=is_superuser,
        is_superuser=is_superuser,
    )
    if password is None:
        user.set_unusable_password()
    else:
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
