"""Pages of clinical photographs: consent, capture, the patient's photographs, comparison.

Image bytes are only ever served by `photo_image_view`: scoped to the organisation and
the user's clinics, hidden after a withdrawal, audited on every read.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from mesoclinic.accounts.locales import current_language
from mesoclinic.audit.models import AuditAction
from mesoclinic.audit.services import audit_record
from mesoclinic.charting.models import TreatmentSession
from mesoclinic.consultations.consent import text_blocks
from mesoclinic.core.knowledge.loader import load_knowledge
from mesoclinic.patients.selectors import patient_get
from mesoclinic.photos.consent import photo_consent_text
from mesoclinic.photos.documents import photo_consent_pdf
from mesoclinic.photos.forms import CaptureForm, PhotoConsentForm, WithdrawForm
from mesoclinic.photos.selectors import (
    baseline_of,
    photo_consent_current,
    photo_consent_get,
    photo_consents,
    photo_get,
    photo_rows,
    photos_hidden_count,
    photos_visible,
)
from mesoclinic.photos.services import (
    PhotoQualityIssues,
    photo_capture,
    photo_consent_sign,
    photo_consent_withdraw,
)
from mesoclinic.photos.thumbs import staff_reader, thumb_token_valid
from mesoclinic.web.forms import form_add_validation_error


def _label(photo, lang: str) -> None:
    """Name the zone and view of one photograph in the user's language."""
    kb = load_knowledge()
    zone, view = photo.zone_id, photo.view_id
    photo.zone_name = kb.zone[zone].name.get(lang) if zone in kb.zone else zone
    photo.view_name = kb.photo_view[view].name.get(lang) if view in kb.photo_view else view


def _series(rows) -> list[dict]:
    """Photographs grouped by zone and view, each group oldest first."""
    groups: dict[tuple[str, str], dict] = {}
    for p in rows:
        key = (p["zone_id"], p["view_id"])
        group = groups.setdefault(
            key,
            {
                "zone": p["zone_id"],
                "view": p["view_id"],
                "label": f"{p['zone_name']} · {p['view_name']}",
                "photos": [],
            },
        )
        group["photos"].append(p)
    return list(groups.values())


@login_required
def patient_photos_view(request, patient_id: int):
    patient = patient_get(scope=request.scope, patient_id=patient_id)
    photos = photo_rows(
        photos_visible(scope=request.scope, patient=patient),
        current_language(),
        reader=staff_reader(request.user),
    )
    # One event for the page, naming every photograph shown (their thumbnails add none).
    audit_record(
        action=AuditAction.READ,
        request=request,
        obj=patient,
        detail={"view": "photos", "photos": [p["pk"] for p in photos]},
    )
    return render(
        request,
        "photos/patient.html",
        {
            "patient": patient,
            "series": _series(photos),
            "current": photo_consent_current(patient=patient),
            "consents": photo_consents(scope=request.scope, patient=patient),
            "hidden": photos_hidden_count(scope=request.scope, patient=patient),
            "can_edit": request.scope.can("patients.edit_clinical"),
        },
    )


@login_required
def consent_sign_view(request, patient_id: int):
    patient = patient_get(scope=request.scope, patient_id=patient_id)
    request.scope.require("patients.edit_clinical")
    audit_record(
        action=AuditAction.READ, request=request, obj=patient, detail={"view": "photo_consent"}
    )
    form = PhotoConsentForm(request.POST or None, initial={"signer_name": patient.full_name})
    if request.method == "POST" and form.is_valid():
        try:
            consent = photo_consent_sign(
                scope=request.scope,
                patient=patient,
                use=form.cleaned_data["use"],
                signer_name=form.cleaned_data["signer_name"],
                signature=form.cleaned_data["signature"],
                now=timezone.now(),
                today=timezone.localdate(),
                request=request,
            )
        except ValidationError as exc:
            form_add_validation_error(form, exc)
        else:
            messages.success(request, _("Photo consent signed."))
            return redirect("photos:consent", consent.pk)
    use = form.data.get("use") or form.initial.get("use") or "record"
    texts = {
        value: text_blocks(
            photo_consent_text(
                patient=patient,
                scope=value,
                clinic_name=request.clinic.name if request.clinic else "",
                clinic_locale=request.clinic.locale if request.clinic else "",
                today=timezone.localdate(),
            )
        )
        for value in ("record", "education", "marketing")
    }
    return render(
        request,
        "photos/consent_sign.html",
        {
            "patient": patient,
            "form": form,
            "texts": texts,
            "use": use,
            "text_lang": patient.preferred_language,
        },
    )


