"""Calendar feeds (.ics, RFC 5545) for a practitioner's or a patient's appointments.

A practitioner's feed names patients by initials only: calendar apps sync to phones
and third-party servers, so full names and clinical details stay in Mesoclinic.
"""

from __future__ import annotations

import datetime as dt

from icalendar import Calendar, Event

from mesoclinic.scheduling.models import ACTIVE_STATUSES, Appointment, CalendarFeed

PAST_DAYS = 31
FUTURE_DAYS = 366


def _initials(appointment: Appointment) -> str:
    p = appointment.patient
    return ". ".join(part[0] for part in (p.given_name, p.family_name) if part) + "."


def calendar_feed_ics(*, feed: CalendarFeed, now: dt.datetime) -> bytes:
    """Render the feed's appointments from a month ago to a year ahead."""
    qs = Appointment.objects.filter(
        organisation_id=feed.organisation_id,
        status__in=ACTIVE_STATUSES,
        starts_at__gte=now - dt.timedelta(days=PAST_DAYS),
        starts_at__lt=now + dt.timedelta(days=FUTURE_DAYS),
    ).select_related("patient", "practitioner", "clinic", "room")
    if feed.practitioner_id:
        qs = qs.filter(practitioner_id=feed.practitioner_id)
        name = f"Mesoclinic — {feed.practitioner}"
    else:
        qs = qs.filter(patient_id=feed.patient_id)
        name = "Mesoclinic"
    cal = Calendar()
    cal.add("prodid", "-//Mesoclinic//Appointments//EN")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", name)
    for a in qs.order_by("starts_at"):
        event = Event()
        event.add("uid", f"appointment-{a.pk}@mesoclinic")
        event.add("dtstamp", now)
        event.add("dtstart", a.starts_at)
        event.add("dtend", a.ends_at)
        event.add("sequence", a.version)
        if feed.practitioner_id:
            event.add("summary", f"Mesoclinic: {_initials(a)}")
            event.add("location", f"{a.clinic.name}{', ' + a.room.name if a.room else ''}")
        else:
            event.add("summary", f"Mesoclinic: {a.clinic.name}")
            event.add("location", a.clinic.address or a.clinic.name)
            event.add("description", str(a.practitioner))
        event.add("status", "CONFIRMED" if a.status == "confirmed" else "TENTATIVE")
        cal.add_component(event)
    return cal.to_ical()
