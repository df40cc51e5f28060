"""Times shown in the clinic's own time zone, whatever the reader's."""

from __future__ import annotations

from django import template
from django.utils import formats

register = template.Library()


@register.filter
def clinic_time(moment, clinic) -> str:
    """`moment` as a time of day in `clinic`'s zone (the appointment's own clinic)."""
    if not moment or clinic is None:
        return ""
    return formats.time_format(moment.astimezone(clinic.zone), "H:i")


@register.filter
def clinic_date(moment, clinic) -> str:
    """`moment` as a short date in `clinic`'s zone."""
    if not moment or clinic is None:
        return ""
    return formats.date_format(moment.astimezone(clinic.zone), "SHORT_DATE_FORMAT")
