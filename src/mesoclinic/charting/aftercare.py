"""The aftercare sheet of a signed session as a PDF, in the patient's language.

Dates are written for the patient (their language, the clinic's formats); the
clinic's phone and address are always printed; a next session already booked is
named instead of the window to book it in.
"""

from __future__ import annotations

import datetime as dt

from django.template.loader import render_to_string
from django.utils import formats, translation
from django.utils.translation import gettext as _

from mesoclinic.accounts.locales import base_language, locale_language
from mesoclinic.charting.models import TreatmentSession
from mesoclinic.charting.selectors import aftercare_items, next_booked_appointment
from mesoclinic.consultations.engine import kb as knowledge


def patient_date(value: dt.date) -> str:
    """A date as a patient reads it ("9 Dec 2026", "9 декабря 2026 г."): active language."""
    return formats.date_format(value, "DATE_FORMAT")


def patient_datetime(value: dt.datetime) -> str:
    """A local date and time as a patient reads it ("9 Dec 2026 at 10:00")."""
    return _("%(date)s at %(time)s") % {
        "date": patient_date(value.date()),
        "time": formats.time_format(value.time(), "TIME_FORMAT"),
    }


def _context(*, session: TreatmentSession, lang: str) -> dict:
    kb = knowledge()
    entries = list(session.entries.all())
    clinic = session.clinic
    booked = next_booked_appointment(session=session)
    return {
        "session": session,
        "language": lang,
        "clinic": clinic,
        "session_day": patient_date(session.session_date),
        "items": aftercare_items(session=session, language=lang),
        "zones": [kb.zone[z].name.get(lang) for z in dict.fromkeys(e.zone_id for e in entries)],
        "techniques": [
            kb.technique[t].name.get(lang) for t in dict.fromkeys(e.technique_id for e in entries)
        ],
        "next_booked": (
            patient_datetime(booked.starts_at.astimezone(booked.clinic.zone)) if booked else ""
        ),
        "next_from": patient_date(session.next_earliest) if session.next_earliest else "",
        "next_by": patient_date(session.next_latest) if session.next_latest else "",
    }


def aftercare_context(*, session: TreatmentSession, language: str) -> dict:
    """What the sheet shows, its dates written in `language` with the clinic's formats."""
    lang = base_language(language)
    with translation.override(locale_language(language=lang, clinic_locale=session.clinic.locale)):
        return _context(session=session, lang=lang)


def aftercare_html(*, session: TreatmentSession, language: str) -> str:
    """The aftercare sheet as HTML in `language`.

    The one rendering both the download and the background drawing use: its hash
    names the stored PDF (`web.documents`).
    """
    context = aftercare_context(session=session, language=language)
    code = locale_language(language=context["language"], clinic_locale=session.clinic.locale)
    with translation.override(code):
        return render_to_string("charting/aftercare_pdf.html", context)


def aftercare_pdf(*, session: TreatmentSession, language: str) -> bytes:
    """Render the aftercare sheet (WeasyPrint; DejaVu fonts carry Cyrillic).

    Drawn once per content and kept in storage (`web.documents`): the worker draws it
    after signing and when the next visit is booked; a sheet asked for again, unchanged,
    is read back instead of drawn again.
    """
    from mesoclinic.web.documents import document_pdf

    return document_pdf(
        organisation_id=session.organisation_id,
        patient_id=session.patient_id,
        kind=f"aftercare-{session.pk}",
        html=aftercare_html(session=session, language=language),
    )
