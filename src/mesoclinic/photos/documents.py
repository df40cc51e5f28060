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


def photo_consent_pdf(*, consent: PhotoConsent, base_url: str | None = None) -> bytes:
    """Render the signed photo consent (WeasyPrint; DejaVu fonts carry Cyrillic)."""
    from weasyprint import HTML

    clinic = consent.clinic
    with translation.override(
        locale_language(language=consent.language, clinic_locale=clinic.locale)
    ):
        html = render_to_string(
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
    return HTML(string=html, base_url=base_url).write_pdf()
