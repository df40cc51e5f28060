"""Two app servers and a worker on one PostgreSQL database, as in the operator guide.

Two real `mesoclinic serve` processes (gunicorn) on free ports and one `mesoclinic
worker`: a receptionist signs in on one server and books on both with the same
session; two bookings of the same slot sent to the two servers at the same moment
end with one appointment (the database refuses the other); the reminders of the day
are sent by the worker, not by either server.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests
from django.conf import settings

from mesoclinic.jobs.models import BackgroundJob, JobStatus
from mesoclinic.scheduling.models import Appointment
from tests.conftest import PASSWORD

POSTGRES = settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
pytestmark = pytest.mark.skipif(
    not POSTGRES,
    reason="several app servers share one PostgreSQL database; SQLite is for a single "
    "server (run with DATABASE_URL=postgres://...)",
)
SRC = Path(__file__).resolve().parents[2] / "src"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _database_url() -> str:
    from django.db import connection

    db = connection.settings_dict
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def _env(var: Path) -> dict:
    return {
        **os.environ,
        "PYTHONPATH": str(SRC),
        "DATABASE_URL": _database_url(),
        "TASKS_BACKEND": "database",
        "DEBUG": "false",
        "MESOCLINIC_VAR": str(var),
        "EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend",
        "LOG_LEVEL": "WARNING",
    }


def _start(args: list[str], env: dict, log: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "mesoclinic", *args],
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def _wait_up(url: str, process: subprocess.Popen, log: Path, timeout_s: float = 90) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"{url} did not start:\n{log.read_text()[-3000:]}")
        try:
            if requests.get(f"{url}/healthz", timeout=10).status_code == 200:
                return
        except (requests.ConnectionError, requests.Timeout):
            pass
        time.sleep(0.3)
    pytest.fail(f"{url} did not answer within {timeout_s} s:\n{log.read_text()[-3000:]}")


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, 15)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, 9)
            process.wait()


def _csrf(session: requests.Session, url: str) -> str:
    page = session.get(url, timeout=30)
    assert page.status_code == 200, (url, page.status_code)
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)


def _book(session, base, *, patient, practitioner, day: dt.date, time_: str):
    url = f"{base}/schedule/book/?patient={patient.pk}"
    token = _csrf(session, url)
    return session.post(
        url,
        data={
            "csrfmiddlewaretoken": token,
            "patient": patient.pk,
            "practitioner": practitioner.pk,
            "day": day.isoformat(),
            "time": time_,
            "duration": 30,
            "technique_id": "",
            "notes": "",
        },
        headers={"Referer": url},
        allow_redirects=False,
        timeout=60,
    )


@pytest.mark.django_db(transaction=True)
def test_two_servers_share_the_session_refuse_a_double_booking_and_a_worker_sends(
    world, patient_of, tmp_path
):
    patient = patient_of(world)
    patient.email = "elena@example.org"
    patient.save()
    practitioner = world.users["practitioner"]
    today = dt.date.today()
    day = today + dt.timedelta(days=7 - today.weekday() + 7)  # a Monday, 1-2 weeks ahead

    env = _env(tmp_path)
    servers, logs = [], []
    for name in ("a", "b"):
        port = _free_port()
        log = tmp_path / f"server-{name}.log"
        args = ["serve", "--no-migrate", "--bind", f"127.0.0.1:{port}"]
        process = _start([*args, "--workers", "1", "--threads", "2"], env, log)
        servers.append((f"http://127.0.0.1:{port}", process))
        logs.append(log)
    worker_log = tmp_path / "worker.log"
    worker = _start(["worker", "--interval", "0.2"], env, worker_log)
    try:
        for (url, process), log in zip(servers, logs, strict=True):
            _wait_up(url, process, log)
        (a, _), (b, _) = servers

        # Sign in on A; the same cookie is a signed-in session on B (sessions in the DB).
        browser = requests.Session()
        token = _csrf(browser, f"{a}/login/")
        signed_in = browser.post(
            f"{a}/login/",
            data={
                "csrfmiddlewaretoken": token,
                "username": world.users["receptionist"].username,
                "password": PASSWORD,
            },
            headers={"Referer": f"{a}/login/"},
            allow_redirects=False,
            timeout=60,
        )
        assert signed_in.status_code == 302, signed_in.text[-2000:]
        on_b = browser.get(f"{b}/schedule/", allow_redirects=False, timeout=60)
        assert on_b.status_code == 200, "B does not know the session made on A"

        booked_a = _book(
            browser, a, patient=patient, practitioner=practitioner, day=day, time_="10:00"
        )
        booked_b = _book(
            browser, b, patient=patient, practitioner=practitioner, day=day, time_="11:00"
        )
        assert (booked_a.status_code, booked_b.status_code) == (302, 302)

        # The same slot from both servers at once: one appointment, one refusal.
        start = threading.Barrier(2)
        answers: dict[str, requests.Response] = {}

        def book_noon(base: str) -> None:
            session = requests.Session()
            session.cookies.update(browser.cookies)
            url = f"{base}/schedule/book/?patient={patient.pk}"
            token = _csrf(session, url)
            start.wait()
            answers[base] = session.post(
                url,
                data={
                    "csrfmiddlewaretoken": token,
                    "patient": patient.pk,
                    "practitioner": practitioner.pk,
                    "day": day.isoformat(),
                    "time": "12:00",
                    "duration": 30,
                    "technique_id": "",
                    "notes": "",
                },
                headers={"Referer": url},
                allow_redirects=False,
                timeout=60,
            )

        threads = [threading.Thread(target=book_noon, args=(base,)) for base in (a, b)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        codes = sorted(r.status_code for r in answers.values())
        assert codes == [200, 302], codes  # one booked (redirect), one form sent back
        refused = next(r for r in answers.values() if r.status_code == 200)
        assert "error" in refused.text
        noon = dt.datetime.combine(day, dt.time(12), tzinfo=world.clinic.zone)
        assert Appointment.objects.filter(starts_at=noon, practitioner=practitioner).count() == 1
        assert Appointment.objects.filter(patient=patient).count() == 3

        # The day's reminders: queued by the command, sent by the worker process.
        queued = subprocess.run(
            [sys.executable, "-m", "mesoclinic", "reminders", "--date", day.isoformat()],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert queued.returncode == 0, queued.stderr
        deadline = time.monotonic() + 60
        job = None
        while time.monotonic() < deadline:
            job = BackgroundJob.objects.filter(kind="reminders", clinic=world.clinic).first()
            if job is not None and job.finished:
                break
            time.sleep(0.3)
        assert job is not None and job.status == JobStatus.DONE, worker_log.read_text()[-3000:]
        assert job.message == "3 / 3"
    finally:
        for _url, process in servers:
            _stop(process)
        _stop(worker)
    assert worker_log.read_text().count("Reminder: your appointment") == 3
