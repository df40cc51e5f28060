"""Reads of patient records, always through the caller's scope."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Exists, OuterRef, QuerySet

from mesoclinic.accounts.scope import Scope, get_scoped_or_404, scoped
from mesoclinic.patients import search
from mesoclinic.patients.models import HistoryFact, Patient, PatientSearchToken

# How a search is answered (measured in bench/bench_patient_search.py):
# - a term matching fewer than NARROW_TOKENS tokens drives it from the token index,
#   which holds the prefix, the list order and the patient: the page is the first rows
#   of that range in list order, and the patients table is read for those rows only;
# - when every term is broader, the patient list is walked in its order, each patient
#   checked (EXISTS on its own tokens), which stops as soon as a page is full.
NARROW_TOKENS = 20_000
# A search counts its matches up to here; the pager then says "1,000+". Nobody pages
# through a thousand patients: they type one more letter.
COUNT_CAP = 1000
PER_PAGE = 25
# A one-character search (the first keystroke of the search-as-you-type box) matches a
# large part of the register: it is counted up to four pages only, which keeps the
# keystroke as quick as a narrower one (docs/benchmarks.md, "search 'a'").
FIRST_KEYSTROKE_CAP = 4 * PER_PAGE


@dataclass(frozen=True)
class PatientPage:
    """One page of a patient search, in list order, with a bounded count."""

    patients: list[Patient]
    number: int
    per_page: int
    count: int
    capped: bool  # there are more than `count` matches

    @property
    def start_index(self) -> int:
        return (self.number - 1) * self.per_page + 1 if self.patients else 0

    @property
    def end_index(self) -> int:
        return (self.number - 1) * self.per_page + len(self.patients)

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.end_index < self.count

    @property
    def has_other_pages(self) -> bool:
        return self.has_previous or self.has_next

    @property
    def previous_page_number(self) -> int:
        return self.number - 1

    @property
    def next_page_number(self) -> int:
        return self.number + 1


def _token_range(organisation_id: int, prefix: str) -> QuerySet[PatientSearchToken]:
    # A range on (organisation, token) is a B-tree range scan on both databases,
    # whatever the collation (see search.prefix_upper_bound).
    return PatientSearchToken.objects.filter(
        organisation_id=organisation_id,
        token__gte=prefix,
        token__lte=search.prefix_upper_bound(prefix),
    )


def _token_count(organisation_id: int, prefix: str) -> int:
    """Tokens starting with `prefix`, counted up to NARROW_TOKENS from the index alone."""
    tokens = _token_range(organisation_id, prefix).values_list("patient_id")
    return tokens[:NARROW_TOKENS].count()


def _has_token(organisation_id: int, prefix: str, patient_ref: str) -> Exists:
    return Exists(_token_range(organisation_id, prefix).filter(patient_id=OuterRef(patient_ref)))


def _matching_ids(scope: Scope, query: str) -> QuerySet:
    """Ids of the matching patients, in list order (a lazy query: slice it)."""
    patients = scoped(Patient, scope, permission="patients.view_demographics")
    parsed = search.parse_query(query)
    org = scope.organisation_id
    if parsed.prefixes and not parsed.birth_dates:
        # Bounded counts (at most NARROW_TOKENS index entries each) rank the terms.
        sizes = sorted((_token_count(org, p), p) for p in parsed.prefixes)
        if sizes[0][0] < NARROW_TOKENS:
            tokens = _token_range(org, sizes[0][1])
            for _size, prefix in sizes[1:]:
                tokens = tokens.filter(_has_token(org, prefix, "patient_id"))
            return (
                tokens.values_list("patient_id", "sort_key")
                .distinct()
                .order_by("sort_key", "patient_id")
            )
    for day in parsed.birth_dates:
        patients = patients.filter(birth_date=day)
    for prefix in parsed.prefixes:
        patients = patients.filter(_has_token(org, prefix, "pk"))
    return patients.order_by("sort_key", "id").values_list("id", "sort_key")


def patient_search(
    *,
    scope: Scope,
    query: str = "",
    page: int | str | None = 1,
    per_page: int = PER_PAGE,
    count: bool = True,
) -> PatientPage:
    """One page of the scope's patients matching every term of `query`, in list order.

    A term matches the start of any word of the name (in any script: "ivanova"
    finds "Иванова"), the phone digits (whole or their last digits), the e-mail,
    or is a date of birth (14.03.1986, 1986-03-14...). The matches are counted up to
    COUNT_CAP, in the same query that finds the page (`count=False`: the first page
    only, uncounted).
    """
    try:
        number = max(1, int(page or 1))
    except (TypeError, ValueError):
        number = 1
    ids_query = _matching_ids(scope, query)
    if not count:
        number = 1
        ids = [row[0] for row in ids_query[:per_page]]
        total, capped = len(ids), False
    else:
        # The first COUNT_CAP matches in order: the count, and every page a pager offers.
        cap = FIRST_KEYSTROKE_CAP if len(query.strip()) == 1 else COUNT_CAP
        head = [row[0] for row in ids_query[:cap]]
        total, capped = len(head), len(head) >= cap
        last = max(1, (total - 1) // per_page + 1)
        number = min(number, last)
        ids = head[(number - 1) * per_page : number * per_page]
    by_id = scoped(Patient, scope, permission="patients.view_demographics").in_bulk(ids)
    return PatientPage(
        patients=[by_id[i] for i in ids if i in by_id],
        number=number,
        per_page=per_page,
        count=total,
        capped=capped,
    )


def patient_list(*, scope: Scope, query: str = "", limit: int = PER_PAGE) -> list[Patient]:
    """The first `limit` matches of `query` (see patient_search), in list order."""
    return patient_search(scope=scope, query=query, per_page=limit, count=False).patients


def patient_get(*, scope: Scope, patient_id: int) -> Patient:
    """One patient of the scope's organisation, or 404."""
    return get_scoped_or_404(
        # The home clinic decides a minor's age of consent (guardians on the patient page).
        Patient.objects.select_related("home_clinic"),
        scope,
        permission="patients.view_demographics",
        pk=patient_id,
    )


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


