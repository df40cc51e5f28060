"""Writes to patient records: scoped, transactional, audited."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from mesoclinic.accounts.models import Clinic
from mesoclinic.accounts.scope import Scope
from mesoclinic.audit.models import AuditAction
from mesoclinic.audit.services import audit_record
from mesoclinic.core.knowledge import load_knowledge
from mesoclinic.core.knowledge.lexicon import conditions_find, medicines_find
from mesoclinic.patients import search
from mesoclinic.patients.models import FactKind, HistoryFact, Patient, PatientSearchToken
from mesoclinic.web.text import name_clean

DEMOGRAPHIC_FIELDS = (
    "family_name",
    "given_name",
    "middle_name",
    "birth_date",
    "sex",
    "phone",
    "email",
    "preferred_language",
    "fitzpatrick",
    "weight_kg",
    "weight_date",
    "data_consent",
)


class DuplicatePatientError(ValidationError):
    """A patient with the same name and date of birth exists; `existing` lists them."""

    def __init__(self, existing: list[Patient]):
        super().__init__(
            _(
                "A patient with this name and date of birth is already registered. "
                "Open the existing record, or confirm that this is a different person."
            ),
            code="duplicate",
        )
        self.existing = existing


def _search_keys_refresh(patient: Patient) -> None:
    patient.name_key = search.name_key(patient.family_name, patient.given_name)
    patient.phone_digits = search.phone_digits(patient.phone)
    patient.sort_key = search.sort_key(
        patient.family_name, patient.given_name, patient.middle_name, patient.birth_date
    )


def _tokens_refresh(patient: Patient) -> None:
    wanted = search.tokens_for(
        family_name=patient.family_name,
        given_name=patient.given_name,
        middle_name=patient.middle_name,
        phone=patient.phone,
        email=patient.email,
    )
    have = set(patient.search_tokens.values_list("token", flat=True))
    patient.search_tokens.filter(token__in=have - wanted).delete()
    patient.search_tokens.exclude(sort_key=patient.sort_key).update(sort_key=patient.sort_key)
    PatientSearchToken.objects.bulk_create(
        PatientSearchToken(
            organisation_id=patient.organisation_id,
            patient=patient,
            token=t,
            sort_key=patient.sort_key,
        )
        for t in sorted(wanted - have)
    )


def patient_search_refresh(*, patient: Patient) -> None:
    """Rebuild the patient's search keys and tokens from the fields as they are now and
    save the keys: for code that changes a patient's name or contact details outside
    `patient_update` (the erasure and anonymisation of interop.services). Runs in the
    caller's transaction; audit the change there."""
    _search_keys_refresh(patient)
    patient.save(update_fields=["name_key", "phone_digits", "sort_key"])
    _tokens_refresh(patient)


def _check_birth_date(birth_date: dt.date, today: dt.date) -> None:
    if birth_date > today:
        raise ValidationError({"birth_date": _("The date of birth cannot be in the future.")})
    if birth_date < today.replace(year=today.year - 130):
        raise ValidationError(
            {"birth_date": _("Check the date of birth: it is over 130 years ago.")}
        )


def patient_duplicates(
    *,
    scope: Scope,
    family_name: str,
    given_name: str,
    birth_date: dt.date,
    exclude_id: int | None = None,
) -> list[Patient]:
    """Patients of the organisation with the same folded name and date of birth."""
    qs = Patient.objects.filter(
        organisation_id=scope.organisation_id,
        birth_date=birth_date,
        name_key=search.name_key(family_name, given_name),
    )
    if exclude_id is not None:
        qs = qs.exclude(pk=exclude_id)
    return list(qs)


def _check_weight(weight_kg, weight_date: dt.date | None, today: dt.date) -> None:
    if weight_kg is None:
        return
    if not 0 < weight_kg <= 400:
        raise ValidationError({"weight_kg": _("Give the body weight in kg (more than 0).")})
    if weight_date is None:
        raise ValidationError({"weight_date": _("Give the day the patient was weighed.")})
    if weight_date > today:
        raise ValidationError({"weight_date": _("This date is in the future.")})


