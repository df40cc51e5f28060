"""What a clinician must see first about a patient: the alert banner, as plain data.

Pure functions over the screening engine's patient facts and the knowledge base:
allergies, an active pregnancy or breastfeeding, anticoagulants, and every absolute
contraindication the patient's own record triggers. Names come from the knowledge
base in both languages; codes never reach the reader.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from mesoclinic.core.knowledge.models import Text
from mesoclinic.core.screening import PatientFacts, age_on

AlertKind = Literal["allergy", "pregnancy", "breastfeeding", "anticoagulant", "contraindication"]

# Medication classes that thin the blood through clotting factors (the banner's
# "anticoagulants"); antiplatelet drugs and NSAIDs are left to the screening.
ANTICOAGULANT_CLASSES = ("medclass.anticoagulant", "medclass.thrombolytic")
# Banner wording for the flags; the knowledge base names the contraindications.
_PREGNANCY = Text(en="Pregnancy", ru="Беременность")
_BREASTFEEDING = Text(en="Breastfeeding", ru="Грудное вскармливание")


@dataclass(frozen=True)
class Alert:
    """One line of the banner: what it is and, where known, what triggered it."""

    kind: AlertKind
    name: Text
    items: tuple[Text, ...] = field(default=())

    def text(self, language: str) -> str:
        name = self.name.get(language)
        if not self.items:
            return name
        return f"{name}: {', '.join(i.get(language) for i in self.items)}"


def _name(kb, code: str) -> Text:
    try:
        entry = kb.get(code)
    except KeyError:
        return Text(en=code, ru=code)
    name = getattr(entry, "name", None)
    return name if name is not None else Text(en=code, ru=code)


def _free(label: str) -> Text:
    return Text(en=label, ru=label)


def patient_alerts(
    *,
    kb,
    facts: PatientFacts,
    today: date,
    uncoded_allergies: Sequence[str] = (),
) -> list[Alert]:
    """The banner's alerts for a patient, most serious kinds first.

    `uncoded_allergies` are allergies recorded as free text (not yet coded): they are
    shown as written, since an allergy must never be hidden for want of a code.
    """
    alerts: list[Alert] = []
    for ci in kb.contraindication.values():
        if ci.kind != "absolute":
            continue
        items: list[Text] = []
        fired = False
        for trig in ci.triggers:
            if trig.kind == "condition":
                hits = [c for c in facts.conditions if c in trig.codes]
                items += [_name(kb, c) for c in hits]
                fired = fired or bool(hits)
            elif trig.kind == "device":
                hits = [
                    d
                    for d in facts.implanted_devices
                    if d in kb.device and kb.device[d].category in trig.categories
                ]
                items += [_name(kb, d) for d in hits]
                fired = fired or bool(hits)
            elif trig.kind == "age-below" and trig.param in ci.params:
                fired = fired or age_on(facts.birth_date, today) < ci.params[trig.param]
        if fired:
            alerts.append(Alert("contraindication", ci.name, tuple(dict.fromkeys(items))))
    if facts.pregnant:
        alerts.append(Alert("pregnancy", _PREGNANCY))
    if facts.breastfeeding:
        alerts.append(Alert("breastfeeding", _BREASTFEEDING))
    anticoagulants = [
        Text(en=m.name, ru=m.name) if m.name else _name(kb, cls)
        for m in facts.medications
        if m.active
        for cls in m.classes[:1]
        if any(c in ANTICOAGULANT_CLASSES for c in m.classes)
    ]
    if anticoagulants:
        alerts.append(
            Alert(
                "anticoagulant",
                Text(en="Anticoagulants", ru="Антикоагулянты"),
                tuple(dict.fromkeys(anticoagulants)),
            )
        )
    allergies = [_name(kb, a) for a in facts.allergies]
    allergies += [_free(label) for label in uncoded_allergies if label.strip()]
    if allergies:
        alerts.append(
            Alert("allergy", Text(en="Allergies", ru="Аллергии"), tuple(dict.fromkeys(allergies)))
        )
    return alerts