def screening_facts(*, scope: Scope, patient: Patient, current: list[HistoryFact] | None = None):
    """The patient's current history as the screening engine's input.

    `current`: the patient's `history_current` rows, when the caller has read them
    already (the patient page lists them), so they are not read twice.

    Returns (PatientFacts, recent procedures, facts not screened). Typed medicines
    and conditions flagged `needs_coding` are sent as text (screening warns until
    they are coded); other free-text facts (allergies) are never sent as codes:
    the caller shows them as not screened.
    """
    from mesoclinic.core.screening import Medication, OtherProcedure, PatientFacts, Surgery

    if current is None:
        facts = list(history_current(scope=scope, patient=patient).order_by("recorded_at", "id"))
    else:
        scope.require("patients.view_clinical")
        facts = sorted(current, key=lambda f: (f.recorded_at, f.pk))
    coded = [f for f in facts if not f.needs_coding]
    by_kind: dict[str, list[HistoryFact]] = {}
    for fact in coded:
        by_kind.setdefault(fact.kind, []).append(fact)

    def latest_flag(kind: str) -> bool:
        answers = by_kind.get(kind, [])
        return bool(answers) and answers[-1].present

    # Typed medicines and conditions nobody coded go to screening as text: the engine
    # recognises what it can and warns "unrecognised" about the rest.
    typed = [f for f in facts if f.needs_coding and f.kind in ("medication", "condition")]
    patient_facts = PatientFacts(
        birth_date=patient.birth_date,
        sex=patient.sex if patient.sex in ("female", "male", "other") else None,
        conditions=tuple(sorted({f.code for f in by_kind.get("condition", []) if f.present})),
        condition_texts=tuple(f.label for f in typed if f.kind == "condition" and f.present),
        allergies=tuple(sorted({f.code for f in by_kind.get("allergy", []) if f.present})),
        medications=tuple(
            Medication(
                classes=(f.code,), name=f.label or None, active=f.present, last_dose=f.on_date
            )
            for f in by_kind.get("medication", [])
        )
        + tuple(
            Medication(name=f.label, active=f.present, last_dose=f.on_date)
            for f in typed
            if f.kind == "medication"
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
        weight_kg=float(patient.weight_kg) if patient.weight_kg is not None else None,
        weight_date=patient.weight_date if patient.weight_kg is not None else None,
    )
    procedures = tuple(
        OtherProcedure(procedure=f.code, date=f.on_date, zones=tuple(f.zones))
        for f in by_kind.get("procedure", [])
        if f.on_date is not None
    )
    return patient_facts, procedures, [f for f in facts if f.needs_coding and f not in typed]


def patient_alerts(
    *, scope: Scope, patient: Patient, today, current: list[HistoryFact] | None = None
):
    """The alert banner of a patient (allergies, pregnancy, anticoagulants, absolute
    contraindications), from the current history (`current`, if already read; see
    `screening_facts`); empty for staff without clinical access."""
    from mesoclinic.core.alerts import patient_alerts as alerts_for
    from mesoclinic.core.knowledge import load_knowledge

    if not scope.can("patients.view_clinical"):
        return []
    facts, _procedures, uncoded = screening_facts(scope=scope, patient=patient, current=current)
    return alerts_for(
        kb=load_knowledge(),
        facts=facts,
        today=today,
        uncoded_allergies=[f.label for f in uncoded if f.kind == "allergy" and f.present],
    )
