"""Booking whole treatment courses: from a plan to appointments, and re-planning.

The shell half of course booking. `course_problem` turns the clinic's rooms, devices,
practitioners' hours, credentials and absences, holidays and existing appointments
into the planner's plain data; the planner core (`mesoclinic.core.planning`) proposes;
`course_book` and `course_replan_apply` store the accepted proposal atomically through
`appointment_book`, so every booking rule and the database's double-booking refusal
still hold.

Modules: `state` (where a course stands), `problem` (the clinic as planner data),
`proposal` (proposals and placements), `booking` (booking and re-planning, all or
none), `messages` (planner messages in the user's language).
"""

from mesoclinic.scheduling.courses.booking import (
    _changed_since,
    _interval_problems,
    course_book,
    course_replan_apply,
    session_key,
)
from mesoclinic.scheduling.courses.messages import message_text
from mesoclinic.scheduling.courses.problem import (
    _course,
    _days,
    _weekly,
    clinic_problem,
    course_problem,
    models_q_for,
)
from mesoclinic.scheduling.courses.proposal import (
    RELAX_DAYS,
    SessionChoice,
    _horizon,
    choices_from_plan,
    course_placements,
    course_propose,
)
from mesoclinic.scheduling.courses.state import (
    DEFAULT_SESSION_MINUTES,
    CourseState,
    _previous_practitioner,
    _session_minutes,
    course_state,
    patient_courses_to_book,
)

__all__ = [
    "DEFAULT_SESSION_MINUTES",
    "RELAX_DAYS",
    "CourseState",
    "SessionChoice",
    "_changed_since",
    "_course",
    "_days",
    "_horizon",
    "_interval_problems",
    "_previous_practitioner",
    "_session_minutes",
    "_weekly",
    "choices_from_plan",
    "clinic_problem",
    "course_book",
    "course_placements",
    "course_problem",
    "course_propose",
    "course_replan_apply",
    "course_state",
    "message_text",
    "models_q_for",
    "patient_courses_to_book",
    "session_key",
]
