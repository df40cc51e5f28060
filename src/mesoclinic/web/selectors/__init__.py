"""Reads of the home pages, one module per role: what each person needs first today.

Every list is bounded (LIST_CAP rows, and whether there are more), every query goes
through the caller's scope, and "today" is each clinic's own day in its time zone.

- common: the bounded list (Capped) and each clinic's own day;
- hours: when a clinic is open and a practitioner bookable (free slots, utilisation);
- practitioner, reception, owner: one home page each.
"""

from mesoclinic.web.selectors.common import LIST_CAP, Capped
from mesoclinic.web.selectors.owner import (
    EXPIRY_WINDOWS,
    ClinicDay,
    ExpiringLot,
    UseRow,
    owner_home,
    week_utilisation,
)
from mesoclinic.web.selectors.practitioner import VisitRow, practitioner_home
from mesoclinic.web.selectors.reception import (
    FREE_SLOT_MINUTES,
    MAINTENANCE_MONTHS,
    FreeSlot,
    free_slots,
    maintenance_due,
    receptionist_home,
)

__all__ = [
    "EXPIRY_WINDOWS",
    "FREE_SLOT_MINUTES",
    "LIST_CAP",
    "MAINTENANCE_MONTHS",
    "Capped",
    "ClinicDay",
    "ExpiringLot",
    "FreeSlot",
    "UseRow",
    "VisitRow",
    "free_slots",
    "maintenance_due",
    "owner_home",
    "practitioner_home",
    "receptionist_home",
    "week_utilisation",
]
