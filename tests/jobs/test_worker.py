"""The database queue and its worker: tasks run once, progress is kept, transient
failures are tried again after a back-off, and a failure is shown, not lost."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from mesoclinic.jobs.models import BackgroundJob, JobStatus
from mesoclinic.jobs.services import job_enqueue, job_retry
from mesoclinic.jobs.worker import run_pending
from tests.jobs import tasks

DATABASE = override_settings(TASKS={"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}})


def _start(world, task, *args, **kwargs) -> BackgroundJob:
    return job_enqueue(
        task,
        *args,
        organisation_id=world.organisation.pk,
        clinic_id=world.clinic.pk,
        kind="reminders",
        created_by=world.users["owner"],
        **kwargs,
    )


@pytest.mark.django_db
@DATABASE
def test_a_queued_job_waits_for_the_worker_then_runs_once_with_its_progress(world):
    job = _start(world, tasks.count_to, 4)
    assert job.status == JobStatus.QUEUED and job.task_result_id
    row = DBTaskResult.objects.get(pk=job.task_result_id)
    assert row.status == TaskResultStatus.READY and row.args_kwargs["args"] == [4]

    assert run_pending() == 1
    assert run_pending() == 0  # nothing runs twice
    job.refresh_from_db()
    row.refresh_from_db()
    assert row.status == TaskResultStatus.SUCCESSFUL and row.return_value == 4
    assert len(row.worker_ids) == 1
    assert job.status == JobStatus.DONE and job.progress == 1.0 and job.attempts == 1
    assert job.message == "4 / 4"
    result = tasks.count_to.get_result(job.task_result_id)
    assert result.return_value == 4


@pytest.mark.django_db
@DATABASE
def test_a_transient_failure_is_tried_again_after_a_growing_back_off(world):
    job = _start(world, tasks.mail_flaky, "flaky-1", 2)
    before = timezone.now()
    run_pending()
    row = DBTaskResult.objects.get(pk=job.task_result_id)
    job.refresh_from_db()
    # Queued again for a minute later, not failed; the page says so.
    assert row.status == TaskResultStatus.READY
    assert "SMTPServerDisconnected" in row.traceback  # the last error, for the log
    assert (
        before + dt.timedelta(seconds=59)
        < row.run_after
        < timezone.now() + dt.timedelta(seconds=61)
    )
    assert job.status == JobStatus.QUEUED and job.error == "mail" and job.next_attempt_at
    assert run_pending() == 0  # not due yet

    first_wait = row.run_after - row.started_at
    DBTaskResult.objects.filter(pk=row.pk).update(run_after=timezone.now())  # a minute passes
    run_pending()
    row.refresh_from_db()
    assert row.status == TaskResultStatus.READY
    assert row.run_after - row.started_at > first_wait * 1.9  # doubled: two minutes

    DBTaskResult.objects.filter(pk=row.pk).update(run_after=timezone.now())
    run_pending()
    row.refresh_from_db()
    job.refresh_from_db()
    assert row.status == TaskResultStatus.SUCCESSFUL and row.return_value == "sent after 3"
    assert len(row.worker_ids) == 3  # one entry per attempt
    assert job.status == JobStatus.DONE and job.attempts == 3 and job.error == ""


@pytest.mark.django_db
@DATABASE
def test_after_the_last_attempt_the_job_fails_and_an_owner_can_run_it_again(world):
    job = _start(world, tasks.mail_flaky, "flaky-2", 3)
    for _ in range(3):
        DBTaskResult.objects.filter(status=TaskResultStatus.READY).update(run_after=timezone.now())
        run_pending()
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and job.error == "mail"
    assert DBTaskResult.objects.get(pk=job.task_result_id).status == TaskResultStatus.FAILED

    job = job_retry(job=job)
    assert job.status == JobStatus.QUEUED and job.error == "" and job.attempts == 0
    run_pending()
    job.refresh_from_db()
    assert job.status == JobStatus.DONE


@pytest.mark.django_db
@DATABASE
def test_an_unexpected_error_fails_at_once_in_plain_words(world):
    job = _start(world, tasks.broken)
    worded = _start(world, tasks.broken, words="The file has no rows.")
    call_command("jobs_worker", batch=True, verbosity=0)
    job.refresh_from_db()
    worded.refresh_from_db()
    assert job.status == JobStatus.FAILED and job.error == "unexpected"
    assert worded.status == JobStatus.FAILED and worded.error == "The file has no rows."
    assert "Traceback" in DBTaskResult.objects.get(pk=job.task_result_id).traceback


@pytest.mark.django_db
def test_with_the_immediate_backend_tests_see_the_job_finished(world):
    job = _start(world, tasks.count_to, 2)
    assert job.status == JobStatus.DONE and job.progress == 1.0
    assert not DBTaskResult.objects.exists()


@pytest.mark.django_db
@DATABASE
def test_reminders_run_as_one_job_per_clinic_and_are_not_sent_twice(
    world, patient_of, mailoutbox, django_capture_on_commit_callbacks
):
    from mesoclinic.scheduling.tasks import reminders_enqueue
    from tests.scheduling.test_reminders import _book

    patient = patient_of(world)
    patient.email = "elena@example.org"
    patient.save()
    first = _book(world, patient, world.clinic, dt.datetime(2026, 12, 1, 10, 0))
    _book(world, patient, world.clinic, dt.datetime(2026, 12, 1, 12, 0))
    with django_capture_on_commit_callbacks(execute=True):
        assert len(reminders_enqueue(day=dt.date(2026, 12, 1))) == 2
    job = BackgroundJob.objects.get(kind="reminders")
    assert job.clinic_id == world.clinic.pk and job.status == JobStatus.QUEUED
    assert mailoutbox == []  # nothing sent before the worker runs
    run_pending()
    job.refresh_from_db()
    assert job.status == JobStatus.DONE and job.message == "2 / 2"
    assert len(mailoutbox) == 2
    # Run again (as after a failure half-way): the reminders already sent are skipped.
    BackgroundJob.objects.filter(pk=job.pk).update(status=JobStatus.FAILED)
    job_retry(job=BackgroundJob.objects.get(pk=job.pk))
    run_pending()
    assert len(mailoutbox) == 2
    assert first.pk in BackgroundJob.objects.get(pk=job.pk).task_args[1]


def test_the_worker_refuses_to_start_without_the_database_backend(capsys):
    from mesoclinic.cli import main

    assert main(["worker", "--batch"]) == 2
    assert "TASKS_BACKEND=database" in capsys.readouterr().err


@pytest.mark.django_db
@DATABASE
def test_work_left_running_by_a_killed_worker_is_queued_again_and_old_work_pruned(world):
    from mesoclinic.jobs.worker import claim_next, prune_finished, requeue_stale

    job = _start(world, tasks.count_to, 1)
    claim_next(queues=["default"], backend_alias="default", worker_id="killed")
    # The worker dies here. Another worker, started with --requeue-after, takes it up.
    an_hour = dt.timedelta(hours=1)
    DBTaskResult.objects.update(started_at=timezone.now() - an_hour)
    assert requeue_stale(older_than=dt.timedelta(minutes=30)) == 1
    assert run_pending() == 1
    job.refresh_from_db()
    assert job.status == JobStatus.DONE

    assert prune_finished(older_than=an_hour) == 0  # finished just now: kept
    BackgroundJob.objects.update(finished_at=timezone.now() - 2 * an_hour)
    DBTaskResult.objects.update(finished_at=timezone.now() - 2 * an_hour)
    assert prune_finished(older_than=an_hour) == 2
    assert not BackgroundJob.objects.exists() and not DBTaskResult.objects.exists()


@pytest.mark.django_db
def test_the_starter_follows_their_job_others_do_not_and_owners_see_all(world, make_org):
    from django.test import Client

    job = job_enqueue(
        tasks.count_to,
        2,
        organisation_id=world.organisation.pk,
        clinic_id=world.clinic.pk,
        kind="delivery_import",
        created_by=world.users["nurse"],
    )

    def get(user, url):
        client = Client()
        client.force_login(user)
        return client.get(url)

    detail = f"/background/{job.pk}/"
    assert get(world.users["nurse"], detail).status_code == 200
    assert "Done" in get(world.users["nurse"], detail).content.decode()
    assert get(world.users["receptionist"], detail).status_code == 403
    assert get(world.users["nurse"], "/background/").status_code == 403
    page = get(world.users["owner"], "/background/").content.decode()
    assert f'data-testid="job-{job.pk}"' in page and "Delivery import" in page
    stranger = make_org().users["owner"]
    assert get(stranger, detail).status_code == 404
    assert f"job-{job.pk}" not in get(stranger, "/background/").content.decode()
