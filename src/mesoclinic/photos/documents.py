"""The signed photo consent as a PDF, made like the treatment consent's
(`consultations.documents`): the stored text, the use chosen, the signature, the
signing time in the consent's clinic zone (named) and in UTC, in the consent's language.
"""

from __future__ import annotations

from django.template.loader import render_to_string
from django.utils import translation

from mesoclinic.accounts.locales import locale_language
from mesoclinic.consultations.consent import text_blocks
from mesoclinic.consultations.documents import utc_time, zoned_time
from mesoclinic.photos.models import PhotoConsent


def photo_consent_html(*, consent: PhotoConsent) -> str:
    """The signed photo consent's document as HTML (with its withdrawal, if withdrawn).

    The one rendering both the download and the background drawing use: its hash
    names the stored PDF (`web.documents`).
    """
    clinic = consent.clinic
    with translation.override(
        locale_language(language=consent.language, clinic_locale=clinic.locale)
    ):
        return render_to_string(
            "photos/photo_consent_pdf.html",
            {
                "consent": consent,
                "clinic": clinic,
                "use": consent.get_scope_display(),
                "blocks": text_blocks(consent.text),
                "signed_local": zoned_time(consent.signed_at, clinic),
                "signed_utc": utc_time(consent.signed_at),
                "withdrawn_local": zoned_time(consent.withdrawn_at, clinic)
                if consent.withdrawn_at
                else "",
            },
        )


def photo_consent_pdf(*, consent: PhotoConsent, base_url: str | None = None) -> bytes:
    """Render the signed photo consent (WeasyPrint; DejaVu fonts carry Cyrillic).

    Drawn once per content (after signing and after a withdrawal, by the worker or at
    the first download) and then read from storage (`web.documents`).
    """
    from mesoclinic.web.documents import document_pdf

    return document_pdf(
        organisation_id=consent.organisation_id,
        patient_id=consent.patient_id,
        kind=f"photo-consent-{consent.pk}",
        html=photo_consent_html(consent=consent),
        base_url=base_url,
    )