NAME_FIELDS = ("family_name", "given_name", "middle_name")


def _names_clean(**names: str) -> tuple[str, ...]:
    """The names in NFC; ValidationError naming every field with invisible characters."""
    cleaned, errors = [], {}
    for field, value in names.items():
        try:
            cleaned.append(name_clean(value, field=field))
        except ValidationError as exc:
            errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    return tuple(cleaned)


@transaction.atomic
def patient_create(
    *,
    scope: Scope,
    family_name: str,
    given_name: str,
    birth_date: dt.date,
    today: dt.date,
    middle_name: str = "",
    sex: str = "unknown",
    phone: str = "",
    email: str = "",
    preferred_language: str = "",
    fitzpatrick: int | None = None,
    weight_kg=None,
    weight_date: dt.date | None = None,
    data_consent: bool = False,
    allow_duplicate: bool = False,
    request=None,
) -> Patient:
    """Register a patient in the scope's organisation and home clinic.

    The preferred language defaults to the home clinic's. Consent to data
    processing is stored with its time and the privacy notice version
    (settings.PRIVACY_NOTICE_VERSION).

    Raises DuplicatePatientError if a patient with the same name (in any script)
    and date of birth exists, unless `allow_duplicate` confirms a different person.
    """
    scope.require("patients.edit_demographics")
    _check_birth_date(birth_date, today)
    _check_weight(weight_kg, weight_date, today)
    family_name, given_name, middle_name = _names_clean(
        family_name=family_name, given_name=given_name, middle_name=middle_name
    )
    patient = Patient(
        organisation_id=scope.organisation_id,
        home_clinic_id=scope.clinic_id,
        family_name=family_name,
        given_name=given_name,
        middle_name=middle_name,
        birth_date=birth_date,
        sex=sex,
        phone=phone.strip(),
        email=email.strip(),
        preferred_language=preferred_language or _clinic_language(scope),
        fitzpatrick=fitzpatrick,
        weight_kg=weight_kg,
        weight_date=weight_date,
        data_consent=data_consent,
    )
    _data_consent_stamp(patient)
    _search_keys_refresh(patient)
    patient.full_clean()
    if not allow_duplicate:
        existing = patient_duplicates(
            scope=scope, family_name=family_name, given_name=given_name, birth_date=birth_date
        )
        if existing:
            raise DuplicatePatientError(existing)
    patient.save()
    _tokens_refresh(patient)
    audit_record(action=AuditAction.CREATE, request=request, scope=scope, obj=patient)
    return patient


def _clinic_language(scope: Scope) -> str:
    """The language of the scope's clinic: a new patient's default."""
    clinic = Clinic.objects.filter(pk=scope.clinic_id).first() if scope.clinic_id else None
    return clinic.language if clinic is not None else settings.LANGUAGE_CODE


def _data_consent_stamp(patient: Patient) -> None:
    """Record when consent to data processing was given, and to which privacy notice."""
    if patient.data_consent and patient.data_consent_at is None:
        patient.data_consent_at = timezone.now()
        patient.data_consent_notice = settings.PRIVACY_NOTICE_VERSION
    elif not patient.data_consent:
        patient.data_consent_at = None
        patient.data_consent_notice = ""


@transaction.atomic
def patient_update(
    *, scope: Scope, patient: Patient, today: dt.date, request=None, **changes
) -> Patient:
    """Change a patient's demographics (any of DEMOGRAPHIC_FIELDS); audited with the diff."""
    scope.require("patients.edit_demographics")
    if patient.organisation_id != scope.organisation_id:
        raise ValidationError("patient of another organisation")
    unknown = set(changes) - set(DEMOGRAPHIC_FIELDS)
    if unknown:
        raise TypeError(f"not demographic fields: {sorted(unknown)}")
    if "birth_date" in changes:
        _check_birth_date(changes["birth_date"], today)
    if "weight_kg" in changes or "weight_date" in changes:
        _check_weight(
            changes.get("weight_kg", patient.weight_kg),
            changes.get("weight_date", patient.weight_date),
            today,
        )
    names = {k: v for k, v in changes.items() if k in NAME_FIELDS}
    changes.update(zip(names, _names_clean(**names), strict=True))
    diff = {}
    for name, value in changes.items():
        if isinstance(value, str):
            value = value.strip()
        if getattr(patient, name) != value:
            diff[name] = [str(getattr(patient, name)), str(value)]
            setattr(patient, name, value)
    if not diff:
        return patient
    _data_consent_stamp(patient)
    _search_keys_refresh(patient)
    patient.full_clean()
    patient.save()
    _tokens_refresh(patient)
    audit_record(
        action=AuditAction.UPDATE,
        request=request,
        scope=scope,
        obj=patient,
        detail={"changed": sorted(diff)},
    )
    return patient