@login_required
def consent_detail_view(request, photo_consent_id: int):
    consent = photo_consent_get(scope=request.scope, consent_id=photo_consent_id)
    request.scope = request.scope.in_clinic(consent.clinic_id)
    audit_record(action=AuditAction.READ, request=request, obj=consent)
    return render(
        request,
        "photos/consent_detail.html",
        {
            "consent": consent,
            "patient": consent.patient,
            "blocks": text_blocks(consent.text),
            "withdraw_form": WithdrawForm()
            if request.scope.can("patients.edit_clinical")
            else None,
            "photo_count": consent.photos.count(),
        },
    )


@login_required
def consent_pdf_view(request, photo_consent_id: int):
    consent = photo_consent_get(scope=request.scope, consent_id=photo_consent_id)
    request.scope = request.scope.in_clinic(consent.clinic_id)
    pdf = photo_consent_pdf(consent=consent, base_url=request.build_absolute_uri("/"))
    audit_record(action=AuditAction.EXPORT, request=request, obj=consent)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="photo-consent-{consent.pk}.pdf"'
    return response


@login_required
@require_POST
def consent_withdraw_view(request, photo_consent_id: int):
    consent = photo_consent_get(scope=request.scope, consent_id=photo_consent_id)
    request.scope = request.scope.in_clinic(consent.clinic_id)
    request.scope.require("patients.edit_clinical")
    form = WithdrawForm(request.POST)
    form.is_valid()
    try:
        photo_consent_withdraw(
            scope=request.scope,
            consent=consent,
            reason=form.cleaned_data.get("reason", ""),
            now=timezone.now(),
            request=request,
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Photo consent withdrawn: its photographs are now hidden."))
    return redirect("photos:consent", consent.pk)


def _capture_choices(request, patient, lang: str):
    kb = load_knowledge()
    zones = [(z.id, z.name.get(lang)) for z in kb.zone.values() if z.photo_views]
    views = {
        z.id: [(v, kb.photo_view[v].name.get(lang)) for v in z.photo_views]
        for z in kb.zone.values()
        if z.photo_views
    }
    hints = {v.id: v.hint.get(lang) for v in kb.photo_view.values()}
    all_views = [(v.id, v.name.get(lang)) for v in kb.photo_view.values()]
    sessions = [
        (s.pk, f"{s.session_date:%Y-%m-%d} · {s.session_number}")
        for s in TreatmentSession.objects.filter(
            organisation_id=request.scope.organisation_id,
            patient=patient,
            clinic_id=request.scope.clinic_id,
        ).order_by("-session_date", "-id")[:30]
    ]
    return zones, views, hints, all_views, sessions


@login_required
def capture_view(request, patient_id: int):
    patient = patient_get(scope=request.scope, patient_id=patient_id)
    request.scope.require("patients.edit_clinical")
    lang = current_language()
    consent = photo_consent_current(patient=patient)
    if request.method == "GET":
        audit_record(
            action=AuditAction.READ, request=request, obj=patient, detail={"view": "photo_capture"}
        )
    zones, views, hints, all_views, sessions = _capture_choices(request, patient, lang)
    zone = request.GET.get("zone", "")
    zone = zone if zone in views else zones[0][0]
    view = request.GET.get("view", "")
    view = view if view in dict(views[zone]) else views[zone][0][0]
    initial = {"zone": zone, "view": view, "session": request.GET.get("session")}
    form = CaptureForm(
        request.POST or None,
        request.FILES or None,
        zones=zones,
        views=all_views,
        sessions=sessions,
        initial=initial,
    )
    issues: list[str] = []
    if request.method == "POST" and consent is not None and form.is_valid():
        upload = form.cleaned_data["image"]
        session = None
        if form.cleaned_data["session"]:
            session = TreatmentSession.objects.filter(
                organisation_id=request.scope.organisation_id, pk=form.cleaned_data["session"]
            ).first()
        try:
            if upload is None:
                raise ValidationError({"image": _("Choose a photograph to upload.")})
            photo = photo_capture(
                scope=request.scope,
                patient=patient,
                data=upload.read(),
                content_type=upload.content_type or "",
                zone_id=form.cleaned_data["zone"],
                view_id=form.cleaned_data["view"],
                session=session,
                keep=request.POST.get("keep") == "1",
                now=timezone.now(),
                request=request,
            )
        except PhotoQualityIssues as exc:
            issues = exc.messages
        except ValidationError as exc:
            form_add_validation_error(form, exc)
        else:
            if photo.quality_issues:
                messages.warning(request, _("Photograph kept and marked as below standard."))
            else:
                messages.success(request, _("Photograph saved."))
            target = reverse("photos:patient", args=[patient.pk])
            if request.headers.get("HX-Request"):
                response = HttpResponse(status=204)
                response["HX-Redirect"] = target
                return response
            return redirect(target)
    baselines = {}
    for zone_id, zone_views in views.items():
        for view_id, _name in zone_views:
            baselines[f"{zone_id}|{view_id}"] = None
    seen = photos_visible(scope=request.scope, patient=patient).only("id", "zone_id", "view_id")
    for p in seen.order_by("taken_at", "id"):
        key = f"{p.zone_id}|{p.view_id}"
        if baselines.get(key) is None:
            baselines[key] = reverse("photos:image", args=[p.pk])
    htmx = bool(request.headers.get("HX-Request"))
    context = {
        "patient": patient,
        "htmx": htmx,
        "form": form,
        "consent": consent,
        "issues": issues,
        "views_json": views,
        "hints_json": hints,
        "baselines_json": {k: v for k, v in baselines.items() if v},
    }
    template = "photos/capture.html"
    if request.method == "POST" and htmx:
        template = "photos/_capture_result.html"
    return render(request, template, context)


@login_required
def photo_detail_view(request, photo_id: int):
    photo = photo_get(scope=request.scope, photo_id=photo_id)
    audit_record(action=AuditAction.READ, request=request, obj=photo)
    lang = current_language()
    _label(photo, lang)
    baseline = baseline_of(
        scope=request.scope, patient=photo.patient, zone_id=photo.zone_id, view_id=photo.view_id
    )
    return render(
        request,
        "photos/photo.html",
        {"photo": photo, "patient": photo.patient, "baseline": baseline},
    )


@login_required
def photo_image_view(request, photo_id: int, size: str = "full"):
    photo = photo_get(scope=request.scope, photo_id=photo_id)
    shown_by_page = size == "thumb" and thumb_token_valid(
        request.GET.get("t", ""), reader=staff_reader(request.user), photo_id=photo.pk
    )
    if not shown_by_page:
        # The full image is audited on every view; a thumbnail outside a page too.
        audit_record(action=AuditAction.READ, request=request, obj=photo, detail={"image": size})
    name = photo.thumbnail if size == "thumb" else photo.image
    with default_storage.open(name, "rb") as fh:
        response = HttpResponse(fh.read(), content_type=photo.content_type)
    response["Cache-Control"] = "private, no-store"
    response["Content-Disposition"] = f'inline; filename="photo-{photo.pk}.jpg"'
    return response


@login_required
def compare_view(request, patient_id: int):
    patient = patient_get(scope=request.scope, patient_id=patient_id)
    lang = current_language()
    series = _series(
        photo_rows(
            photos_visible(scope=request.scope, patient=patient),
            lang,
            reader=staff_reader(request.user),
        )
    )
    zone, view = request.GET.get("zone"), request.GET.get("view")
    chosen = next((s for s in series if (s["zone"], s["view"]) == (zone, view)), None)
    if chosen is None and series:
        chosen = series[0]
    before = after = None
    if chosen:
        by_id = {str(p["pk"]): p for p in chosen["photos"]}
        before = by_id.get(request.GET.get("before", "")) or chosen["photos"][0]
        after = by_id.get(request.GET.get("after", "")) or chosen["photos"][-1]
    audit_record(
        action=AuditAction.READ,
        request=request,
        obj=patient,
        detail={
            "view": "photo_compare",
            "before": before["pk"] if before else None,
            "after": after["pk"] if after else None,
            "photos": [p["pk"] for p in chosen["photos"]] if chosen else [],
        },
    )
    return render(
        request,
        "photos/compare.html",
        {
            "patient": patient,
            "series": series,
            "chosen": chosen,
            "before": before,
            "after": after,
        },
    )
