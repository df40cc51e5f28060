"""Reads of photographs and photo consents: organisation- and clinic-scoped.

A photograph taken under a withdrawn consent is hidden from everyone but the owner
of the clinic it was taken in; the patient's page says how many are hidden.
"""

from __future__ import annotations

import time

from django.db.models import Q, QuerySet
from django.http import Http404
from django.urls import reverse
from django.utils import formats, timezone

from mesoclinic.accounts.models import Role
from mesoclinic.accounts.scope import Scope, get_in_clinic_or_404, in_my_clinics, scoped
from mesoclinic.core.knowledge.loader import load_knowledge
from mesoclinic.photos.models import Photo, PhotoConsent
from mesoclinic.photos.thumbs import thumb_token


def photo_consent_current(*, patient) -> PhotoConsent | None:
    """The patient's latest photo consent that has not been withdrawn, if any."""
    return (
        PhotoConsent.objects.filter(
            organisation_id=patient.organisation_id, patient=patient, withdrawn_at__isnull=True
        )
        .order_by("-signed_at", "-id")
        .first()
    )


def photo_consents(*, scope: Scope, patient) -> QuerySet[PhotoConsent]:
    """Every photo consent of the patient, newest first (withdrawn ones included)."""
    return scoped(PhotoConsent, scope, permission="patients.view_clinical").filter(patient=patient)


def photo_consent_get(*, scope: Scope, consent_id: int) -> PhotoConsent:
    return get_in_clinic_or_404(
        PhotoConsent.objects.select_related("patient", "clinic", "collected_by", "withdrawn_by"),
        scope,
        permission="patients.view_clinical",
        pk=consent_id,
    )


def photos_visible(*, scope: Scope, patient) -> QuerySet[Photo]:
    """The patient's photographs this user may see, oldest first."""
    scope.require("patients.view_clinical")
    qs = in_my_clinics(scoped(Photo, scope), scope).filter(patient=patient)
    owned = [c for c in sorted(scope.clinic_ids) if Role.OWNER in scope.roles_in(c)]
    clinical = [c for c in sorted(scope.clinic_ids) if scope.can_in("patients.view_clinical", c)]
    qs = qs.filter(clinic_id__in=clinical)
    return qs.filter(Q(consent__withdrawn_at__isnull=True) | Q(clinic_id__in=owned))


def photos_hidden_count(*, scope: Scope, patient) -> int:
    """How many of the patient's photographs are hidden from this user by a withdrawal."""
    qs = in_my_clinics(scoped(Photo, scope), scope).filter(
        patient=patient, consent__withdrawn_at__isnull=False
    )
    return (
        qs.count()
        - photos_visible(scope=scope, patient=patient)
        .filter(consent__withdrawn_at__isnull=False)
        .count()
    )


def photo_get(*, scope: Scope, photo_id: int) -> Photo:
    """One photograph the user may see, or 404 (hidden by a withdrawal counts as absent)."""
    photo = get_in_clinic_or_404(
        Photo.objects.select_related("consent", "patient", "operator", "session"),
        scope,
        permission="patients.view_clinical",
        pk=photo_id,
    )
    if photo.consent.withdrawn_at is not None and Role.OWNER not in scope.roles_in(photo.clinic_id):
        raise Http404
    return photo


def baseline_of(*, scope: Scope, patient, zone_id: str, view_id: str) -> Photo | None:
    """The first visible photograph of the patient's zone from one view: the comparison base."""
    return (
        photos_visible(scope=scope, patient=patient)
        .filter(zone_id=zone_id, view_id=view_id)
        .order_by("taken_at", "id")
        .first()
    )


def views_for_zone(zone_id: str, language: str) -> list[tuple[str, str]]:
    """(view id, name) of the standard views of a zone, in capture order."""
    kb = load_knowledge()
    zone = kb.zone.get(zone_id)
    if zone is None:
        return []
    return [(v, kb.photo_view[v].name.get(language)) for v in zone.photo_views]


# What a grid of photographs needs: a page of 200 reads no more than these, as plain rows.
GRID_FIELDS = ("id", "zone_id", "view_id", "taken_at", "quality_issues", "session__session_number")


def photo_rows(queryset, lang: str, *, reader: str) -> list[dict]:
    """The photographs as rows for a grid: labels, day and URLs computed once per page.

    Each thumbnail URL carries the page's token for `reader` (`photos.thumbs`): the page
    records one audit event naming the photographs, the thumbnails none of their own.
    """
    kb = load_knowledge()
    issued = time.time()
    thumb = reverse("photos:thumb", args=[0]).replace("/0/", "/{}/")
    detail = reverse("photos:detail", args=[0]).replace("/0/", "/{}/")
    days: dict = {}
    rows = []
    tz = timezone.get_current_timezone()
    for row in queryset.order_by("taken_at", "id").values(*GRID_FIELDS):
        zone, view = row["zone_id"], row["view_id"]
        local = row["taken_at"].astimezone(tz).date()
        if local not in days:
            days[local] = formats.date_format(local, "SHORT_DATE_FORMAT")
        row.update(
            pk=row["id"],
            zone_name=kb.zone[zone].name.get(lang) if zone in kb.zone else zone,
            view_name=kb.photo_view[view].name.get(lang) if view in kb.photo_view else view,
            thumb_url=thumb.format(row["id"])
            + "?t="
            + thumb_token(reader=reader, photo_id=row["id"], now=issued),
            detail_url=detail.format(row["id"]),
            day=days[local],
            session_number=row["session__session_number"],
        )
        rows.append(row)
    return rows


def photos_for_scoring(*, scope: Scope, patient) -> QuerySet[Photo]:
    """The photographs an outcome score may be read from: visible, consent still current."""
    return photos_visible(scope=scope, patient=patient).filter(consent__withdrawn_at__isnull=True)
