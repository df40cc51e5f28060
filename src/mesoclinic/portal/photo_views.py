"""Portal pages of the patient's photographs: read, sign and withdraw the photo consent,
its PDF, and the photographs (and outcome scores) a clinic shares with its patients.

Every object is looked up through the signed-in patient, so another patient's id is a 404.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from mesoclinic.accounts.locales import current_language
from mesoclinic.core.knowledge import load_knowledge
from mesoclinic.portal import forms
from mesoclinic.portal.services import (
    photo_consent_sign_online,
    photo_consent_withdraw_online,
)
from mesoclinic.portal.views import _audit_read, _audited_pdf, patient_required
from mesoclinic.web.forms import form_add_validation_error


def _photo_consent_texts(request) -> dict:
    """The photo-consent text for each use, as the clinic would print it today."""
    from mesoclinic.consultations.consent import text_blocks
    from mesoclinic.photos.consent import photo_consent_text
    from mesoclinic.photos.models import PhotoConsentScope

    clinic = request.portal_clinic
    today = timezone.now().astimezone(clinic.zone).date()
    return {
        value: text_blocks(
            photo_consent_text(
                patient=request.patient,
                scope=value,
                clinic_name=clinic.name,
                clinic_locale=clinic.locale,
                today=today,
            )
        )
        for value in PhotoConsentScope.values
    }


@patient_required
def photo_consent(request):
    """Read and sign the consent to clinical photographs: the clinic's text, drawn or typed."""
    form = forms.PhotoConsentSignForm(
        request.POST or None, initial={"signer_name": request.patient.full_name}
    )
    if request.method == "POST" and form.is_valid():
        try:
            photo_consent_sign_online(
                patient=request.patient,
                clinic=request.portal_clinic,
                use=form.cleaned_data["use"],
                signer_name=form.cleaned_data["signer_name"],
                drawn=form.cleaned_data["signature"],
                now=timezone.now(),
                request=request,
            )
        except ValidationError as exc:
            form_add_validation_error(form, exc)
        else:
            messages.success(request, _("Thank you: your consent to photographs is signed."))
            return redirect("portal:treatments")
    _audit_read(request, request.patient, view="photo_consent")
    return render(
        request,
        "portal/photo_consent.html",
        {
            "form": form,
            "texts": _photo_consent_texts(request),
            "use": form.data.get("use") or "record",
            "text_lang": request.patient.preferred_language,
        },
        status=400 if request.method == "POST" else 200,
    )


def _own_photo_consent(request, photo_consent_id: int):
    from mesoclinic.photos.models import PhotoConsent

    return get_object_or_404(
        PhotoConsent.objects.select_related("clinic"),
        pk=photo_consent_id,
        patient=request.patient,
    )


@patient_required
def photo_consent_pdf(request, photo_consent_id: int):
    from mesoclinic.photos.documents import photo_consent_pdf as render_pdf

    signed = _own_photo_consent(request, photo_consent_id)
    pdf = render_pdf(consent=signed, base_url=request.build_absolute_uri("/"))
    return _audited_pdf(request, signed, pdf, f"photo-consent-{signed.pk}.pdf")


@patient_required
def photo_consent_withdraw(request, photo_consent_id: int):
    """GET: what withdrawing means, and the button; POST: withdraw."""
    signed = _own_photo_consent(request, photo_consent_id)
    form = forms.PhotoConsentWithdrawForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            photo_consent_withdraw_online(
                patient=request.patient,
                consent=signed,
                reason=form.cleaned_data["reason"],
                now=timezone.now(),
                request=request,
            )
        except ValidationError as exc:
            form_add_validation_error(form, exc)
        else:
            messages.success(
                request, _("Your consent to photographs is withdrawn: no new photographs.")
            )
            return redirect("portal:treatments")
    _audit_read(request, signed, view="photo_consent_withdraw")
    return render(
        request,
        "portal/photo_consent_withdraw.html",
        {"consent": signed, "form": form},
        status=400 if request.method == "POST" else 200,
    )


@patient_required
def photo_image(request, photo_id: int, size: str = "full"):
    """One of the patient's own photographs, if the clinic shares them; thumbnails of the
    My treatments page carry its token and are part of that page's audited read."""
    from django.core.files.storage import default_storage

    from mesoclinic.photos.thumbs import thumb_token_valid
    from mesoclinic.portal.selectors import shared_photo_get

    photo = shared_photo_get(patient=request.patient, photo_id=photo_id)
    shown_by_page = size == "thumb" and thumb_token_valid(
        request.GET.get("t", ""), reader=f"patient:{request.patient.pk}", photo_id=photo.pk
    )
    if not shown_by_page:
        _audit_read(request, photo, image=size)
    with default_storage.open(photo.thumbnail if size == "thumb" else photo.image, "rb") as fh:
        response = HttpResponse(fh.read(), content_type=photo.content_type)
    response["Cache-Control"] = "private, no-store"
    response["Content-Disposition"] = f'inline; filename="photo-{photo.pk}.jpg"'
    return response


def shared_outcomes(request) -> dict:
    """Scores (as charts) and photographs of clinics that share them with patients."""
    import time

    from django.urls import reverse

    from mesoclinic.outcomes.selectors import patient_charts
    from mesoclinic.photos.thumbs import thumb_token
    from mesoclinic.portal.selectors import (
        shared_clinic_ids,
        shared_photos,
        shared_scope,
        shared_scores,
    )

    patient = request.patient
    clinic_ids = shared_clinic_ids(patient=patient)
    if not clinic_ids:
        return {"shared": False, "charts": [], "photos": []}
    language = current_language()
    scores = list(shared_scores(patient=patient, clinic_ids=clinic_ids))
    charts = patient_charts(
        scope=shared_scope(patient=patient, clinic_ids=clinic_ids),
        patient=patient,
        language=language,
        scores=scores,
    )
    kb_names = load_knowledge()
    issued = time.time()
    reader = f"patient:{patient.pk}"
    photos = []
    for p in shared_photos(patient=patient, clinic_ids=clinic_ids).order_by("taken_at", "id"):
        zone = kb_names.zone.get(p.zone_id)
        view = kb_names.photo_view.get(p.view_id)
        photos.append(
            {
                "pk": p.pk,
                "label": " · ".join(x.name.get(language) for x in (zone, view) if x is not None),
                "taken_at": p.taken_at,
                "thumb_url": reverse("portal:photo_thumb", args=[p.pk])
                + "?t="
                + thumb_token(reader=reader, photo_id=p.pk, now=issued),
                "url": reverse("portal:photo", args=[p.pk]),
            }
        )
    return {"shared": True, "charts": charts, "photos": photos}