# --- Medical history ----------------------------------------------------------

# Which knowledge-base tables a coded fact of each kind may point into.
CODE_TABLES: dict[str, tuple[str, ...]] = {
    FactKind.CONDITION: ("condition",),
    FactKind.ALLERGY: ("ingredient", "allergy_group"),
    FactKind.MEDICATION: ("medication_class",),
    FactKind.DEVICE: ("device",),
    FactKind.PROCEDURE: ("procedure",),
}
FLAG_CODES = {
    FactKind.PREGNANCY: "patient.pregnant",
    FactKind.BREASTFEEDING: "patient.breastfeeding",
}


def _match_code(kind: str, text: str, kb) -> str:
    """The knowledge-base code whose name (English or Russian) is `text`, or ''.

    A medicine is coded by the dictionary (brand or generic, any script) to its
    first class; a condition by its synonyms.
    """
    if kind == FactKind.MEDICATION:
        found = medicines_find(kb, text)
        if found:
            return found[0].classes[0]
    if kind == FactKind.CONDITION:
        codes = conditions_find(kb, text)
        if codes:
            return codes[0]
    wanted = search.fold_word(text)
    if not wanted:
        return ""
    for table in CODE_TABLES.get(kind, ()):
        for code, entry in kb.tables[table].items():
            if wanted in (search.fold_word(entry.name.en), search.fold_word(entry.name.ru)):
                return code
    return ""


def _fact_build(
    *,
    scope: Scope,
    patient: Patient,
    kind: str,
    code: str,
    label: str,
    present: bool,
    on_date: dt.date | None,
    zones: Iterable[str],
    note: str,
    now: dt.datetime,
    today: dt.date,
) -> HistoryFact:
    kb = load_knowledge()
    if kind not in FactKind.values:
        raise ValidationError({"kind": _("Choose what kind of fact this is.")})
    code, label, note = code.strip(), label.strip(), note.strip()
    zones = sorted(set(zones))
    unknown_zones = [z for z in zones if z not in kb.zone]
    if unknown_zones:
        raise ValidationError({"zones": _("Unknown zone: %(z)s") % {"z": ", ".join(unknown_zones)}})
    needs_coding = False
    if kind in FLAG_CODES:
        code = FLAG_CODES[kind]
        if on_date is None:
            on_date = today  # the day the question was asked
    elif kind in CODE_TABLES:
        if code:
            if not any(code in kb.tables[t] for t in CODE_TABLES[kind]):
                raise ValidationError({"code": _("This code is not in the knowledge base.")})
        elif label:
            code = _match_code(kind, label, kb)
            needs_coding = not code
        else:
            raise ValidationError({"code": _("Choose an item from the list or describe it.")})
        if kind == FactKind.MEDICATION and not label and code:
            raise ValidationError({"label": _("Give the name of the medication.")})
    elif kind == FactKind.SURGERY:
        if not label:
            raise ValidationError({"label": _("Describe the surgery.")})
    elif not (label or note):
        raise ValidationError({"note": _("Write the note.")})
    if kind in (FactKind.SURGERY, FactKind.PROCEDURE) and on_date is None:
        raise ValidationError({"on_date": _("Give the date (approximate if need be).")})
    if on_date is not None:
        if on_date > today:
            raise ValidationError({"on_date": _("This date is in the future.")})
        if on_date < patient.birth_date:
            raise ValidationError(
                {"on_date": _("This date is before the patient's date of birth.")}
            )
    return HistoryFact(
        organisation_id=scope.organisation_id,
        patient=patient,
        kind=kind,
        code=code,
        label=label,
        needs_coding=needs_coding,
        present=present,
        on_date=on_date,
        zones=zones,
        note=note,
        recorded_by_id=scope.user_id,
        recorded_at=now,
    )


