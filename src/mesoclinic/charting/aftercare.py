"""The aftercare sheet of a signed session as a PDF, in the patient's language."""

from __future__ import annotations

from django.template.loader import render_to_string
from django.utils import translation

from mesoclinic.charting.models import TreatmentSession
from mesoclinic.charting.selectors import aftercare_items
from mesoclinic.consultations.engine import kb as knowledge


def aftercare_context(*, session: TreatmentSession, language: str) -> dict:
    kb = knowledge()
    lang = "ru" if language.startswith("ru") else "en"
    entries = list(session.entries.all())
    return {
        "session": session,
        "language": lang,
        "items": aftercare_items(session=session, language=lang),
        "zones": [kb.zone[z].name.get(lang) for z in dict.fromkeys(e.zone_id for e in entries)],
        "techniques": [
            kb.technique[t].name.get(lang) for t in dict.fromkeys(e.technique_id for e in entries)
        ],
    }


def aftercare_pdf(*, session: TreatmentSession, language: str) -> bytes:
    """Render the aftercare sheet (WeasyPrint; DejaVu fonts carry Cyrillic)."""
    from weasyprint import HTML

    context = aftercare_context(session=session, language=language)
    with translation.override(context["language"]):
        html = render_to_string("charting/aftercare_pdf.html", context)
    return HTML(string=html).write_pdf()
