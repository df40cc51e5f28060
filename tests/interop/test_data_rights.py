"""Subject access (a ZIP with a readable PDF in the patient's language) and erasure with
retention (signed records kept until the period ends, then anonymised: moved clock)."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import zipfile

import pytest
from pypdf import PdfReader

NOW = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)


def _pdf_text(data: bytes) -> str:
    return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "language, heading, history",
    [("en", "Your personal data", "Lidocaine"), ("ru", "Ваши персональные данные", "Лидокаин")],
)
def test_subject_access_zip_has_a_readable_summary_the_bundle_and_the_signed_consents(
    world, record, language, heading, history, django_capture_on_commit_callbacks
):
    from mesoclinic.audit.models import AuditEvent
    from mesoclinic.interop.models import JobStatus, SubjectAccessRequest
    from mesoclinic.interop.services import request_subject_access

    record.preferred_language = language
    record.save(update_fields=["preferred_language"])
    with django_capture_on_commit_callbacks(execute=True):
        access = request_subject_access(record, requested_by=world.users["owner"])
    access = SubjectAccessRequest.objects.get(pk=access.pk)
    assert access.status == JobStatus.DONE
    archive = zipfile.ZipFile(io.BytesIO(bytes(access.archive)))
    names = archive.namelist()
    assert "summary.pdf" in names and "fhir-bundle.json" in names
    consents = [n for n in names if n.startswith("consents/")]
    assert len(consents) == record.consents.count() == 1
    text = _pdf_text(archive.read("summary.pdf"))
    assert heading in text
    assert record.family_name in text
    assert history.casefold() in text.casefold()
    assert "LOT-A" in text
    assert "Course Patient" in _pdf_text(archive.read(consents[0]))
    everything = json.loads(archive.read("fhir-bundle.json"))
    assert {"resourceType": "Patient"}.items() <= everything["entry"][0]["resource"].items()
    assert AuditEvent.objects.filter(
        action="export", patient_id=record.pk, object_type="interop.SubjectAccessRequest"
    ).exists()


@pytest.mark.django_db
def test_erasure_keeps_signed_records_until_retention_ends_then_anonymises(world, record):
    from mesoclinic.audit.models import AuditEvent
    from mesoclinic.charting.models import TreatmentSession
    from mesoclinic.consultations.models import Consent
    from mesoclinic.interop.models import ErasureStatus
    from mesoclinic.interop.services import request_erasure, retention_run
    from mesoclinic.patients.models import Patient, PatientSearchToken

    world.clinic.jurisdiction = "RU"
    world.clinic.save(update_fields=["jurisdiction"])
    name, phone, email = record.family_name, record.phone, record.email
    session_day = TreatmentSession.objects.get(patient=record).session_date
    erasure = request_erasure(record, requested_by=world.users["owner"], reason="asked by phone")

    # A Russian clinic: Russian retention, 25 years after the last signed record.
    assert erasure.jurisdiction == "RU"
    assert erasure.retain_until == session_day.replace(year=session_day.year + 25)
    assert erasure.status == ErasureStatus.RETAINED
    patient = Patient.objects.get(pk=record.pk)
    assert (patient.phone, patient.email, patient.data_consent) == ("", "", False)
    assert patient.family_name == name  # the signed record still names its patient
    assert TreatmentSession.objects.filter(patient=patient, status="signed").count() == 1
    assert Consent.objects.filter(patient=patient).count() == 1
    tokens = set(PatientSearchToken.objects.filter(patient=patient).values_list("token", flat=True))
    assert not any("example" in t or t.isdigit() for t in tokens)

    # A day before the end nothing changes; the day it ends the patient is anonymised.
    end = dt.datetime.combine(erasure.retain_until, dt.time(12), tzinfo=dt.UTC)
    assert retention_run(now=end - dt.timedelta(days=1)) == []
    assert Patient.objects.get(pk=record.pk).family_name == name
    assert retention_run(now=end) == [erasure.pk]
    patient = Patient.objects.get(pk=record.pk)
    assert name not in patient.full_name
    assert (patient.birth_date.month, patient.birth_date.day) == (1, 1)
    assert TreatmentSession.objects.filter(patient=patient, status="signed").count() == 1
    erasure.refresh_from_db()
    assert erasure.status == ErasureStatus.ANONYMISED
    assert retention_run(now=end + dt.timedelta(days=1)) == []

    # The trail says what happened, and never repeats what was erased.
    events = AuditEvent.objects.filter(patient_id=record.pk, action="delete")
    assert events.count() == 2
    for event in events:
        written = json.dumps(event.detail, ensure_ascii=False) + event.object_label
        for erased in (name, phone, email):
            assert erased not in written


@pytest.mark.django_db
def test_erasure_of_a_patient_without_signed_records_anonymises_at_once(world, patient_of):
    from mesoclinic.interop.models import ErasureStatus
    from mesoclinic.interop.services import request_erasure
    from mesoclinic.patients.models import Patient

    patient = patient_of(world, family="Brief", given="Visitor", born="1992-07-14")
    erasure = request_erasure(patient)
    assert erasure.retain_until is None
    erasure.refresh_from_db()
    assert erasure.status == ErasureStatus.ANONYMISED
    assert "Brief" not in Patient.objects.get(pk=patient.pk).full_name


@pytest.mark.django_db
def test_photographs_are_in_the_archive_and_kept_until_retention_ends_then_deleted(
    world, photographed, django_capture_on_commit_callbacks
):
    from django.core.files.storage import default_storage

    from mesoclinic.audit.models import AuditEvent
    from mesoclinic.interop.models import SubjectAccessRequest
    from mesoclinic.interop.services import request_erasure, request_subject_access, retention_run
    from mesoclinic.outcomes.models import OutcomeScore
    from mesoclinic.photos.models import Photo, PhotoConsent

    world.clinic.jurisdiction = "RU"
    world.clinic.save(update_fields=["jurisdiction"])
    photo = Photo.objects.get(patient=photographed)
    consent = PhotoConsent.objects.get(patient=photographed)
    files = (photo.image, photo.thumbnail)
    with django_capture_on_commit_callbacks(execute=True):
        access = request_subject_access(photographed, requested_by=world.users["owner"])
    archive = zipfile.ZipFile(
        io.BytesIO(bytes(SubjectAccessRequest.objects.get(pk=access.pk).archive))
    )
    # The full image, named after its Media in the bundle, and the signed photo consent.
    with default_storage.open(photo.image, "rb") as fh:
        assert archive.read(f"photos/photo-{photo.pk}.jpg") == fh.read()
    (name,) = [n for n in archive.namelist() if n.startswith("consents/photo-consent-")]
    assert name.endswith(f"-{consent.pk}.pdf")
    signed = _pdf_text(archive.read(name))
    assert consent.signer_name in signed and consent.text_sha256[:16] in signed
    summary = _pdf_text(archive.read("summary.pdf"))
    assert f"photo-{photo.pk}.jpg" in summary and "WSRS" in summary
    assert not re.search(r"\b(zone|view|scale)\.[a-z]", summary)  # names, never codes
    everything = json.loads(archive.read("fhir-bundle.json"))
    assert {"Media", "Observation"} <= {e["resource"]["resourceType"] for e in everything["entry"]}

    # A photograph taken after the last session moves the end of retention with it.
    taken = dt.datetime(2027, 3, 2, 10, 0, tzinfo=dt.UTC)
    Photo.objects.filter(pk=photo.pk).update(taken_at=taken)
    erasure = request_erasure(photographed, requested_by=world.users["owner"])
    assert (erasure.jurisdiction, erasure.retain_until) == ("RU", dt.date(2052, 3, 2))
    # The consent is withdrawn at once, the photographs kept.
    consent.refresh_from_db()
    assert consent.withdrawn_at is not None and consent.withdrawal_reason
    assert erasure.erased["photo_consents_withdrawn"] == 1
    assert Photo.objects.filter(pk=photo.pk).exists()
    assert all(default_storage.exists(name) for name in files)

    end = dt.datetime.combine(erasure.retain_until, dt.time(12), tzinfo=dt.UTC)
    assert retention_run(now=end - dt.timedelta(days=1)) == []
    assert Photo.objects.filter(pk=photo.pk).exists()
    with django_capture_on_commit_callbacks(execute=True):
        assert retention_run(now=end) == [erasure.pk]
    assert not Photo.objects.filter(patient=photographed).exists()
    assert not any(default_storage.exists(name) for name in files)
    # The scores stay (anonymised with the record), no longer citing a photograph.
    assert OutcomeScore.objects.filter(patient=photographed, photo__isnull=True).count() == 2
    # The trail counts, never shows: no file names, no consent text.
    events = AuditEvent.objects.filter(patient_id=photographed.pk, action="delete")
    details = [e.detail for e in events.order_by("pk")]
    assert details[0]["erased"]["photo_consents_withdrawn"] == 1
    assert details[-1]["photos_deleted"] == 1
    written = json.dumps(details, ensure_ascii=False)
    assert all(name not in written for name in files)
    assert consent.signer_name not in written


@pytest.mark.django_db
def test_each_record_is_kept_by_the_law_of_its_own_clinic(world, record):
    """The jurisdiction is the clinic's setting, not its locale, and counts per record."""
    from mesoclinic.accounts.scope import scope_for
    from mesoclinic.charting.models import TreatmentSession
    from mesoclinic.interop.services import request_erasure
    from mesoclinic.interop.services.rights import retention_end
    from mesoclinic.outcomes.services import score_record

    session_day = TreatmentSession.objects.get(patient=record).session_date
    world.clinic.jurisdiction = "GB"
    world.clinic.locale = "ru"  # the locale no longer decides
    world.clinic.save(update_fields=["jurisdiction", "locale"])
    assert retention_end(record) == (session_day.replace(year=session_day.year + 8), "GB")

    # A score recorded later at the other clinic, whose law keeps records 25 years.
    world.other_clinic.jurisdiction = "RU"
    world.other_clinic.save(update_fields=["jurisdiction"])
    later = session_day + dt.timedelta(days=30)
    score_record(
        scope=scope_for(world.londoner, clinic_id=world.other_clinic.pk),
        patient=record,
        scale_id="scale.pain-vas",
        value="1",
        rater="subject",
        timepoint="baseline",
        scored_on=later,
        now=dt.datetime.combine(later, dt.time(12), tzinfo=dt.UTC),
        clinic_id=world.other_clinic.pk,
    )
    erasure = request_erasure(record, requested_by=world.users["owner"])
    assert erasure.jurisdiction == "GB,RU"
    assert erasure.retain_until == later.replace(year=later.year + 25)

    # The same records under shorter laws end earlier: the session's clinic sets the end.
    world.other_clinic.jurisdiction = "US"
    world.other_clinic.save(update_fields=["jurisdiction"])
    assert retention_end(record) == (later.replace(year=later.year + 10), "GB,US")


def test_erasure_removes_the_stored_pdfs_that_print_the_patients_name(
    world, patient_of, django_capture_on_commit_callbacks
):
    from django.core.files.storage import default_storage

    from mesoclinic.interop.services import request_erasure
    from mesoclinic.web.documents import document_pdf

    patient = patient_of(world, family="Stored", given="Papers", born="1990-02-03")
    kept = document_pdf(
        organisation_id=patient.organisation_id,
        patient_id=patient.pk,
        kind="aftercare-1",
        html="<p>Stored Papers</p>",
    )
    folder = f"documents/{patient.organisation_id}/patient-{patient.pk}"
    assert kept.startswith(b"%PDF") and len(default_storage.listdir(folder)[1]) == 1
    with django_capture_on_commit_callbacks(execute=True):
        request_erasure(patient)
    assert default_storage.listdir(folder)[1] == []
