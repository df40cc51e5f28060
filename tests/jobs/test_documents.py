# ruff: noqa: F811  (fixtures are imported, then requested by name)
"""Signed documents are drawn by the worker after signing, so their download is read
from storage; a drawing that fails for good is shown on Background work; erasure still
removes every stored file, even one a queued drawing would have made afterwards."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from mesoclinic.charting.services import addendum_create, session_sign
from mesoclinic.consultations.services import consent_sign
from mesoclinic.jobs.models import BackgroundJob, JobStatus
from mesoclinic.jobs.services import job_retry
from mesoclinic.jobs.worker import run_pending
from mesoclinic.patients.models import Patient
from mesoclinic.photos.services import photo_consent_sign, photo_consent_withdraw
from mesoclinic.scheduling.services import appointment_status_set
from mesoclinic.web import document_tasks
from tests.charting.conftest import day  # noqa: F401
from tests.charting.factories import NOW, book, charted
from tests.consultations.conftest import TODAY, clinic_case, signature_png  # noqa: F401
from tests.pdf_text import internal_words, pdf_text
from tests.scheduling.conftest import active_plan, at, clinic_setup  # noqa: F401

DATABASE = override_settings(TASKS={"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}})


def _files(patient) -> dict[str, bytes]:
    folder = f"documents/{patient.organisation_id}/patient-{patient.pk}"
    if not default_storage.exists(folder):
        return {}
    return {
        name: default_storage.open(f"{folder}/{name}", "rb").read()
        for name in default_storage.listdir(folder)[1]
    }


def _queued(task) -> list[DBTaskResult]:
    return list(
        DBTaskResult.objects.filter(task_path=task.module_path, status=TaskResultStatus.READY)
    )


def _client(user, language: str = "en") -> Client:
    type(user).objects.filter(pk=user.pk).update(language=language)
    client = Client()
    client.force_login(user)
    return client


def _served_from_storage(client: Client, url: str, patient) -> bytes:
    """Download `url`; it must be one of the stored files and no new file may appear."""
    before = _files(patient)
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert _files(patient) == before, "the download drew a document instead of reading it"
    assert response.content in before.values()
    return response.content


def _sign_session(day, django_capture_on_commit_callbacks, language: str):
    Patient.objects.filter(pk=day.patient.pk).update(preferred_language=language)
    session = charted(day)  # (check-in commits first: its callbacks are not the signature's)
    with django_capture_on_commit_callbacks(execute=True):
        return session_sign(scope=day.scope, session=session, now=NOW)


@pytest.mark.django_db
@DATABASE
@pytest.mark.parametrize(
    ("language", "record_words", "aftercare_words"),
    [
        ("en", "Session record", "Aftercare"),
        ("ru", "Протокол сеанса", "Рекомендации"),
    ],
)
def test_a_signed_session_is_drawn_by_the_worker_and_its_downloads_read_from_storage(
    day, django_capture_on_commit_callbacks, language, record_words, aftercare_words
):
    session = _sign_session(day, django_capture_on_commit_callbacks, language)
    (queued,) = _queued(document_tasks.session_documents_draw)
    assert queued.args_kwargs["kwargs"]["session_id"] == session.pk
    assert queued.args_kwargs["kwargs"]["organisation_id"] == day.world.organisation.pk
    assert _files(day.patient) == {}  # nothing drawn inside the signature's request
    assert not BackgroundJob.objects.exists()  # no row per document on the page

    assert run_pending() == 1
    stored = _files(day.patient)
    # The record in both languages of the interface, the sheet in the patient's.
    assert sorted(n.split("-")[0] for n in stored) == ["aftercare", "record", "record"]
    assert run_pending() == 0

    client = _client(day.world.users["practitioner"], language)
    record = pdf_text(
        _served_from_storage(client, f"/sessions/{session.pk}/record.pdf", day.patient)
    )
    assert record_words in record and internal_words(record) == []
    sheet = pdf_text(
        _served_from_storage(client, f"/sessions/{session.pk}/aftercare.pdf", day.patient)
    )
    assert aftercare_words in sheet and internal_words(sheet) == []


@pytest.mark.django_db
@DATABASE
def test_an_addendum_or_a_cancelled_next_visit_draws_the_changed_documents_again(
    day, django_capture_on_commit_callbacks
):
    session = _sign_session(day, django_capture_on_commit_callbacks, "en")
    nxt = book(day.world, day.plan, hhmm="16:00", session_number=2)
    nxt.starts_at = at("2026-12-09", "10:00")
    nxt.ends_at = nxt.starts_at + dt.timedelta(minutes=45)
    nxt.save()
    run_pending()
    client = _client(day.world.users["practitioner"])
    url = f"/sessions/{session.pk}/aftercare.pdf"
    assert "9 Dec 2026 at 10:00" in pdf_text(_served_from_storage(client, url, day.patient))

    with django_capture_on_commit_callbacks(execute=True):
        appointment_status_set(
            scope=day.world.scope("receptionist"),
            appointment=nxt,
            status="cancelled",
            reason="Travelling",
            expected_version=nxt.version,
        )
    (queued,) = _queued(document_tasks.session_documents_draw)
    assert queued.args_kwargs["kwargs"] == {
        "organisation_id": day.world.organisation.pk,
        "clinic_id": day.world.clinic.pk,
        "session_id": session.pk,
        "record": False,
    }
    run_pending()
    sheet = pdf_text(_served_from_storage(client, url, day.patient))
    assert "9 Dec 2026" not in sheet and "7 Dec 2026" in sheet  # the window to book in

    with django_capture_on_commit_callbacks(execute=True):
        addendum_create(
            scope=day.scope, session=session, text="Mild redness, gone by evening.", now=NOW
        )
    run_pending()
    record = pdf_text(
        _served_from_storage(client, f"/sessions/{session.pk}/record.pdf", day.patient)
    )
    assert "Mild redness, gone by evening." in record


@pytest.mark.django_db
@DATABASE
@pytest.mark.parametrize(("language", "words"), [("en", "Signed by"), ("ru", "Подписал(а)")])
def test_a_signed_consent_is_drawn_by_the_worker_in_its_language(
    clinic_case, django_capture_on_commit_callbacks, language, words
):
    Patient.objects.filter(pk=clinic_case.patient.pk).update(preferred_language=language)
    clinic_case.patient.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        consent = consent_sign(
            scope=clinic_case.scope,
            plan=clinic_case.make_plan(),
            signer_name="Elena Ivanova",
            signature=signature_png(),
            now=NOW,
            today=TODAY,
        )
    assert len(_queued(document_tasks.consent_document_draw)) == 1
    assert _files(clinic_case.patient) == {}
    assert run_pending() == 1
    assert len(_files(clinic_case.patient)) == 1
    client = _client(clinic_case.world.users["practitioner"])
    text = pdf_text(
        _served_from_storage(
            client, f"/consultations/consents/{consent.pk}/pdf/", clinic_case.patient
        )
    )
    assert words in text and "Elena Ivanova" in text and internal_words(text) == []


@pytest.mark.django_db
@DATABASE
def test_a_photo_consent_is_drawn_when_signed_and_again_when_withdrawn(
    clinic_case, django_capture_on_commit_callbacks
):
    scope = clinic_case.scope
    with django_capture_on_commit_callbacks(execute=True):
        consent = photo_consent_sign(
            scope=scope,
            patient=clinic_case.patient,
            use="record",
            signer_name="Elena Ivanova",
            signature=signature_png(),
            now=NOW,
            today=TODAY,
        )
    assert run_pending() == 1
    client = _client(clinic_case.world.users["practitioner"])
    url = f"/photos/consents/{consent.pk}/pdf/"
    assert "Withdrawn" not in pdf_text(_served_from_storage(client, url, clinic_case.patient))

    # A session record stored earlier may show photographs the withdrawal hides.
    patient = clinic_case.patient
    record = f"documents/{patient.organisation_id}/patient-{patient.pk}/record-1-0a1b.pdf"
    default_storage.save(record, ContentFile(b"%PDF-1.7 stored record"))
    with django_capture_on_commit_callbacks(execute=True):
        photo_consent_withdraw(scope=scope, consent=consent, reason="Changed my mind", now=NOW)
    assert not default_storage.exists(record)
    assert run_pending() == 1
    assert len(_files(clinic_case.patient)) == 2
    assert "Withdrawn" in pdf_text(_served_from_storage(client, url, clinic_case.patient))


@pytest.mark.django_db
@DATABASE
def test_a_drawing_that_fails_for_good_is_shown_and_can_be_run_again(
    day, django_capture_on_commit_callbacks, settings, tmp_path
):
    media = settings.MEDIA_ROOT
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("storage that cannot be written")
    settings.MEDIA_ROOT = blocked
    session = _sign_session(day, django_capture_on_commit_callbacks, "en")
    (row,) = _queued(document_tasks.session_documents_draw)
    for _attempt in range(4):  # transient (storage): tried again after a back-off, 4 times
        assert not BackgroundJob.objects.exists()
        DBTaskResult.objects.filter(pk=row.pk).update(run_after=timezone.now())
        assert run_pending() == 1
    row.refresh_from_db()
    assert row.status == TaskResultStatus.FAILED
    job = BackgroundJob.objects.get()
    assert job.status == JobStatus.FAILED and job.kind == "documents"
    assert (job.organisation_id, job.clinic_id) == (day.world.organisation.pk, day.world.clinic.pk)
    assert job.attempts == 4 and job.error

    owner = _client(day.world.users["owner"])
    page = owner.get(reverse("jobs:list")).content.decode()
    assert "PDF of a signed document" in page and "Failed" in page

    settings.MEDIA_ROOT = media
    job_retry(job=job)
    assert run_pending() == 1
    job.refresh_from_db()
    assert job.status == JobStatus.DONE and BackgroundJob.objects.count() == 1
    assert len(_files(day.patient)) == 3
    _served_from_storage(
        _client(day.world.users["practitioner"]), f"/sessions/{session.pk}/record.pdf", day.patient
    )


@pytest.mark.django_db
@DATABASE
def test_erasure_removes_the_drawn_files_and_a_drawing_queued_before_it_makes_none(
    day, django_capture_on_commit_callbacks
):
    from mesoclinic.interop.models import ErasureRequest, ErasureStatus
    from mesoclinic.interop.services import request_erasure

    session = _sign_session(day, django_capture_on_commit_callbacks, "en")
    run_pending()
    assert len(_files(day.patient)) == 3
    with django_capture_on_commit_callbacks(execute=True):
        addendum_create(scope=day.scope, session=session, text="Seen again.", now=NOW)
    assert len(_queued(document_tasks.session_documents_draw)) == 1  # not run yet

    with django_capture_on_commit_callbacks(execute=True):
        erasure = request_erasure(day.patient)
    if erasure.status != ErasureStatus.ANONYMISED:  # signed records kept by law until now
        from mesoclinic.interop.services import retention_run

        ErasureRequest.objects.filter(pk=erasure.pk).update(retain_until=TODAY)
        with django_capture_on_commit_callbacks(execute=True):
            retention_run(now=dt.datetime.now(dt.UTC))
    assert _files(day.patient) == {}
    assert run_pending() == 1  # the queued drawing finds the patient anonymised
    assert _files(day.patient) == {}


@pytest.mark.django_db
@DATABASE
def test_a_drawing_is_scoped_to_its_organisation(day, django_capture_on_commit_callbacks):
    from mesoclinic.accounts.services import organisation_create

    session = _sign_session(day, django_capture_on_commit_callbacks, "en")
    other = organisation_create(name="Another organisation")
    assert not document_tasks.session_documents_draw.call(
        organisation_id=other.pk, clinic_id=None, session_id=session.pk
    )
    assert _files(day.patient) == {}


@pytest.mark.django_db
def test_with_the_immediate_backend_signing_queues_and_draws_nothing(
    day, django_capture_on_commit_callbacks
):
    _sign_session(day, django_capture_on_commit_callbacks, "en")
    assert not DBTaskResult.objects.exists() and _files(day.patient) == {}
