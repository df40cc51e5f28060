"""Reads of consultations, plans and consents: clinical data, never for receptionists."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import QuerySet
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _

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


def _fact_text(fact) -> str:
    """A history fact as the reader says it: yes/no for a flag, a code by its name."""
    if fact.kind in (FactKind.PREGNANCY, FactKind.BREASTFEEDING):
        return _("yes") if fact.present else _("no")
    if fact.label:
        return fact.label
    if fact.code:
        language = "ru" if (get_language() or "en").startswith("ru") else "en"
        try:
            name = getattr(kb().get(fact.code), "name", None)
        except KeyError:
            name = None
        if name is not None:
            return name.get(language)
    return fact.note


def patient_timeline(*, scope: Scope, patient: Patient) -> list[TimelineEntry]:
    """History versions, consultations, plans and consents of a patient, newest first."""
    entries: list[TimelineEntry] = []
    for fact in history_versions(scope=scope, patient=patient):
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
            )
        )
    for c in consultations_of(scope=scope, patient=patient).select_related("practitioner"):
        entries.append(
            TimelineEntry(
                c.created_at,
                "consultation",
                _("Consultation"),
                str(c.practitioner),
                reverse("consultations:detail", args=[c.pk]),
            )
        )
    for p in plans_of(scope=scope, patient=patient):
        entries.append(
            TimelineEntry(
                p.created_at,
                "plan",
                _("Treatment plan created"),
                p.get_status_display(),
                reverse("consultations:plan", args=[p.pk]),
            )
        )
        if p.activated_at:
            entries.append(
                TimelineEntry(
                    p.activated_at,
                    "plan",
                    _("Treatment plan started"),
                    "",
                    reverse("consultations:plan", args=[p.pk]),
                )
            )
    consents = in_my_clinics(
        scoped(Consent, scope, permission=CLINICAL), scope, clinic_field="plan__clinic_id"
    )
    for consent in consents.filter(patient=patient):
        entries.append(
            TimelineEntry(
                consent.signed_at,
                "consent",
                _("Consent signed"),
                consent.signer_name,
                reverse("consultations:consent", args=[consent.pk]),
            )
        )
    entries.sort(key=lambda e: e.at, reverse=True)
    return entries
