"""The one place that decides what a signed-in user may see.

Every selector starts from `scoped(...)`: it filters by the user's organisation and
checks the role's permission, so a guessed URL for another organisation's object is
a 404 and a receptionist asking for clinical notes is a 403, whatever the view does.

Roles belong to a clinic. An object that lives in a clinic (a session, an appointment,
a consultation, a plan, a lot's stock) is reached through `get_in_clinic_or_404`, and
the services acting on it use `scope.in_clinic(obj.clinic_id)`: the user's roles *in
that clinic* decide, never the roles of the clinic they happen to have selected.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from operator import attrgetter

from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import F, FilteredRelation, Q
from django.http import Http404

from mesoclinic.accounts.models import Clinic, Role, User

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
    # Roles held in each clinic of `clinic_ids` (owners hold OWNER in every clinic).
    clinic_roles: Mapping[int, frozenset[Role]] = field(
        default_factory=dict, compare=False, hash=False
    )

    def can(self, permission: str) -> bool:
        """Whether the roles in the current clinic grant `permission`."""
        return bool(self.roles & _roles_granting(permission))

    def require(self, permission: str) -> None:
        if not self.can(permission):
            raise PermissionDenied(permission)

    def works_in(self, clinic_id: int | None) -> bool:
        """Whether `clinic_id` is one of the user's clinics."""
        return clinic_id is not None and clinic_id in self.clinic_ids

    def roles_in(self, clinic_id: int | None) -> frozenset[Role]:
        """The user's roles in one clinic; none in a clinic they do not work in."""
        if not self.works_in(clinic_id):
            return frozenset()
        if clinic_id in self.clinic_roles:
            return self.clinic_roles[clinic_id]
        return self.roles if clinic_id == self.clinic_id else frozenset()

    def can_in(self, permission: str, clinic_id: int | None) -> bool:
        """Whether the user's roles in `clinic_id` grant `permission`."""
        return bool(self.roles_in(clinic_id) & _roles_granting(permission))

    def require_in(self, permission: str, clinic_id: int | None) -> None:
        """Refuse (403) unless the user's roles in `clinic_id` grant `permission`."""
        if not self.can_in(permission, clinic_id):
            raise PermissionDenied(permission)

    def in_clinic(self, clinic_id: int | None) -> Scope:
        """This user's scope working in `clinic_id`: its roles there, its stock, its day.

        Services acting on an object of a clinic call this with the object's clinic,
        so the roles checked and the clinic written to are the object's, whichever
        clinic the user has selected. A clinic the user does not work in is refused.
        """
        if not self.works_in(clinic_id):
            raise PermissionDenied("clinic")
        if clinic_id == self.clinic_id:
            return self
        return replace(self, clinic_id=clinic_id, roles=self.roles_in(clinic_id))


def _roles_granting(permission: str) -> frozenset[Role]:
    if permission not in PERMISSIONS:
        raise KeyError(f"unknown permission {permission!r}")
    return PERMISSIONS[permission]


def scope_for(user: User, *, clinic_id: int | None = None, strict: bool = False) -> Scope | None:
    """Build the scope of a signed-in user, in `clinic_id` if they work there.

    Owners hold their role in every clinic of the organisation. Returns None for a
    user with no organisation (a system administrator), who sees no patient data,
    and for an inactive user. With `strict`, a `clinic_id` the user no longer works
    in gives None instead of falling back to another clinic (API tokens and calendar
    feeds are bound to one clinic and die with the membership).
    """
    return scope_and_clinics_for(user, clinic_id=clinic_id, strict=strict)[0]


def scope_and_clinics_for(
    user: User, *, clinic_id: int | None = None, strict: bool = False
) -> tuple[Scope | None, list[Clinic]]:
    """The user's scope (see `scope_for`) and their clinics in name order, in one query.

    Every signed-in page needs both (the roles, the selected clinic's zone and locale,
    the clinic switcher): the organisation's clinics are read with the user's roles in
    each joined on, instead of memberships, clinic ids and the clinic in three reads.
    Read afresh on every request, so a role granted or revoked counts at once.
    """
    if not user.is_authenticated or user.organisation_id is None or not user.is_active:
        return None, []
    rows = (
        Clinic.objects.filter(organisation_id=user.organisation_id)
        .annotate(
            mine=FilteredRelation(
                "memberships",
                condition=Q(
                    memberships__user_id=user.pk,
                    memberships__organisation_id=user.organisation_id,
                ),
            ),
            my_role=F("mine__role"),
        )
        .order_by("name", "id")
    )
    by_id: dict[int, Clinic] = {}
    memberships: list[tuple[int, str]] = []
    for clinic in rows:
        by_id.setdefault(clinic.pk, clinic)
        if clinic.my_role is not None:
            memberships.append((clinic.pk, clinic.my_role))
    is_owner = any(role == Role.OWNER for _, role in memberships)
    clinic_ids = frozenset(by_id) if is_owner else frozenset(c for c, _ in memberships)
    if clinic_id not in clinic_ids:
        if strict:
            return None, []
        clinic_id = min((c for c, _ in memberships), default=None) if memberships else None
    by_clinic: dict[int, set[Role]] = {c: {Role.OWNER} if is_owner else set() for c in clinic_ids}
    for c, role in memberships:
        by_clinic.setdefault(c, set()).add(Role(role))
    clinic_roles = {c: frozenset(r) for c, r in by_clinic.items()}
    scope = Scope(
        user_id=user.pk,
        organisation_id=user.organisation_id,
        clinic_id=clinic_id,
        roles=clinic_roles.get(clinic_id, frozenset({Role.OWNER}) if is_owner else frozenset()),
        clinic_ids=clinic_ids,
        clinic_roles=clinic_roles,
    )
    return scope, [clinic for pk, clinic in by_id.items() if pk in clinic_ids]


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


def get_in_clinic_or_404(
    model_or_queryset: type[models.Model] | models.QuerySet,
    scope: Scope | None,
    *,
    permission: str,
    clinic_attr: str = "clinic_id",
    **lookup,
) -> models.Model:
    """One object of the scope's organisation that lives in one of the user's clinics.

    404 for another organisation's object or one of a clinic the user does not work
    in; 403 unless the user's roles *in the object's clinic* grant `permission`.
    `clinic_attr` names the object's clinic id (dotted for a related object's).
    """
    if scope is None:
        raise Http404
    obj = get_scoped_or_404(model_or_queryset, scope, **lookup)
    clinic_id = attrgetter(clinic_attr)(obj)
    if not scope.works_in(clinic_id):
        raise Http404
    scope.require_in(permission, clinic_id)
    return obj


def in_my_clinics(
    queryset: models.QuerySet, scope: Scope | None, *, clinic_field: str = "clinic_id"
) -> models.QuerySet:
    """Narrow an organisation-scoped queryset to rows of the user's clinics."""
    if scope is None:
        return queryset.none()
    return queryset.filter(**{f"{clinic_field}__in": sorted(scope.clinic_ids)})


def roles_with(permission: str) -> Iterable[Role]:
    return sorted(PERMISSIONS[permission])
