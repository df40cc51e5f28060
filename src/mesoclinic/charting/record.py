"""The signed session record as a PDF: chart, placed points on their pictures, signature.

The diagrams are drawn as SVG with the points; a photograph's processed image is
read from storage and embedded in the document (WeasyPrint never fetches a URL).
"""

from __future__ import annotations

from django.template.loader import render_to_string
from django.utils import timezone, translation

from mesoclinic.accounts.locales import base_language
from mesoclinic.charting.models import TreatmentSession
from mesoclinic.charting.pictures import chart_pictures
from mesoclinic.consultations.engine import kb as knowledge


def session_record_html(*, session: TreatmentSession, language: str) -> str:
    """The signed record as HTML in `language` ("en" or "ru").

    The one rendering both the download and the background drawing use: its hash
    names the stored PDF (`web.documents`), so an addendum makes a new one.
    """
    lang = base_language(language)
    kb = knowledge()
    entries = list(
        session.entries.select_related("lot__product", "device").prefetch_related(
            "sites__lot", "sites__photo"
        )
    )
    # Its times are the clinic's, whoever asks and wherever: the same HTML, the same file.
    with translation.override(lang), timezone.override(session.clinic.zone):
        pictures, numbered = chart_pictures(
            entries=entries,
            zone_names={z: e.name.get(lang) for z, e in kb.zone.items()},
            embed=True,
        )
        return render_to_string(
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


def session_record_pdf(*, session: TreatmentSession, language: str) -> bytes:
    """Render the signed record in `language` ("en" or "ru"; DejaVu fonts carry Cyrillic).

    Drawn once per content (by the worker after signing, or at the first download)
    and then read from storage (`web.documents`).
    """
    from mesoclinic.web.documents import document_pdf

    return document_pdf(
        organisation_id=session.organisation_id,
        patient_id=session.patient_id,
        kind=f"record-{session.pk}",
        html=session_record_html(session=session, language=language),
    )
