"""The informed-consent text of a plan, built from the knowledge base in the patient's language.

The text is plain: lines starting with "## " are section headings, "- " list
items. It is stored exactly as signed and hashed (SHA-256); the page and the PDF
are rendered from the stored text, never regenerated.
"""

from __future__ import annotations

import datetime as dt
import hashlib

from django.utils import formats, translation
from django.utils.translation import gettext as _

from mesoclinic.accounts.locales import locale_language
from mesoclinic.consultations.engine import kb, plan_ingredients
from mesoclinic.core.aftercare import aftercare_for
from mesoclinic.core.screening import age_on


def _applies(
    applies, *, zones: set, regions: set, kinds: set, ingredients: set, techniques: set
) -> bool:
    if applies.zones and not zones & set(applies.zones):
        return False
    if applies.regions and not regions & set(applies.regions):
        return False
    if applies.technique_kinds and not kinds & set(applies.technique_kinds):
        return False
    if applies.techniques and not techniques & set(applies.techniques):
        return False
    return not (applies.ingredients and not ingredients & set(applies.ingredients))


def consent_text(
    *,
    plan,
    patient,
    clinic_name: str,
    practitioner_name: str,
    today: dt.date,
    clinic_locale: str = "",
) -> str:
    """The full consent text for `plan`, in the patient's preferred language.

    Dates are written in the clinic's format (`clinic_locale`: en-gb, en-us, ru).
    """
    base = kb()
    lang = "ru" if patient.preferred_language == "ru" else "en"
    zones = list(plan.zones)
    techniques = list(plan.technique_ids)
    doses = plan.product_doses
    ingredients = set(plan_ingredients(doses))
    ctx = {
        "zones": set(zones),
        "regions": {base.zone[z].region for z in zones},
        "kinds": {base.technique[t].kind for t in techniques},
        "ingredients": ingredients,
        "techniques": set(techniques),
    }
    lines: list[str] = []
    with translation.override(locale_language(language=lang, clinic_locale=clinic_locale)):
        lines.append(_("INFORMED CONSENT TO MESOTHERAPY"))
        lines.append("")
        lines.append(
            _("Patient: %(name)s, born %(born)s")
            % {
                "name": patient.full_name,
                "born": formats.date_format(patient.birth_date, "SHORT_DATE_FORMAT"),
            }
        )
        lines.append(_("Clinic: %(clinic)s") % {"clinic": clinic_name})
        lines.append(_("Practitioner: %(name)s") % {"name": practitioner_name})
        signed_on = formats.date_format(today, "SHORT_DATE_FORMAT")
        lines.append(_("Date: %(date)s") % {"date": signed_on})
        lines.append("")
        lines.append("## " + _("1. The procedure"))
        if plan.protocol_id and plan.protocol_id in base.protocol:
            lines.append(base.protocol[plan.protocol_id].name.get(lang))
        lines.append(
            _("Zones: %(zones)s") % {"zones": ", ".join(base.zone[z].name.get(lang) for z in zones)}
        )
        for t in techniques:
            tech = base.technique[t]
            lines.append(f"- {tech.name.get(lang)}: {tech.description.get(lang)}")
        for pid, dose in doses.items():
            lines.append(
                "- "
                + _("%(product)s, %(dose)s mL per session")
                % {"product": base.product[pid].name.get(lang), "dose": f"{dose:g}"}
            )
        lines.append(
            _("Course: %(n)s sessions, %(min)s to %(max)s days apart.")
            % {"n": plan.sessions, "min": plan.interval_min_days, "max": plan.interval_max_days}
        )
        lines.append("")
        lines.append("## " + _("2. Expected effects and their limits"))
        if plan.protocol_id and plan.protocol_id in base.protocol:
            lines.append(base.protocol[plan.protocol_id].evidence_note.get(lang))
        age = age_on(patient.birth_date, today)
        for group in base.age_group.values():
            if group.min_age <= age <= group.max_age:
                lines.append(group.text.get(lang))
        lines.append(
            _(
                "Results differ from person to person and are not guaranteed; a course may "
                "need to be repeated to keep its effect."
            )
        )
        lines.append("")
        lines.append("## " + _("3. Possible side effects"))
        for se in base.side_effect.values():
            if _applies(se.applies_to, **ctx):
                lines.append(f"- {se.name.get(lang)}: {se.text.get(lang)}")
        lines.append("")
        lines.append("## " + _("4. I confirm that I do not have any of the following"))
        for ci in base.consent_contraindications():
            if _applies(ci.applies_to, **ctx):
                lines.append(f"- {ci.name.get(lang)}")
        lines.append("")
        lines.append("## " + _("5. Aftercare"))
        for item in aftercare_for(
            kb=base, zones=zones, techniques=techniques, language=lang, ingredients=ingredients
        ):
            lines.append(f"- {item.text}")
        lines.append("")
        lines.append("## " + _("6. Consent"))
        lines.append(
            _(
                "I have read this information, have been able to ask questions and have had "
                "them answered. I have told the practitioner about my health, medications and "
                "allergies truthfully. I consent to the course described above and know that I "
                "may withdraw my consent at any time."
            )
        )
    return "\n".join(lines).strip() + "\n"


def text_sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def text_blocks(text: str) -> list[dict]:
    """The stored text as blocks for templates: headings, paragraphs, lists."""
    blocks: list[dict] = []
    for line in text.splitlines():
        if line.startswith("## "):
            blocks.append({"type": "h", "text": line[3:]})
        elif line.startswith("- "):
            if not blocks or blocks[-1]["type"] != "ul":
                blocks.append({"type": "ul", "items": []})
            blocks[-1]["items"].append(line[2:])
        elif line.strip():
            blocks.append({"type": "p", "text": line})
    return blocks


def plan_consent_text(plan, *, today: dt.date) -> str:
    """The consent text of `plan` as its own clinic and practitioner give it: the one text
    every consent page shows and `consent_sign` stores, so what is read is what is signed."""
    from mesoclinic.accounts.models import Clinic, User

    clinic = Clinic.objects.get(pk=plan.clinic_id)
    return consent_text(
        plan=plan,
        patient=plan.patient,
        clinic_name=clinic.name,
        practitioner_name=str(User.objects.get(pk=plan.practitioner_id)),
        today=today,
        clinic_locale=clinic.locale,
    )
