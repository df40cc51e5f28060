"""The one place that decides what a signed-in user may see.

Every selector starts from `scoped(...)`: it filters by the user's organisation and
checks the role's permission, so a guessed URL for another organisation's object is
a 404 and a receptionist asking for clinical notes is a 403, whatever the view does.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import Http404

from mesoclinic.accounts.models import Clinic, Membership, Role, User

ALL_STAFF = frozenset(Role)
CLINICAL_STAFF = frozenset({Role.OWNER, Role.PRACTITIONER, Role.NURSE})

# Permission -> roles holding it. Data, so the matrix is reviewed in one place and
# documented in docs/user-guide.md (tests/test_docs.py keeps the two in step).
PERMISSIONS: dict[str, frozenset[Role]] = {
    "patients.view_demographics": ALL_STAFF,
    "patients.edit_demographics": ALL_STAFF,
    "patients.view_clinical": CLINICAL_STAFF,
    "patients.edit_clinical": frozenset({Role.PRACTITIONER, Role.NURSE}),
    "plans.create": frozenset({Role.PRACTITIONER}),
    "sessions.chart": frozenset({Role.PRACTITIONER}),
    "screening.override": frozenset({Role.PRACTITIONER}),
    "schedule.view": ALL_STAFF,
    "schedule.book": ALL_STAFF,
    "inventory.view": CLINICAL_STAFF,
    "inventory.manage": frozenset({Role.OWNER, Role.NURSE, Role.PRACTITIONER}),
    "audit.view": frozenset({Role.OWNER}),
    "clinic.manage": frozenset({Role.OWNER}),
}


@dataclass(frozen=True)
class Scope:
    """Who is asking: their organisation, the clinic they work in now, and their roles there."""

    user_id: int
    organisation_id: int
    clinic_id: int | None
    roles: frozenset[Role]
    clinic_ids: frozenset[int] = field(default_factory=frozenset)

    def can(self, permission: str) -> bool:
        if permission not in PERMISSIONS:
            raise KeyError(f"unknown permission {permission!r}")
        return bool(self.roles & PERMISSIONS[permission])

    def require(self, permission: str) -> None:
        if not self.can(permission):
            raise PermissionDenied(permission)


def scope_for(user: User, *, clinic_id: int | None = None) -> Scope | None:
    """Build the scope of a signed-in user, in `clinic_id` if they work there.

    Owners hold their role in every clinic of the organisation. Returns None for a
    user with no organisation (a system administrator), who sees no patient data.
    """
    if not user.is_authenticated or user.organisation_id is None:
        return None
    memberships = list(
        Membership.objects.filter(user=user, organisation_id=user.organisation_id).values_list(
            "clinic_id", "role"
        )
    )
    is_owner = any(role == Role.OWNER for _, role in memberships)
    if is_owner:
        clinic_ids = frozenset(
            Clinic.objects.filter(organisation_id=user.organisation_id).values_list("id", flat=True)
        )
    else:
        clinic_ids = frozenset(c for c, _ in memberships)
    if clinic_id not in clinic_ids:
        clinic_id = min((c for c, _ in memberships), default=None) if memberships else None
    roles = {Role(role) for c, role in memberships if c == clinic_id}
    if is_owner:
        roles.add(Role.OWNER)
    return Scope(
        user_id=user.pk,
        organisation_id=user.organisation_id,
        clinic_id=clinic_id,
        roles=frozenset(roles),
        clinic_ids=clinic_ids,
    )


def scoped(
    model_or_queryset: type[models.Model] | models.QuerySet,
    scope: Scope | None,
    *,
    permission: str | None = None,
) -> models.QuerySet:
    """All rows of a model that belong to the scope's organisation.

    Raises PermissionDenied if the scope's roles lack `permission`, and returns an
    empty queryset for a missing scope, so a mistake shows nothing rather than all.
    """
    qs = (
        model_or_queryset
        if isinstance(model_or_queryset, models.QuerySet)
        else model_or_queryset._default_manager.all()
    )
    if scope is None:
        return qs.none()
    if permission is not None:
        scope.require(permission)
    return qs.filter(organisation_id=scope.organisation_id)


def get_scoped_or_404(
    model_or_queryset: type[models.Model] | models.QuerySet,
    scope: Scope | None,
    *,
    permission: str | None = None,
    **lookup,
) -> models.Model:
    """One object of the scope's organisation, or 404 — never another organisation's."""
    try:
        return scoped(model_or_queryset, scope, permission=permission).get(**lookup)
    except (models.ObjectDoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


def roles_with(permission: str) -> Iterable[Role]:
    return sorted(PERMISSIONS[permission])
