"""The text of the photo consent, in the patient's language, for the scope chosen.

Stored exactly as signed and hashed, like the treatment consent; rendered with
`consultations.consent.text_blocks`.
"""

from __future__ import annotations

import datetime as dt

from django.utils import formats, translation
from django.utils.translation import gettext as _

from mesoclinic.accounts.locales import locale_language
from mesoclinic.photos.models import PhotoConsentScope


def photo_consent_text(
    *, patient, scope: str, clinic_name: str, today: dt.date, clinic_locale: str = ""
) -> str:
    """The full photo-consent text for `scope`, in the patient's preferred language."""
    lang = "ru" if patient.preferred_language == "ru" else "en"
    lines: list[str] = []
    with translation.override(locale_language(language=lang, clinic_locale=clinic_locale)):
        lines.append(_("CONSENT TO CLINICAL PHOTOGRAPHS"))
        lines.append("")
        lines.append(
            _("Patient: %(name)s, born %(born)s")
            % {
                "name": patient.full_name,
                "born": formats.date_format(patient.birth_date, "SHORT_DATE_FORMAT"),
            }
        )
        lines.append(_("Clinic: %(clinic)s") % {"clinic": clinic_name})
        lines.append(
            _("Date: %(date)s") % {"date": formats.date_format(today, "SHORT_DATE_FORMAT")}
        )
        lines.append("")
        lines.append("## " + _("1. What is photographed"))
        lines.append(
            _(
                "Photographs of the treated areas before, during and after the course, taken "
                "from standard angles, so that the result can be judged and compared."
            )
        )
        lines.append("")
        lines.append("## " + _("2. How the photographs may be used"))
        lines.append(
            "- " + _("In my medical record, seen only by the clinic's staff caring for me.")
        )
        if scope in (PhotoConsentScope.EDUCATION, PhotoConsentScope.MARKETING):
            lines.append(
                "- "
                + _(
                    "For the professional education of doctors and nurses, without my name "
                    "and with my eyes covered where the face is shown."
                )
            )
        if scope == PhotoConsentScope.MARKETING:
            lines.append(
                "- "
                + _(
                    "In the clinic's publicity (website, social media, printed material), "
                    "without my name."
                )
            )
        if scope == PhotoConsentScope.RECORD:
            lines.append(_("They will not be used for anything else."))
        lines.append("")
        lines.append("## " + _("3. Storage and withdrawal"))
        lines.append(
            _(
                "The photographs are kept with my medical record, stripped of location data, "
                "and shown only through the clinic's system. I may withdraw this consent at "
                "any time: no new photographs will then be taken and the existing ones will "
                "be hidden from the staff and kept only as the law on medical records requires."
            )
        )
        lines.append("")
        lines.append("## " + _("4. Consent"))
        lines.append(
            _(
                "I have read this information and agree to clinical photographs being taken "
                "and used as described above."
            )
        )
    return "\n".join(lines).strip() + "\n"
