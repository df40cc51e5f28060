"""The recall list as documents: CSV, PDF and notification drafts in each patient's language."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from mesoclinic.accounts.locales import base_language, locale_language
from mesoclinic.core.knowledge import load_knowledge
from mesoclinic.inventory.models import Lot, StockMovement
from mesoclinic.patients.models import Patient


def zone_name(zone_id: str, language: str) -> str:
    zone = load_knowledge().zone.get(zone_id)
    return zone.name.get(language) if zone is not None else zone_id


@dataclass
class RecallPatient:
    """One patient on a recall list, with every administration of the lot they received."""

    patient: Patient
    uses: list[StockMovement] = field(default_factory=list)


def group_by_patient(movements) -> list[RecallPatient]:
    groups: dict[int, RecallPatient] = {}
    for m in movements:
        groups.setdefault(m.patient_id, RecallPatient(patient=m.patient)).uses.append(m)
    return list(groups.values())


class _Echo:
    """A file-like object whose write returns the line, so csv.writer yields text."""

    def write(self, value: str) -> str:
        return value


def recall_csv_rows(lot: Lot, movements, *, language: str) -> Iterator[str]:
    """The recall list as CSV lines: one row per administration, patient contacts included.

    The lines come from an iterator, so the view streams them while the rows are read.
    """
    # The header is translated now, in the request's language, not when the
    # server gets round to sending it.
    header = [
        _("Patient"),
        _("Date of birth"),
        _("Phone"),
        _("Email"),
        _("Language"),
        _("Administered at"),
        _("Clinic"),
        _("Zone"),
        _("Volume (mL)"),
        _("Practitioner"),
        _("Session"),
        _("Vial opened at"),
        _("Product"),
        _("Lot"),
    ]
    return _csv_lines(lot, header, movements, language=language)


def _csv_lines(lot: Lot, header: list[str], movements, *, language: str) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield writer.writerow(header)
    for m in movements:
        p = m.patient
        yield writer.writerow(
            [
                p.full_name,
                p.birth_date.isoformat(),
                p.phone,
                p.email,
                p.preferred_language,
                timezone.localtime(m.occurred_at, m.clinic.zone).strftime("%Y-%m-%d %H:%M"),
                m.clinic.name,
                zone_name(m.zone_id, language),
                str(m.volume_ml),
                str(m.practitioner),
                m.session_ref or "",
                timezone.localtime(m.vial.opened_at, m.clinic.zone).strftime("%Y-%m-%d %H:%M")
                if m.vial
                else "",
                lot.product.name,
                lot.lot_number,
            ]
        )


def recall_pdf(lot: Lot, groups: list[RecallPatient], *, language: str, now) -> bytes:
    """The recall list as a PDF (DejaVu fonts, so Cyrillic names print)."""
    from weasyprint import HTML

    html = render_to_string(
        "inventory/recall_pdf.html",
        {"lot": lot, "groups": groups, "now": now, "language": language},
    )
    return HTML(string=html).write_pdf()


@dataclass(frozen=True)
class Draft:
    patient: Patient
    language: str
    subject: str
    body: str


def recall_drafts(lot: Lot, groups: list[RecallPatient]) -> list[Draft]:
    """A notification draft per patient, written in the patient's preferred language.

    It is signed by the clinic(s) where the patient received the lot, with their
    phone and address (not the clinic of whoever reads the list), and its dates
    follow the treating clinic's formats.
    """
    drafts = []
    for group in groups:
        language = base_language(group.patient.preferred_language)
        clinics = list({m.clinic_id: m.clinic for m in group.uses}.values())
        with translation.override(
            locale_language(language=language, clinic_locale=clinics[0].locale)
        ):
            dates = sorted(
                {timezone.localtime(m.occurred_at, m.clinic.zone).date() for m in group.uses}
            )
            context = {
                "patient": group.patient,
                "lot": lot,
                "dates": ", ".join(date_format(d, "DATE_FORMAT") for d in dates),
                "zones": ", ".join(sorted({zone_name(m.zone_id, language) for m in group.uses})),
                "clinics": clinics,
            }
            subject = _("Important: a product used in your treatment has been recalled")
            body = render_to_string("inventory/recall_notice.txt", context).strip()
        drafts.append(Draft(group.patient, language, subject, body))
    return drafts
