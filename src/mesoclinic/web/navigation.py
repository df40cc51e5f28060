"""The main navigation, as data: each item shows only to roles holding its permission."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from mesoclinic.accounts.scope import Scope


@dataclass(frozen=True)
class NavItem:
    key: str
    label: Promise
    url_name: str
    permission: str | None


NAVIGATION: tuple[NavItem, ...] = (
    NavItem("home", _("Today"), "home", None),
    NavItem("patients", _("Patients"), "patients:list", "patients.view_demographics"),
    NavItem("schedule", _("Schedule"), "scheduling:calendar", "schedule.view"),
    NavItem("sessions", _("Today's sessions"), "charting:day", "patients.edit_clinical"),
    NavItem("inventory", _("Stock"), "inventory:index", "inventory.view"),
    NavItem("outcomes", _("Outcomes"), "outcomes:report", "clinic.manage"),
    NavItem("audit", _("Audit trail"), "audit:list", "audit.view"),
    NavItem("clinic", _("Clinic settings"), "accounts:clinic", "clinic.manage"),
    NavItem("jobs", _("Background work"), "jobs:list", "clinic.manage"),
)


def navigation_for(scope: Scope | None, *, current: str = "") -> list[dict]:
    """The items this scope may see, with their URLs and which one is current."""
    if scope is None:
        return []
    items = []
    for item in NAVIGATION:
        if item.permission is None or scope.can(item.permission):
            url = reverse(item.url_name)
            items.append(
                {
                    "key": item.key,
                    "label": item.label,
                    "url": url,
                    "current": current == url or (url != "/" and current.startswith(url)),
                }
            )
    return items
