"""The signed consent as a PDF: the stored text, the signature, the clinic's contact.

The signing time is printed in the clinic's time zone with the zone named, and
in UTC, in the consent's language with the clinic's date formats.
"""

from __future__ import annotations

import datetime as dt

from django.template.loader import render_to_string
from django.utils import formats, translation

from mesoclinic.accounts.locales import locale_language
from mesoclinic.accounts.models import Clinic
from mesoclinic.consultations.consent import text_blocks
from mesoclinic.consultations.models import Consent


def zoned_time(moment: dt.datetime, clinic: Clinic) -> str:
    """`moment` in the clinic's zone, the zone named: "01/12/2026 00:25 (Europe/Moscow, UTC+03:00)".

    Formats come from the active language (call inside translation.override).
    """
    local = moment.astimezone(clinic.zone)
    offset = local.strftime("%z")
    offset = f"UTC{offset[:3]}:{offset[3:]}" if offset else "UTC"
    when = formats.date_format(local, "SHORT_DATETIME_FORMAT")
    return f"{when} ({clinic.time_zone}, {offset})"


def utc_time(moment: dt.datetime) -> str:
    """`moment` in UTC, labelled: "30/11/2026 21:25 UTC"."""
    return formats.date_format(moment.astimezone(dt.UTC), "SHORT_DATETIME_FORMAT") + " UTC"


def consent_html(*, consent: Consent) -> str:
    """The signed consent's document as HTML, in the consent's language.

    The one rendering both the download and the background drawing use: its hash
    names the stored PDF (`web.documents`).
    """
    clinic = Clinic.objects.get(pk=consent.plan.clinic_id)
    with translation.override(
        locale_language(language=consent.language, clinic_locale=clinic.locale)
    ):
        return render_to_string(
            "consultations/consent_pdf.html",
            {
                "consent": consent,
                "clinic": clinic,
                "blocks": text_blocks(consent.text),
                "signed_local": zoned_time(consent.signed_at, clinic),
                "signed_utc": utc_time(consent.signed_at),
            },
        )


def consent_pdf(*, consent: Consent, base_url: str | None = None) -> bytes:
    """Render the signed consent (WeasyPrint; DejaVu fonts carry Cyrillic).

    A signed consent never changes: it is drawn once (by the worker after signing, or
    at the first download) and then read from storage (`web.documents`).
    """
    from mesoclinic.web.documents import document_pdf

    return document_pdf(
        organisation_id=consent.organisation_id,
        patient_id=consent.patient_id,
        kind=f"consent-{consent.pk}",
        html=consent_html(consent=consent),
        base_url=base_url,
    )
