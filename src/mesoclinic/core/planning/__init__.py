"""Course scheduling: the CP-SAT clinic planner, the first-fit baseline, booking one course.

Pure Python over plain dataclasses (no Django): see docs/planner.md.
"""

from mesoclinic.core.planning.bounds import upper_bound
from mesoclinic.core.planning.check import placement_issues, plan_violations
from mesoclinic.core.planning.course import PlanChange, plan_changes, propose_course
from mesoclinic.core.planning.cpsat import plan_cpsat
from mesoclinic.core.planning.greedy import plan_first_fit
from mesoclinic.core.planning.messages import Message
from mesoclinic.core.planning.metrics import Metrics, plan_metrics
from mesoclinic.core.planning.model import (
    Busy,
    Course,
    Device,
    Placement,
    Plan,
    Practitioner,
    Problem,
    Relaxation,
    Room,
    TimeRange,
    Unplaced,
)
from mesoclinic.core.planning.optimise import plan_clinic

__all__ = [
    "Busy",
    "Course",
    "Device",
    "Message",
    "Metrics",
    "Placement",
    "Plan",
    "PlanChange",
    "Practitioner",
    "Problem",
    "Relaxation",
    "Room",
    "TimeRange",
    "Unplaced",
    "placement_issues",
    "plan_changes",
    "plan_clinic",
    "plan_cpsat",
    "plan_first_fit",
    "plan_metrics",
    "plan_violations",
    "propose_course",
    "upper_bound",
]
