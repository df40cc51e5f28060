"""Code systems of the FHIR export: standard ones where the knowledge base has their codes
(ICD-10, ATC), Mesoclinic's own otherwise. The URIs are stable: never change one."""

from __future__ import annotations

import contextlib
from typing import Any

ICD10 = "http://hl7.org/fhir/sid/icd-10"
ATC = "http://www.whocc.no/atc"
BASE = "https://mesoclinic.org/fhir"


def own(name: str) -> str:
    """The URI of one of Mesoclinic's own code systems (documented in docs/fhir.md)."""
    return f"{BASE}/CodeSystem/{name}"


ZONE = own("zone")
TECHNIQUE = own("technique")
CONDITION = own("condition")
ALLERGEN = own("allergen")
MEDICATION_CLASS = own("medication-class")
MEDICINE = own("medicine")
PRODUCT = own("product")
SIDE_EFFECT = own("side-effect")
PROCEDURE = own("procedure")
CONSENT_POLICY = own("consent-policy")
CONSENT_CATEGORY = own("consent-category")
PHOTO_VIEW = own("photo-view")
OUTCOME_SCALES = own("outcome-scales")
OUTCOME_COMPONENT = own("outcome-component")
TECHNIQUE_EXTENSION = f"{BASE}/StructureDefinition/technique"
INJECTION_POINT_EXTENSION = f"{BASE}/StructureDefinition/injection-point"
LOT_IDENTIFIER = f"{BASE}/sid/lot"
PRODUCT_IDENTIFIER = f"{BASE}/sid/product"

# The knowledge-base table of a code's prefix -> its code system.
SYSTEM_OF_PREFIX = {
    "zone.": ZONE,
    "technique.": TECHNIQUE,
    "condition.": CONDITION,
    "ingredient.": ALLERGEN,
    "allergen.": ALLERGEN,
    "medclass.": MEDICATION_CLASS,
    "medicine.": MEDICINE,
    "product.": PRODUCT,
    "se.": SIDE_EFFECT,
    "procedure.": PROCEDURE,
    "view.": PHOTO_VIEW,
}
MESOTHERAPY = "procedure.mesotherapy-session"


def system_of(code: str) -> str | None:
    for prefix, system in SYSTEM_OF_PREFIX.items():
        if code.startswith(prefix):
            return system
    return None


def coding(system: str, code: str, display: str = "") -> dict[str, Any]:
    out = {"system": system, "code": code}
    if display:
        out["display"] = display
    return out


def kb_name(kb, code: str, language: str = "en") -> str:
    """The knowledge-base name of `code` in `language`, or '' if it has none."""
    try:
        entry = kb.get(code)
    except KeyError:
        return ""
    name = getattr(entry, "name", None)
    return getattr(name, language, "") if name is not None else ""


def concept(kb, code: str, label: str = "", *, language: str = "en") -> dict[str, Any]:
    """A CodeableConcept for a knowledge-base code (with ICD-10/ATC where the knowledge base
    has them), or free text when there is no code."""
    codings: list[dict[str, Any]] = []
    if code:
        entry = None
        with contextlib.suppress(KeyError):
            entry = kb.get(code)
        for icd in getattr(entry, "icd10", ()) or ():
            codings.append(coding(ICD10, icd))
        for atc in getattr(entry, "atc", ()) or ():
            codings.append(coding(ATC, atc))
        system = system_of(code)
        if system:
            codings.append(coding(system, code, kb_name(kb, code, language)))
    out: dict[str, Any] = {}
    if codings:
        out["coding"] = codings
    text = label or (kb_name(kb, code, language) if code else "")
    if text:
        out["text"] = text
    return out


def code_from(concept_: dict[str, Any] | None, kb) -> str:
    """The knowledge-base code a CodeableConcept carries, directly or through ICD-10/ATC."""
    for c in (concept_ or {}).get("coding", []) or []:
        system, code = c.get("system"), c.get("code") or ""
        if system in SYSTEM_OF_PREFIX.values() and kb.table_of(code):
            try:
                kb.get(code)
                return code
            except KeyError:
                continue
    for c in (concept_ or {}).get("coding", []) or []:
        system, code = c.get("system"), c.get("code") or ""
        if system == ICD10:
            for cid, entry in kb.tables["condition"].items():
                if code in entry.icd10:
                    return cid
        if system == ATC:
            for mid, entry in kb.tables["medicine"].items():
                if code in entry.atc:
                    return mid
    return ""
