"""Reads of consultations, plans and consents: clinical data, never for receptionists."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils.translation import gettext as _

from mesoclinic.accounts.locales import current_language
from mesoclinic.accounts.scope import (
    Scope,
    get_in_clinic_or_404,
    in_my_clinics,
    scoped,
)
from mesoclinic.consultations.engine import kb
from mesoclinic.consultations.models import Consent, Consultation, TreatmentPlan
from mesoclinic.patients.models import FactKind, Patient
from mesoclinic.patients.selectors import history_versions
from mesoclinic.web.pagination import EPOCH

CLINICAL = "patients.view_clinical"


def consultation_get(*, scope: Scope, consultation_id: int) -> Consultation:
    return get_in_clinic_or_404(
        Consultation.objects.select_related("patient", "practitioner"),
        scope,
        permission=CLINICAL,
        pk=consultation_id,
    )


def consultations_of(*, scope: Scope, patient: Patient) -> QuerySet[Consultation]:
    return in_my_clinics(scoped(Consultation, scope, permission=CLINICAL), scope).filter(
        patient=patient
    )


def plan_get(*, scope: Scope, plan_id: int) -> TreatmentPlan:
    return get_in_clinic_or_404(
        TreatmentPlan.objects.select_related("patient", "practitioner", "consultation"),
        scope,
        permission=CLINICAL,
        pk=plan_id,
    )


def plans_of(*, scope: Scope, patient: Patient) -> QuerySet[TreatmentPlan]:
    return (
        in_my_clinics(scoped(TreatmentPlan, scope, permission=CLINICAL), scope)
        .filter(patient=patient)
        .prefetch_related("products")
    )


def consent_get(*, scope: Scope, consent_id: int) -> Consent:
    return get_in_clinic_or_404(
        Consent.objects.select_related("patient", "plan", "collected_by"),
        scope,
        permission=CLINICAL,
        clinic_attr="plan.clinic_id",
        pk=consent_id,
    )


@dataclass(frozen=True)
class TimelineEntry:
    at: dt.datetime
    kind: str
    title: str
    detail: str
    url: str
    # Its place in the newest-first order (time, source, id): the keyset cursor.
    source: int = 0
    pk: int = 0

    @property
    def cursor(self) -> str:
        micros = (self.at - EPOCH) // dt.timedelta(microseconds=1)
        return f"{micros}-{self.source}-{self.pk}"


@dataclass(frozen=True)
class TimelineCursor:
    """A position in the timeline: entries strictly older come after it."""

    at: dt.datetime
    source: int
    pk: int


def timeline_cursor_parse(text: str | None) -> TimelineCursor | None:
    """`<microseconds since 1970>-<source>-<id>`; None for anything malformed."""
    parts = (text or "").split("-")
    if len(parts) != 3 or not all(p.isdigit() and len(p) <= 18 for p in parts):
        return None
    try:
        at = EPOCH + dt.timedelta(microseconds=int(parts[0]))
    except OverflowError:
        return None
    return TimelineCursor(at, int(parts[1]), int(parts[2]))


def _older_than(qs: QuerySet, field: str, source: int, before: TimelineCursor | None) -> QuerySet:
    """The rows of one source that come after `before` in (time, source, id) descending order."""
    if before is None:
        return qs
    if source < before.source:
        return qs.filter(**{f"{field}__lte": before.at})
    if source > before.source:
        return qs.filter(**{f"{field}__lt": before.at})
    same_time = Q(**{field: before.at, "pk__lt": before.pk})
    return qs.filter(Q(**{f"{field}__lt": before.at}) | same_time)


def _fact_text(fact) -> str:
    """A history fact as the reader says it: yes/no for a flag, a code by its name."""
    if fact.kind in (FactKind.PREGNANCY, FactKind.BREASTFEEDING):
        return _("yes") if fact.present else _("no")
    if fact.label:
        return fact.label
    if fact.code:
        language = current_language()
        try:
            name = getattr(kb().get(fact.code), "name", None)
        except KeyError:
            name = None
        if name is not None:
            return name.get(language)
    return fact.note


def patient_timeline(
    *,
    scope: Scope,
    patient: Patient,
    before: TimelineCursor | None = None,
    limit: int | None = None,
) -> list[TimelineEntry]:
    """History versions, consultations, plans and consents of a patient, newest first.

    With `limit`, at most that many entries older than `before`: each source is read
    from its own index range (`limit` rows at most), and the sources are merged, so
    an old page costs what the first one costs.
    """

    def window(qs: QuerySet, field: str, source: int) -> QuerySet:
        qs = _older_than(qs, field, source, before).order_by(f"-{field}", "-pk")
        return qs[:limit] if limit is not None else qs

    entries: list[TimelineEntry] = []
    for fact in window(history_versions(scope=scope, patient=patient), "recorded_at", 0):
        what = fact.get_kind_display()
        if fact.retracted:
            title = _("History withdrawn: %(what)s") % {"what": what}
        elif fact.supersedes_id:
            title = _("History corrected: %(what)s") % {"what": what}
        else:
            title = _("History recorded: %(what)s") % {"what": what}
        entries.append(
            TimelineEntry(
                fact.recorded_at,
                "history",
                title,
                _fact_text(fact),
                reverse("patients:history_versions", args=[patient.pk]),
                0,
                fact.pk,
            )
        )
    consultations = consultations_of(scope=scope, patient=patient).select_related("practitioner")
    for c in window(consultations, "created_at", 1):
        entries.append(
            TimelineEntry(
                c.created_at,
                "consultation",
                _("Consultation"),
                str(c.practitioner),
                reverse("consultations:detail", args=[c.pk]),
                1,
                c.pk,
            )
        )
    plans = in_my_clinics(scoped(TreatmentPlan, scope, permission=CLINICAL), scope).filter(
        patient=patient
    )
    for p in window(plans, "created_at", 2):
        entries.append(
            TimelineEntry(
                p.created_at,
                "plan",
                _("Treatment plan created"),
                p.get_status_display(),
                reverse("consultations:plan", args=[p.pk]),
                2,
                p.pk,
            )
        )
    for p in window(plans.filter(activated_at__isnull=False), "activated_at", 3):
        entries.append(
            TimelineEntry(
                p.activated_at,
                "plan",
                _("Treatment plan started"),
                "",
                reverse("consultations:plan", args=[p.pk]),
                3,
                p.pk,
            )
        )
    consents = in_my_clinics(
        scoped(Consent, scope, permission=CLINICAL), scope, clinic_field="plan__clinic_id"
    ).filter(patient=patient)
    for consent in window(consents, "signed_at", 4):
        entries.append(
            TimelineEntry(
                consent.signed_at,
                "consent",
                _("Consent signed"),
                consent.signer_name,
                reverse("consultations:consent", args=[consent.pk]),
                4,
                consent.pk,
            )
        )
    entries.sort(key=lambda e: (e.at, e.source, e.pk), reverse=True)
    return entries[:limit] if limit is not None else entries
