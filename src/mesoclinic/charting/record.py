"""The signed session record as a PDF: chart, placed points on their pictures, signature.

The diagrams are drawn as SVG with the points; a photograph's processed image is
read from storage and embedded in the document (WeasyPrint never fetches a URL).
"""

from __future__ import annotations

from django.template.loader import render_to_string
from django.utils import translation

from mesoclinic.charting.models import TreatmentSession
from mesoclinic.charting.pictures import chart_pictures
from mesoclinic.consultations.engine import kb as knowledge


def session_record_pdf(*, session: TreatmentSession, language: str) -> bytes:
    """Render the signed record in `language` ("en" or "ru"; DejaVu fonts carry Cyrillic)."""
    from weasyprint import HTML

    lang = "ru" if language.startswith("ru") else "en"
    kb = knowledge()
    entries = list(
        session.entries.select_related("lot__product", "device").prefetch_related(
            "sites__lot", "sites__photo"
        )
    )
    with translation.override(lang):
        pictures, numbered = chart_pictures(
            entries=entries,
            zone_names={z: e.name.get(lang) for z, e in kb.zone.items()},
            embed=True,
        )
        html = render_to_string(
            "charting/record_pdf.html",
            {
                "session": session,
                "patient": session.patient,
                "entries": entries,
                "pictures": pictures,
                "numbered": numbered,
                "language": lang,
                "addenda": session.addenda.select_related("author"),
            },
        )
    return HTML(string=html).write_pdf()
