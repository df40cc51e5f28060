"""Writes for clinical photographs and photo consents: scoped, transactional, audited.

Files go through Django's storage API (`default_storage`): local disk under
MEDIA_ROOT by default, an S3-compatible bucket when configured. Nothing is written
for an upload that is refused; a photograph that fails a quality check is stored
only when the user chooses to keep it, and is then marked.
"""

from __future__ import annotations

import datetime as dt
import uuid

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from mesoclinic.accounts.models import Clinic
from mesoclinic.accounts.scope import Scope
from mesoclinic.audit.models import AuditAction
from mesoclinic.audit.services import audit_record
from mesoclinic.consultations.consent import text_sha256

# The consultations' signature check is the one place that decides what a signature is.
from mesoclinic.consultations.services import _signature_png
from mesoclinic.core.knowledge.loader import load_knowledge
from mesoclinic.patients.models import Patient
from mesoclinic.photos.consent import photo_consent_text
from mesoclinic.photos.models import Photo, PhotoConsent, PhotoConsentScope
from mesoclinic.photos.processing import PhotoRejected, photo_process, quality_issues
from mesoclinic.photos.selectors import baseline_of, photo_consent_current
from mesoclinic.web.document_tasks import photo_consent_document_draw_later
from mesoclinic.web.documents import patient_documents_delete

REJECTION_MESSAGES = {
    "empty": gettext_lazy("Choose a photograph to upload."),
    "too-large": gettext_lazy("The file is larger than %(mb)s MB: send a smaller photograph."),
    "not-image": gettext_lazy("This file is not a photograph: choose a JPEG, PNG or WebP image."),
    "format": gettext_lazy(
        "This kind of image is not accepted: choose a JPEG, PNG or WebP photograph."
    ),
    "wrong-type": gettext_lazy(
        "The file does not say it is an image: choose a JPEG, PNG or WebP photograph."
    ),
    "too-many-pixels": gettext_lazy("The image has too many pixels to process safely."),
    "corrupt": gettext_lazy("The image is damaged or incomplete: take or export it again."),
}

ISSUE_MESSAGES = {
    "blurred": gettext_lazy("The photograph is blurred: hold the camera still and focus."),
    "too-dark": gettext_lazy("The photograph is too dark: add light or move to a brighter place."),
    "too-bright": gettext_lazy(
        "The photograph is overexposed: reduce the light or avoid the flash glare."
    ),
    "low-resolution": gettext_lazy(
        "The photograph is too small to judge the skin: use the camera's full resolution."
    ),
    "orientation": gettext_lazy(
        "The orientation differs from the baseline of this view: turn the camera the same way."
    ),
    "framing": gettext_lazy(
        "The framing differs from the baseline of this view: match the guide and the distance."
    ),
}


class PhotoQualityIssues(ValidationError):
    """The photograph failed quality checks; nothing was stored. `issues` holds the codes."""

    def __init__(self, issues: list[str]):
        super().__init__([str(ISSUE_MESSAGES[i]) for i in issues])
        self.issues = issues


def _same_org(scope: Scope, obj) -> None:
    if obj.organisation_id != scope.organisation_id:
        raise PermissionDenied("object of another organisation")


def max_upload_bytes() -> int:
    return int(settings.PHOTO_MAX_UPLOAD_MB) * 1024 * 1024


def rejection_message(code: str) -> str:
    return str(REJECTION_MESSAGES[code]) % {"mb": settings.PHOTO_MAX_UPLOAD_MB}


@transaction.atomic
def photo_consent_sign(
    *,
    scope: Scope,
    patient: Patient,
    use: str,
    signer_name: str,
    signature: str,
    now: dt.datetime,
    today: dt.date,
    request=None,
) -> PhotoConsent:
    """Store the patient's signed photo consent for `use` (record, education or marketing)."""
    _same_org(scope, patient)
    scope.require("patients.edit_clinical")
    if use not in PhotoConsentScope.values:
        raise ValidationError({"use": _("Choose how the photographs may be used.")})
    if not signer_name.strip():
        raise ValidationError({"signer_name": _("Type the name of the person signing.")})
    png = _signature_png(signature)
    clinic = Clinic.objects.get(pk=scope.clinic_id)
    text = photo_consent_text(
        patient=patient,
        scope=use,
        clinic_name=clinic.name,
        today=today,
        clinic_locale=clinic.locale,
    )
    consent = PhotoConsent.objects.create(
        organisation_id=patient.organisation_id,
        clinic=clinic,
        patient=patient,
        scope=use,
        language=patient.preferred_language,
        text=text,
        text_sha256=text_sha256(text),
        signer_name=signer_name.strip(),
        signature_png=png,
        collected_by_id=scope.user_id,
        signed_at=now,
    )
    audit_record(
        action=AuditAction.SIGN,
        request=request,
        scope=scope,
        obj=consent,
        detail={"photo_consent": use, "sha256": consent.text_sha256},
    )
    photo_consent_document_draw_later(consent=consent)
    return consent


