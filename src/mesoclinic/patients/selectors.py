"""Reads of patient records, always through the caller's scope."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, QuerySet
from django.db.models.functions import Lower

from mesoclinic.accounts.scope import Scope, get_scoped_or_404, scoped
from mesoclinic.patients import search
from mesoclinic.patients.models import HistoryFact, Patient, PatientSearchToken

# A term matching fewer tokens than this is "narrow": its patients are fetched by id
# (measured in bench/bench_patient_search.py: 10,000 balances sorting the candidates
# against walking the list).
# Broader terms are checked per patient (EXISTS on the patient's own tokens) while the
# list is walked in name order, which stops as soon as a page is full.
NARROW_TOKENS = 10_000


def _token_range(organisation_id: int, prefix: str) -> QuerySet[PatientSearchToken]:
    # A range on (organisation, token) is a B-tree range scan on both databases,
    # whatever the collation (see search.prefix_upper_bound).
    return PatientSearchToken.objects.filter(
        organisation_id=organisation_id,
        token__gte=prefix,
        token__lte=search.prefix_upper_bound(prefix),
    )


def patient_list(*, scope: Scope, query: str = "") -> QuerySet[Patient]:
    """Patients of the scope's organisation matching every term of `query`.

    A term matches the start of any word of the name (in any script: "ivanova"
    finds "Иванова"), the phone digits (whole or their last digits), the e-mail,
    or is a date of birth (14.03.1986, 1986-03-14...).
    """
    qs = scoped(Patient, scope, permission="patients.view_demographics")
    parsed = search.parse_query(query)
    for day in parsed.birth_dates:
        qs = qs.filter(birth_date=day)
    if not parsed.prefixes:
        return qs
    org = scope.organisation_id
    # Bounded counts (at most NARROW_TOKENS index entries each) rank the terms.
    sizes = sorted((_token_range(org, p)[:NARROW_TOKENS].count(), p) for p in parsed.prefixes)
    rest = [p for _n, p in sizes]
    if not parsed.birth_dates and sizes[0][0] < NARROW_TOKENS:
        # Fetched ids, not a subquery, and an order no index serves: PostgreSQL's
        # planner, seeing LIMIT 25, would otherwise walk the whole list in name order.
        ids = set(_token_range(org, rest.pop(0)).values_list("patient_id", flat=True))
        qs = qs.filter(pk__in=ids).order_by(
            Lower("family_name"), Lower("given_name"), "birth_date", "pk"
        )
    for prefix in rest:
        qs = qs.filter(
            Exists(
                PatientSearchToken.objects.filter(
                    organisation_id=org,
                    patient_id=OuterRef("pk"),
                    token__gte=prefix,
                    token__lte=search.prefix_upper_bound(prefix),
                )
            )
        )
    return qs


def patient_get(*, scope: Scope, patient_id: int) -> Patient:
    """One patient of the scope's organisation, or 404."""
    return get_scoped_or_404(Patient, scope, permission="patients.view_demographics", pk=patient_id)


def history_current(*, scope: Scope, patient: Patient) -> QuerySet[HistoryFact]:
    """The patient's history as it stands: latest versions, withdrawn facts left out."""
    return (
        scoped(HistoryFact, scope, permission="patients.view_clinical")
        .filter(patient=patient, superseded_by__isnull=True, retracted=False)
        .select_related("recorded_by")
    )


def history_versions(*, scope: Scope, patient: Patient) -> QuerySet[HistoryFact]:
    """Every version of every fact ever recorded for the patient, oldest first."""
    return (
        scoped(HistoryFact, scope, permission="patients.view_clinical")
        .filter(patient=patient)
        .select_related("recorded_by", "supersedes")
        .order_by("recorded_at", "id")
    )


def history_fact_get(*, scope: Scope, fact_id: int) -> HistoryFact:
    return get_scoped_or_404(
        HistoryFact.objects.select_related("patient"),
        scope,
        permission="patients.view_clinical",
        pk=fact_id,
    )


def screening_facts(*, scope: Scope, patient: Patient):
    """The patient's current history as the screening engine's input.

    Returns (PatientFacts, recent procedures, uncoded facts). Free-text facts
    flagged `needs_coding` are never sent as codes: the caller shows them as
    warnings.
    """
    from mesoclinic.core.screening import Medication, OtherProcedure, PatientFacts, Surgery

    facts = list(history_current(scope=scope, patient=patient).order_by("recorded_at", "id"))
    coded = [f for f in facts if not f.needs_coding]
    by_kind: dict[str, list[HistoryFact]] = {}
    for fact in coded:
        by_kind.setdefault(fact.kind, []).append(fact)

    def latest_flag(kind: str) -> bool:
        answers = by_kind.get(kind, [])
        return bool(answers) and answers[-1].present

    patient_facts = PatientFacts(
        birth_date=patient.birth_date,
        sex=patient.sex if patient.sex in ("female", "male", "other") else None,
        conditions=tuple(sorted({f.code for f in by_kind.get("condition", []) if f.present})),
        allergies=tuple(sorted({f.code for f in by_kind.get("allergy", []) if f.present})),
        medications=tuple(
            Medication(
                classes=(f.code,), name=f.label or None, active=f.present, last_dose=f.on_date
            )
            for f in by_kind.get("medication", [])
        ),
        pregnant=latest_flag("pregnancy"),
        breastfeeding=latest_flag("breastfeeding"),
        implanted_devices=tuple(sorted({f.code for f in by_kind.get("device", []) if f.present})),
        surgeries=tuple(
            Surgery(date=f.on_date, zones=tuple(f.zones), description=f.label or None)
            for f in by_kind.get("surgery", [])
            if f.on_date is not None
        ),
        skin_type=patient.fitzpatrick,
    )
    procedures = tuple(
        OtherProcedure(procedure=f.code, date=f.on_date, zones=tuple(f.zones))
        for f in by_kind.get("procedure", [])
        if f.on_date is not None
    )
    return patient_facts, procedures, [f for f in facts if f.needs_coding]