@transaction.atomic
def history_fact_record(
    *,
    scope: Scope,
    patient: Patient,
    kind: str,
    now: dt.datetime,
    today: dt.date,
    code: str = "",
    label: str = "",
    present: bool = True,
    on_date: dt.date | None = None,
    zones: Iterable[str] = (),
    note: str = "",
    request=None,
) -> HistoryFact:
    """Add one fact to a patient's history.

    A coded fact must use a knowledge-base code of its kind; free text that names
    a knowledge-base entry is coded, anything else is kept as text flagged
    `needs_coding` (shown as a warning, never sent to screening as a code).
    """
    scope.require("patients.edit_clinical")
    if patient.organisation_id != scope.organisation_id:
        raise ValidationError("patient of another organisation")
    fact = _fact_build(
        scope=scope,
        patient=patient,
        kind=kind,
        code=code,
        label=label,
        present=present,
        on_date=on_date,
        zones=zones,
        note=note,
        now=now,
        today=today,
    )
    fact.full_clean(exclude=["supersedes"])
    fact.save()
    audit_record(action=AuditAction.CREATE, request=request, scope=scope, obj=fact)
    return fact


def _current_or_error(fact: HistoryFact) -> None:
    if HistoryFact.objects.filter(supersedes=fact).exists():
        raise ValidationError(_("This fact has already been corrected or withdrawn."))
    if fact.retracted:
        raise ValidationError(_("This fact has already been corrected or withdrawn."))


@transaction.atomic
def history_fact_correct(
    *,
    scope: Scope,
    fact: HistoryFact,
    now: dt.datetime,
    today: dt.date,
    code: str = "",
    label: str = "",
    present: bool = True,
    on_date: dt.date | None = None,
    zones: Iterable[str] = (),
    note: str = "",
    request=None,
) -> HistoryFact:
    """Record a new version of a fact; the old version stays, superseded."""
    scope.require("patients.edit_clinical")
    if fact.organisation_id != scope.organisation_id:
        raise ValidationError("fact of another organisation")
    fact = HistoryFact.objects.select_for_update().get(pk=fact.pk)
    _current_or_error(fact)
    new = _fact_build(
        scope=scope,
        patient=fact.patient,
        kind=fact.kind,
        code=code,
        label=label,
        present=present,
        on_date=on_date,
        zones=zones,
        note=note,
        now=now,
        today=today,
    )
    new.supersedes = fact
    new.save()
    audit_record(
        action=AuditAction.UPDATE,
        request=request,
        scope=scope,
        obj=new,
        detail={"supersedes": fact.pk},
    )
    return new


@transaction.atomic
def history_fact_retract(
    *, scope: Scope, fact: HistoryFact, now: dt.datetime, reason: str = "", request=None
) -> HistoryFact:
    """Withdraw a fact (recorded in error or no longer true); the record of it stays."""
    scope.require("patients.edit_clinical")
    if fact.organisation_id != scope.organisation_id:
        raise ValidationError("fact of another organisation")
    fact = HistoryFact.objects.select_for_update().get(pk=fact.pk)
    _current_or_error(fact)
    new = HistoryFact(
        organisation_id=fact.organisation_id,
        patient_id=fact.patient_id,
        kind=fact.kind,
        code=fact.code,
        label=fact.label,
        needs_coding=fact.needs_coding,
        present=fact.present,
        on_date=fact.on_date,
        zones=fact.zones,
        note=reason.strip() or fact.note or "—",
        supersedes=fact,
        retracted=True,
        recorded_by_id=scope.user_id,
        recorded_at=now,
    )
    new.save()
    audit_record(
        action=AuditAction.DELETE,
        request=request,
        scope=scope,
        obj=new,
        detail={"retracts": fact.pk},
    )
    return new
