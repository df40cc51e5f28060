"""Reads of the portal: what the front desk has to review; what a patient is shown of
their own outcome scores and photographs."""

from __future__ import annotations

from mesoclinic.accounts.models import Clinic
from mesoclinic.accounts.scope import Scope, scoped
from mesoclinic.portal.models import OnlineBooking, OnlineChange, Questionnaire, SelfRegistration

REVIEW_ROWS = 20


def portal_review(*, scope: Scope, clinic: Clinic) -> dict:
    """Self-registered patients, online bookings and visits moved or cancelled online that
    nobody has marked seen, and questionnaires nobody has confirmed."""
    bookings = (
        scoped(OnlineBooking, scope, permission="schedule.view")
        .filter(clinic=clinic, reviewed_at__isnull=True)
        .select_related("patient", "service")
        .order_by("booked_at", "pk")[:REVIEW_ROWS]
    )
    questionnaires = (
        scoped(Questionnaire, scope)
        .filter(clinic=clinic, confirmed_at__isnull=True)
        .select_related("patient")
        .order_by("submitted_at", "pk")[:REVIEW_ROWS]
    )
    changes = (
        scoped(OnlineChange, scope, permission="schedule.view")
        .filter(clinic=clinic, reviewed_at__isnull=True)
        .select_related("patient", "clinic")
        .order_by("changed_at", "pk")[:REVIEW_ROWS]
    )
    registrations = list(
        scoped(SelfRegistration, scope, permission="patients.view_demographics")
        .filter(clinic=clinic, reviewed_at__isnull=True)
        .select_related("patient", "clinic")
        .order_by("registered_at", "pk")[:REVIEW_ROWS]
    )
    return {
        "registrations": registrations,
        "bookings": list(bookings),
        "changes": list(changes),
        "questionnaires": list(questionnaires),
        "clinical": scope.can_in("patients.view_clinical", clinic.pk),
    }


# --- The patient's own outcomes (clinics that share them) ------------------------------


def shared_clinic_ids(*, patient) -> list[int]:
    """The clinics of the patient's organisation that share outcomes with patients."""
    from mesoclinic.portal.models import PortalSettings

    return list(
        PortalSettings.objects.filter(
            organisation_id=patient.organisation_id, share_outcomes=True
        ).values_list("clinic_id", flat=True)
    )


def shared_scores(*, patient, clinic_ids: list[int]):
    """The patient's outcome scores recorded in clinics that share them, oldest first."""
    from mesoclinic.outcomes.models import OutcomeScore

    return OutcomeScore.objects.filter(
        organisation_id=patient.organisation_id, patient=patient, clinic_id__in=clinic_ids
    ).order_by("scored_on", "recorded_at", "id")


def shared_photos(*, patient, clinic_ids: list[int]):
    """The patient's photographs a sharing clinic took under a consent still current."""
    from mesoclinic.photos.models import Photo

    return Photo.objects.filter(
        organisation_id=patient.organisation_id,
        patient=patient,
        clinic_id__in=clinic_ids,
        consent__withdrawn_at__isnull=True,
    )


def shared_photo_get(*, patient, photo_id: int):
    """One of the patient's own shared photographs, or 404 (another's, hidden, not shared)."""
    from django.shortcuts import get_object_or_404

    return get_object_or_404(
        shared_photos(patient=patient, clinic_ids=shared_clinic_ids(patient=patient)),
        pk=photo_id,
    )


def shared_scope(*, patient, clinic_ids: list[int]) -> Scope:
    """A read-only scope over the sharing clinics, for the outcome charts' session marks."""
    from mesoclinic.accounts.models import Role
    from mesoclinic.portal.services.access import portal_actor

    roles = frozenset({Role.NURSE})
    return Scope(
        user_id=portal_actor(organisation_id=patient.organisation_id).pk,
        organisation_id=patient.organisation_id,
        clinic_id=clinic_ids[0] if clinic_ids else None,
        roles=roles,
        clinic_ids=frozenset(clinic_ids),
        clinic_roles={c: roles for c in clinic_ids},
    )


def reported_to_confirm(*, scope: Scope, patient) -> list[dict]:
    """The patient's questionnaires nobody has confirmed, each with the history facts it
    recorded (current version first): for the check-in page."""
    from mesoclinic.patients.models import HistoryFact

    found = []
    for questionnaire in (
        scoped(Questionnaire, scope)
        .filter(patient=patient, confirmed_at__isnull=True)
        .order_by("submitted_at", "pk")
    ):
        facts = HistoryFact.objects.filter(
            organisation_id=scope.organisation_id, pk__in=questionnaire.fact_ids
        ).select_related("superseded_by")
        found.append({"q": questionnaire, "facts": list(facts)})
    return found


def guardians_of(*, scope: Scope, patient) -> dict | None:
    """For the patient page: the portal accounts of a minor's parents or guardians (and
    whether they can still see the record), or None for an adult."""
    from django.utils import timezone

    from mesoclinic.portal.models import Guardianship
    from mesoclinic.portal.services import is_minor

    fallback = patient.home_clinic or Clinic.objects.filter(pk=scope.clinic_id).first()
    if fallback is None or not is_minor(
        patient=patient, fallback_clinic=fallback, now=timezone.now()
    ):
        return None
    links = scoped(Guardianship, scope).filter(child=patient).select_related("account__patient")
    return {"links": list(links)}
