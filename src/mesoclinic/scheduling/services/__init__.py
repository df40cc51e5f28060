"""Booking, moving and changing appointments.

Every rule a receptionist can break (opening hours, a practitioner's hours or absence,
a missing credential, a needle-free technique without its device) is checked here with
a message naming what is wrong. Double bookings are refused by the database itself
(migration 0002); that refusal is turned into a message too, so two receptionists
booking the same slot at the same moment get one booking and one clear answer.
"""

from mesoclinic.scheduling.services.appointments import (  # noqa: F401
    _first_free,
    _raise_for_integrity,
    _serialise_bookings,
    _validated_slot,
    appointment_book,
    appointment_next_statuses,
    appointment_reschedule,
    appointment_status_set,
    plan_appointments_cancel,
)
from mesoclinic.scheduling.services.feeds import (  # noqa: F401
    calendar_feed_issue,
    calendar_feed_live,
    calendar_feed_may_revoke,
    calendar_feed_revoke,
    calendar_feeds_lapse,
)
from mesoclinic.scheduling.services.resources import (  # noqa: F401
    _own_clinic,
    absence_create,
    course_terms_set,
    credential_grant,
    device_create,
    holiday_create,
    patient_availability_set,
    practitioner_break_add,
    practitioner_limit_set,
    room_create,
    working_hours_set,
)
from mesoclinic.scheduling.services.rules import (  # noqa: F401
    RuleCheck,
    appointment_warnings,
    booking_rules_check,
    course_practitioner,
    room_cleaning_problems,
)
from mesoclinic.scheduling.services.slots import (  # noqa: F401
    _CONSTRAINT_FIELDS,
    TRANSITIONS,
    Slot,
    _covered,
    _fmt_range,
    _local,
    booking_window_check,
    slot_check,
)