@transaction.atomic
def photo_consent_withdraw(
    *, scope: Scope, consent: PhotoConsent, reason: str, now: dt.datetime, request=None
) -> PhotoConsent:
    """Record the withdrawal of a photo consent; its photographs are hidden from then on."""
    _same_org(scope, consent)
    scope = scope.in_clinic(consent.clinic_id)
    scope.require("patients.edit_clinical")
    consent = PhotoConsent.objects.select_for_update().get(pk=consent.pk)
    if consent.withdrawn_at is not None:
        raise ValidationError(_("This consent has already been withdrawn."))
    consent.withdrawn_at = now
    consent.withdrawn_by_id = scope.user_id
    consent.withdrawal_reason = reason.strip()[:500]
    consent.save(update_fields=["withdrawn_at", "withdrawn_by", "withdrawal_reason"])
    audit_record(
        action=AuditAction.UPDATE,
        request=request,
        scope=scope,
        obj=consent,
        detail={"withdrawn": True, "hidden_photos": consent.photos.count()},
    )
    photo_consent_document_draw_later(consent=consent)  # it now prints the withdrawal
    # Stored session records may show the photographs now hidden: drop them, so that the
    # next download draws the record without them.
    patient_id, organisation_id = consent.patient_id, consent.organisation_id
    transaction.on_commit(
        lambda: patient_documents_delete(
            organisation_id=organisation_id, patient_id=patient_id, prefix="record-"
        )
    )
    return consent


def _check_view(zone_id: str, view_id: str) -> None:
    kb = load_knowledge()
    if zone_id not in kb.zone:
        raise ValidationError({"zone": _("Choose a zone.")})
    if view_id not in kb.zone[zone_id].photo_views:
        raise ValidationError({"view": _("Choose one of the standard views of this zone.")})


def photo_capture(
    *,
    scope: Scope,
    patient: Patient,
    data: bytes,
    content_type: str,
    zone_id: str,
    view_id: str,
    now: dt.datetime,
    session=None,
    keep: bool = False,
    request=None,
) -> Photo:
    """Process and store one photograph of `patient` taken in the scope's clinic.

    Refused (ValidationError, nothing stored) without a current photo consent, for a
    file that is not a usable image, and — unless `keep` — when a quality check
    fails (PhotoQualityIssues); a photograph kept despite its issues is marked.
    """
    _same_org(scope, patient)
    scope.require("patients.edit_clinical")
    consent = photo_consent_current(patient=patient)
    if consent is None:
        raise ValidationError(
            _("The patient has no current consent to photographs: collect it first.")
        )
    _check_view(zone_id, view_id)
    if session is not None:
        _same_org(scope, session)
        if session.patient_id != patient.pk or session.clinic_id != scope.clinic_id:
            raise ValidationError({"session": _("Choose a session of this patient.")})
    if content_type and not content_type.startswith("image/"):
        raise ValidationError({"image": rejection_message("wrong-type")})
    try:
        processed = photo_process(data, max_bytes=max_upload_bytes())
    except PhotoRejected as exc:
        raise ValidationError({"image": rejection_message(exc.code)}) from exc
    baseline = baseline_of(scope=scope, patient=patient, zone_id=zone_id, view_id=view_id)
    issues = quality_issues(
        processed.metrics, baseline=(baseline.width, baseline.height) if baseline else None
    )
    if issues and not keep:
        raise PhotoQualityIssues(issues)
    folder = f"photos/{patient.organisation_id}/{patient.pk}"
    stem = uuid.uuid4().hex
    image_name = default_storage.save(f"{folder}/{stem}.jpg", ContentFile(processed.jpeg))
    thumb_name = default_storage.save(
        f"{folder}/{stem}-thumb.jpg", ContentFile(processed.thumbnail)
    )
    try:
        with transaction.atomic():
            photo = Photo.objects.create(
                organisation_id=patient.organisation_id,
                clinic_id=scope.clinic_id,
                patient=patient,
                consent=consent,
                session=session,
                zone_id=zone_id,
                view_id=view_id,
                image=image_name,
                thumbnail=thumb_name,
                content_type="image/jpeg",
                width=processed.width,
                height=processed.height,
                size_bytes=len(processed.jpeg),
                sha256=processed.sha256,
                taken_at=now,
                operator_id=scope.user_id,
                quality=processed.metrics,
                quality_issues=issues,
            )
            audit_record(
                action=AuditAction.CREATE,
                request=request,
                scope=scope,
                obj=photo,
                detail={"zone": zone_id, "view": view_id, "kept_with_issues": issues},
            )
    except Exception:
        default_storage.delete(image_name)
        default_storage.delete(thumb_name)
        raise
    return photo
