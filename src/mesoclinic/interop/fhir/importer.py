"""Reading a FHIR R4 Bundle from another system: demographics and the facts it reports.

Pure reading, no writes: `bundle_read` validates the whole bundle with fhir.resources
and returns plain values, or raises BundleRefused with the validation error.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

from mesoclinic.interop.fhir import codes


class BundleRefused(ValueError):
    """The bundle is not valid FHIR R4 or does not hold one patient; nothing was imported."""


@dataclass
class Demographics:
    family_name: str
    given_name: str
    middle_name: str
    birth_date: dt.date
    sex: str
    phone: str = ""
    email: str = ""
    preferred_language: str = ""


@dataclass
class ReportedFact:
    kind: str  # condition, allergy or medication (patients.FactKind)
    code: str  # a knowledge-base code, or '' when the bundle's codes are not ours
    label: str
    on_date: dt.date | None = None


@dataclass
class BundleContent:
    demographics: Demographics
    facts: list[ReportedFact] = field(default_factory=list)
    source: str = ""


def _validation_message(exc: Exception) -> str:
    errors = getattr(exc, "errors", None)
    if callable(errors):
        lines = []
        for error in errors()[:10]:
            where = ".".join(str(p) for p in error.get("loc", ()))
            lines.append(f"{where}: {error.get('msg', 'invalid')}" if where else error["msg"])
        return "; ".join(lines)
    return str(exc)


def _text(concept: dict[str, Any] | None, *, codes_too: bool = True) -> str:
    """The concept's text or display; with `codes_too`, else "system code" as a last resort."""
    if not concept:
        return ""
    if concept.get("text"):
        return concept["text"]
    for c in concept.get("coding") or []:
        if c.get("display"):
            return c["display"]
    for c in concept.get("coding") or [] if codes_too else []:
        if c.get("code"):
            return f"{c.get('system', '')} {c['code']}".strip()
    return ""


def _date(value: str | None) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError:
        return None


KIND_OF = {
    "Condition": ("condition", "code"),
    "AllergyIntolerance": ("allergy", "code"),
    "MedicationStatement": ("medication", "medicationCodeableConcept"),
}
# Codes of a kind must come from these knowledge-base tables (patients.services.CODE_TABLES).
PREFIXES = {
    "condition": ("condition.",),
    "allergy": ("ingredient.", "allergen."),
    "medication": ("medclass.",),
}


def bundle_read(data: str | bytes | dict, *, kb) -> BundleContent:
    """The demographics and reported facts of a Bundle; BundleRefused if it is not valid."""
    from fhir.resources.R4B.bundle import Bundle

    if isinstance(data, bytes | str):
        try:
            data = json.loads(data)
        except (ValueError, UnicodeDecodeError) as exc:
            raise BundleRefused(f"not JSON: {exc}") from exc
    if not isinstance(data, dict) or data.get("resourceType") != "Bundle":
        raise BundleRefused("not a FHIR Bundle (resourceType must be 'Bundle')")
    try:
        Bundle.model_validate(data)
    except ValueError as exc:
        raise BundleRefused(f"not valid FHIR R4: {_validation_message(exc)}") from exc
    resources = [e.get("resource") or {} for e in data.get("entry") or []]
    patients = [r for r in resources if r.get("resourceType") == "Patient"]
    if len(patients) != 1:
        raise BundleRefused(f"the bundle must hold exactly one Patient; it holds {len(patients)}")
    demographics = _demographics(patients[0])
    patient_refs = {f"Patient/{patients[0].get('id')}", f"urn:uuid:{patients[0].get('id')}"}
    facts = []
    for resource in resources:
        kind_field = KIND_OF.get(resource.get("resourceType"))
        if kind_field is None:
            continue
        kind, concept_field = kind_field
        subject = resource.get("patient") or resource.get("subject") or {}
        if subject.get("reference") and subject["reference"] not in patient_refs:
            raise BundleRefused(
                f"{resource['resourceType']}/{resource.get('id')} is about another patient"
            )
        if _inactive(resource):
            continue
        concept = resource.get(concept_field)
        code = codes.code_from(concept, kb)
        medicine_name = ""
        if code and not code.startswith(PREFIXES[kind]):
            # A medicine (ATC) is recorded under its class, its name kept as the label.
            medicine = kind == "medication" and code.startswith("medicine.")
            medicine_name = codes.kb_name(kb, code) if medicine else ""
            code = _class_of(kb, code) if medicine else ""
        # A coded fact needs no text (the knowledge base names it); an uncoded one keeps
        # whatever identifies it, its foreign code included, for the clinician to read.
        label = _text(concept, codes_too=not code) or medicine_name
        if not (code or label):
            raise BundleRefused(
                f"{resource['resourceType']}/{resource.get('id')} names nothing (no code, no text)"
            )
        on_date = _date(resource.get("effectiveDateTime") or resource.get("onsetDateTime"))
        facts.append(ReportedFact(kind=kind, code=code, label=label[:300], on_date=on_date))
    meta = data.get("meta") or {}
    return BundleContent(demographics=demographics, facts=facts, source=meta.get("source", ""))


def _class_of(kb, medicine_id: str) -> str:
    classes = getattr(kb.medicine.get(medicine_id), "classes", ())
    return classes[0] if classes else ""


def _inactive(resource: dict[str, Any]) -> bool:
    status = resource.get("clinicalStatus") or {}
    inactive = {"inactive", "resolved", "remission"}
    if any(c.get("code") in inactive for c in status.get("coding") or []):
        return True
    verification = resource.get("verificationStatus") or {}
    refuted = {"refuted", "entered-in-error"}
    if any(c.get("code") in refuted for c in verification.get("coding") or []):
        return True
    return resource.get("status") in ("entered-in-error", "stopped", "not-taken")


def _demographics(patient: dict[str, Any]) -> Demographics:
    names = patient.get("name") or []
    name = next((n for n in names if n.get("use") in (None, "official", "usual")), None)
    if name is None or not name.get("family") or not name.get("given"):
        raise BundleRefused("the Patient has no family and given name")
    birth = _date(patient.get("birthDate"))
    if birth is None:
        raise BundleRefused("the Patient has no date of birth")
    given = name.get("given") or []
    telecom = patient.get("telecom") or []
    language = ""
    for comm in patient.get("communication") or []:
        for c in (comm.get("language") or {}).get("coding") or []:
            if (c.get("code") or "")[:2] in ("en", "ru"):
                language = c["code"][:2]
    return Demographics(
        family_name=name["family"],
        given_name=given[0],
        middle_name=" ".join(given[1:]),
        birth_date=birth,
        sex=patient.get("gender") or "unknown",
        phone=next((t.get("value", "") for t in telecom if t.get("system") == "phone"), ""),
        email=next((t.get("value", "") for t in telecom if t.get("system") == "email"), ""),
        preferred_language=language,
    )
