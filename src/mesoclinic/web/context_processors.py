from __future__ import annotations

from mesoclinic.accounts.models import Clinic
from mesoclinic.web.navigation import navigation_for


def shell(request) -> dict:
    """What the base layout needs: navigation, clinic switcher and the signed-in roles."""
    scope = getattr(request, "scope", None)
    if scope is None:
        return {"nav_items": [], "clinics": [], "current_clinic": None, "role_labels": []}
    clinics = getattr(request, "clinics", None)
    if clinics is None:  # a request that did not pass through ScopeMiddleware
        clinics = list(Clinic.objects.filter(pk__in=scope.clinic_ids).order_by("name"))
    return {
        "nav_items": navigation_for(scope, current=request.path),
        "clinics": clinics,
        "current_clinic": getattr(request, "clinic", None),
        "role_labels": [role.label for role in sorted(scope.roles)],
    }
