"""Reads for owners' administration: their clinics and their staff."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from mesoclinic.accounts.models import Clinic, Membership, User
from mesoclinic.accounts.scope import Scope, get_scoped_or_404, scoped


def clinic_list(*, scope: Scope | None) -> QuerySet[Clinic]:
    """The organisation's clinics with their opening hours (owners)."""
    return scoped(Clinic, scope, permission="clinic.manage").prefetch_related("opening_hours")


def clinic_get(*, scope: Scope | None, clinic_id: int) -> Clinic:
    """One clinic of the owner's organisation, or 404."""
    return get_scoped_or_404(Clinic, scope, permission="clinic.manage", pk=clinic_id)


def _with_memberships(qs: QuerySet[User]) -> QuerySet[User]:
    return qs.prefetch_related(
        Prefetch(
            "memberships",
            queryset=Membership.objects.select_related("clinic").order_by("clinic__name", "role"),
        )
    )


# The patient portal's author of record (portal.services.access.portal_actor) is not
# staff: it never signs in and is not listed or managed with the staff.
NOT_STAFF = {"email__endswith": "@portal.invalid"}


def staff_list(*, scope: Scope | None) -> QuerySet[User]:
    """Everyone who signs in to the organisation, active first, by name (owners)."""
    return _with_memberships(
        scoped(User, scope, permission="clinic.manage")
        .exclude(**NOT_STAFF)
        .order_by("-is_active", "display_name", "username")
    )


def staff_get(*, scope: Scope | None, user_id: int) -> User:
    """One member of the owner's organisation's staff, or 404."""
    return get_scoped_or_404(
        _with_memberships(User.objects.exclude(**NOT_STAFF)),
        scope,
        permission="clinic.manage",
        pk=user_id,
    )
