"""My data: the patient asks for a copy of everything the clinic holds, downloads it, and
asks for erasure. The data-rights services do the work; here the patient is the scope."""

from __future__ import annotations

from django.db import transaction
from django.db.models import BooleanField, ExpressionWrapper, Q
from django.http import Http404

from mesoclinic.audit.models import AuditAction
from mesoclinic.audit.services import audit_record
from mesoclinic.interop.models import ErasureRequest, JobStatus, SubjectAccessRequest
from mesoclinic.interop.services import request_erasure, request_subject_access
from mesoclinic.patients.models import Patient
from mesoclinic.portal.models import PortalAccount
from mesoclinic.portal.services.access import portal_actor


def data_copies(*, patient: Patient):
    """The patient's own copies, newest first (no archive bytes loaded)."""
    return (
        SubjectAccessRequest.objects.filter(patient=patient)
        .defer("archive")
        .annotate(ready=ExpressionWrapper(Q(archive__isnull=False), output_field=BooleanField()))
    )


def data_erasures(*, patient: Patient):
    return ErasureRequest.objects.filter(patient=patient)


def data_copy_request(*, patient: Patient) -> SubjectAccessRequest:
    """A copy built in the background, the same ZIP the owner's Data rights page makes.
    One at a time: while a copy is being prepared, asking again returns that one."""
    pending = (
        data_copies(patient=patient)
        .filter(status__in=(JobStatus.PENDING, JobStatus.RUNNING))
        .first()
    )
    if pending is not None:
        return pending
    return request_subject_access(patient)


def data_copy_download(
    *, patient: Patient, access_id: int, request=None
) -> tuple[SubjectAccessRequest, bytes]:
    """The archive of one of the patient's own finished copies (404 for anyone else's or
    one not ready), audited as a download by the patient."""
    access = (
        SubjectAccessRequest.objects.filter(
            pk=access_id, patient=patient, status=JobStatus.DONE, archive__isnull=False
        )
        .only("pk", "organisation_id", "patient_id", "archive", "requested_at")
        .first()
    )
    if access is None or not access.archive:
        raise Http404
    audit_record(
        action=AuditAction.EXPORT,
        request=request,
        actor=portal_actor(organisation_id=patient.organisation_id),
        organisation_id=patient.organisation_id,
        obj=access,
        patient_id=patient.pk,
        detail={"portal": True, "subject_access": access.pk, "download": True},
    )
    return access, bytes(access.archive)


@transaction.atomic
def data_erasure_request(*, patient: Patient, reason: str = "") -> ErasureRequest:
    """The patient's erasure request, recorded for the clinic's owner (it shows on the
    patient's Data rights page and the owner's home page) and carried out as the
    data-rights service does: what no law requires is erased now, signed clinical records
    are kept for the legal period. The portal account goes too: its e-mail address is
    contact data, so the account is closed and the patient signed out.
    Asking again returns the first request."""
    earlier = data_erasures(patient=patient).order_by("pk").first()
    if earlier is not None:
        return earlier
    erasure = request_erasure(patient, requested_by=None, reason=reason.strip())
    for account in PortalAccount.objects.select_for_update().filter(patient=patient):
        account.tokens.all().delete()
        account.email = f"erased-{account.pk}@portal.invalid"
        account.password = ""
        account.active = False
        account.save(update_fields=["email", "password", "active"])
    erasure.refresh_from_db()  # anonymised at once when no signed record is kept
    return erasure
