"""Tasks the worker tests run (module level, so the worker imports them by path)."""

from __future__ import annotations

import smtplib

from django.core.cache import cache
from django_tasks import task

from mesoclinic.jobs.services import JobError, job_progress
from mesoclinic.jobs.worker import retry


@task()
def count_to(n: int) -> int:
    for i in range(1, n + 1):
        job_progress(i / n, f"{i} / {n}")
    return n


@task()
@retry(smtplib.SMTPException, max_attempts=3, backoff_s=60)
def mail_flaky(key: str, failures: int) -> str:
    """Fails with a mail error the first `failures` times (counted in the shared cache)."""
    tries = cache.get(key, 0) + 1
    cache.set(key, tries)
    if tries <= failures:
        raise smtplib.SMTPServerDisconnected("connection unexpectedly closed")
    return f"sent after {tries}"


@task()
def broken(words: str = "") -> None:
    if words:
        raise JobError(words)
    raise KeyError("no such thing")
