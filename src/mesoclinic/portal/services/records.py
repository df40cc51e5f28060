"""Remote consent and "my treatments": the clinic's own texts and PDFs, for the patient."""

from __future__ import annotations

import base64
import datetime as dt
import io

from django.db import transaction

from mesoclinic.accounts.models import Role
from mesoclinic.consultations.models import PlanStatus, TreatmentPlan
from mesoclinic.consultations.services import consent_sign
from mesoclinic.patients.models import Patient
from mesoclinic.portal.services.access import portal_scope

SIGNATURE_FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Oblique.ttf"


def plans_to_consent(*, patient: Patient):
    """The patient's draft plans with no signed consent for the plan as it stands."""
    return [
        plan
        for plan in TreatmentPlan.objects.filter(patient=patient, status=PlanStatus.DRAFT)
        .select_related("clinic", "practitioner")
        .prefetch_related("consents")
        if not any(c.risk_hash == plan.risk_hash for c in plan.consents.all())
    ]


def typed_signature(name: str) -> str:
    """A typed name drawn as a signature image (PNG data URL), for a patient who types.

    Stored like a drawn signature, with the typed name beside it; the audit trail says
    it was typed on the portal.
    """
    from PIL import Image, ImageDraw, ImageFont

    try:
        font = ImageFont.truetype(SIGNATURE_FONT, 40)
    except OSError:
        font = ImageFont.load_default(size=40)
    image = Image.new("RGBA", (900, 120), (255, 255, 255, 0))
    ImageDraw.Draw(image).text((16, 30), name.strip()[:40], font=font, fill=(0, 0, 0, 255))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


@transaction.atomic
def consent_sign_online(
    *,
    patient: Patient,
    plan: TreatmentPlan,
    signer_name: str,
    drawn: str,
    now: dt.datetime,
    request=None,
):
    """The patient signs their plan's consent on the portal: the clinic's text and service.

    `drawn` is the signature pad's image; without one the typed name is the signature.
    """
    if plan.patient_id != patient.pk:
        raise TreatmentPlan.DoesNotExist
    scope = portal_scope(patient=patient, clinic=plan.clinic, roles=frozenset({Role.NURSE}))
    return consent_sign(
        scope=scope,
        plan=plan,
        signer_name=signer_name,
        signature=drawn or typed_signature(signer_name),
        now=now,
        today=now.astimezone(plan.clinic.zone).date(),
        request=request,
    )


@transaction.atomic
def photo_consent_sign_online(
    *,
    patient: Patient,
    clinic,
    use: str,
    signer_name: str,
    drawn: str,
    now: dt.datetime,
    request=None,
):
    """The patient signs the photo consent on the portal: the clinic's text and service.

    `use` is how the photographs may be used (record, education, marketing); `drawn`
    the signature pad's image, without which the typed name is the signature.
    """
    from mesoclinic.photos.services import photo_consent_sign

    if clinic.organisation_id != patient.organisation_id:
        raise Patient.DoesNotExist
    scope = portal_scope(patient=patient, clinic=clinic, roles=frozenset({Role.NURSE}))
    return photo_consent_sign(
        scope=scope,
        patient=patient,
        use=use,
        signer_name=signer_name,
        signature=drawn or typed_signature(signer_name),
        now=now,
        today=now.astimezone(clinic.zone).date(),
        request=request,
    )


@transaction.atomic
def photo_consent_withdraw_online(
    *, patient: Patient, consent, reason: str, now: dt.datetime, request=None
):
    """The patient withdraws their own photo consent on the portal."""
    from mesoclinic.photos.services import photo_consent_withdraw

    if consent.patient_id != patient.pk:
        raise Patient.DoesNotExist
    scope = portal_scope(patient=patient, clinic=consent.clinic, roles=frozenset({Role.NURSE}))
    return photo_consent_withdraw(
        scope=scope, consent=consent, reason=reason, now=now, request=request
    )
