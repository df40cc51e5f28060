"""Signed documents drawn by the worker, so their first download is read from storage.

When a consent, a photo consent or a session is signed (and when an aftercare sheet's
content changes: the next visit booked, moved or cancelled), the service asks for the
document to be drawn once its transaction commits. The worker renders the same HTML
the download renders (one function per document, so the hashes match) and stores the
PDF through `web.documents.document_pdf`; a download before the worker got to it draws
the document itself, as before.

These tasks are enqueued bare, without a job on the Background work page (a row per
signature would bury the work people follow there); one that fails for good gets its
job then (`job_on_failure`), with the reason and **Run again**. A backend that runs
tasks at once (the immediate backend, the test suite's default) is not asked: drawing
inside the request would only move the wait from the download to the signature.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import DatabaseError, transaction
from django_tasks import task
from django_tasks.base import Task

from mesoclinic.jobs.services import job_on_failure
from mesoclinic.jobs.worker import retry
from mesoclinic.web.documents import patient_documents_delete

logger = logging.getLogger(__name__)

KIND = "documents"  # its label is registered in web.apps

# Storage that cannot be reached and a busy database pass; a template or drawing error
# would fail again, so it fails at once and is shown.
TRANSIENT = (OSError, DatabaseError)


def _draw_later(task_: Task, **kwargs) -> None:
    if not task_.get_backend().supports_defer:
        return
    # robust: the signature is committed; a queue that refuses the task only loses the
    # head start (the download draws the document).
    transaction.on_commit(lambda: task_.enqueue(**kwargs), robust=True)


def consent_document_draw_later(*, consent) -> None:
    """Draw the signed consent's PDF in the background once the transaction commits."""
    _draw_later(
        consent_document_draw,
        organisation_id=consent.organisation_id,
        clinic_id=consent.plan.clinic_id,
        consent_id=consent.pk,
    )


def photo_consent_document_draw_later(*, consent) -> None:
    """Draw the photo consent's PDF (signed or just withdrawn) once the transaction commits."""
    _draw_later(
        photo_consent_document_draw,
        organisation_id=consent.organisation_id,
        clinic_id=consent.clinic_id,
        photo_consent_id=consent.pk,
    )


def session_documents_draw_later(*, session, record: bool = True) -> None:
    """Draw a signed session's record (each language) and aftercare sheet after commit."""
    _draw_later(
        session_documents_draw,
        organisation_id=session.organisation_id,
        clinic_id=session.clinic_id,
        session_id=session.pk,
        record=record,
    )


def aftercare_redraw_later(*, organisation_id: int, patient_id: int) -> None:
    """The patient's next visit changed: draw their latest aftercare sheet again after commit.

    Only the latest signed session's sheet is drawn ahead (the one the patient is
    following); an older one, when asked for, is drawn at its download.
    """
    from mesoclinic.charting.models import SessionStatus, TreatmentSession

    if not session_documents_draw.get_backend().supports_defer:
        return

    def enqueue() -> None:
        latest = (
            TreatmentSession.objects.filter(
                organisation_id=organisation_id, patient_id=patient_id, status=SessionStatus.SIGNED
            )
            .order_by("-session_date", "-pk")
            .values("pk", "clinic_id")
            .first()
        )
        if latest is not None:
            session_documents_draw.enqueue(
                organisation_id=organisation_id,
                clinic_id=latest["clinic_id"],
                session_id=latest["pk"],
                record=False,
            )

    transaction.on_commit(enqueue, robust=True)


def _erased(*, organisation_id: int, patient_id: int) -> bool:
    from mesoclinic.interop.models import ErasureRequest, ErasureStatus

    return ErasureRequest.objects.filter(
        organisation_id=organisation_id, patient_id=patient_id, status=ErasureStatus.ANONYMISED
    ).exists()


def _drawn(*, organisation_id: int, patient_id: int, draw) -> bool:
    """Run `draw` unless the patient was anonymised; a file stored while the patient was
    being anonymised (their folder emptied meanwhile) is removed again."""
    if _erased(organisation_id=organisation_id, patient_id=patient_id):
        return False
    draw()
    if _erased(organisation_id=organisation_id, patient_id=patient_id):
        patient_documents_delete(organisation_id=organisation_id, patient_id=patient_id)
        return False
    return True


@task()
@retry(*TRANSIENT, max_attempts=4, backoff_s=30)
@job_on_failure(KIND)
def consent_document_draw(*, organisation_id: int, clinic_id: int, consent_id: int) -> bool:
    """Draw and store a signed consent's PDF; False if there is nothing (left) to draw."""
    from mesoclinic.consultations.documents import consent_pdf
    from mesoclinic.consultations.models import Consent

    consent = (
        Consent.objects.select_related("plan")
        .filter(organisation_id=organisation_id, pk=consent_id)
        .first()
    )
    if consent is None:
        return False
    return _drawn(
        organisation_id=organisation_id,
        patient_id=consent.patient_id,
        draw=lambda: consent_pdf(consent=consent),
    )


@task()
@retry(*TRANSIENT, max_attempts=4, backoff_s=30)
@job_on_failure(KIND)
def photo_consent_document_draw(
    *, organisation_id: int, clinic_id: int, photo_consent_id: int
) -> bool:
    """Draw and store a photo consent's PDF as it stands; False if there is nothing to draw."""
    from mesoclinic.photos.documents import photo_consent_pdf
    from mesoclinic.photos.models import PhotoConsent

    consent = (
        PhotoConsent.objects.select_related("clinic")
        .filter(organisation_id=organisation_id, pk=photo_consent_id)
        .first()
    )
    if consent is None:
        return False
    return _drawn(
        organisation_id=organisation_id,
        patient_id=consent.patient_id,
        draw=lambda: photo_consent_pdf(consent=consent),
    )


@task()
@retry(*TRANSIENT, max_attempts=4, backoff_s=30)
@job_on_failure(KIND)
def session_documents_draw(
    *, organisation_id: int, clinic_id: int, session_id: int, record: bool = True
) -> bool:
    """Draw and store a signed session's aftercare sheet in the patient's language and,
    with `record`, its record in each language of the interface."""
    from mesoclinic.charting.aftercare import aftercare_pdf
    from mesoclinic.charting.models import SessionStatus, TreatmentSession
    from mesoclinic.charting.record import session_record_pdf

    session = (
        TreatmentSession.objects.select_related("patient", "clinic")
        .filter(organisation_id=organisation_id, pk=session_id, status=SessionStatus.SIGNED)
        .first()
    )
    if session is None:
        return False

    def draw() -> None:
        # The language the download defaults to, for staff and on the portal.
        aftercare_pdf(session=session, language=session.patient.preferred_language or "en")
        if record:
            for language, _name in settings.LANGUAGES:
                session_record_pdf(session=session, language=language)

    return _drawn(organisation_id=organisation_id, patient_id=session.patient_id, draw=draw)
