"""Visit reminders: e-mail with the .ics and a portal link, SMS through the console, file
and HTTP gateway backends (the HTTP one against a real local server)."""

from __future__ import annotations

import datetime as dt
import json
import re
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from django.core import mail
from django.utils import timezone

from mesoclinic.portal.services import visit_link_appointment
from mesoclinic.scheduling.services import appointment_book
from mesoclinic.scheduling.tasks import appointment_reminder_send
from tests.portal.conftest import invite_link

pytestmark = pytest.mark.django_db


def _visit(world, patient):
    zone = world.clinic.zone
    day = timezone.now().astimezone(zone).date() + dt.timedelta(days=1)
    while day.weekday() == 6:
        day += dt.timedelta(days=1)
    return appointment_book(
        scope=world.scope("receptionist"),
        patient=patient,
        practitioner=world.users["practitioner"],
        starts_at=dt.datetime.combine(day, dt.time(11), tzinfo=zone),
        duration_min=30,
        now=timezone.now(),
    )


def _with_phone(world, patient):
    from mesoclinic.patients.services import patient_update

    return patient_update(
        scope=world.scope("receptionist"),
        patient=patient,
        today=dt.date(2026, 11, 23),
        phone="+7 900 111-22-33",
        preferred_language="ru",
    )


def test_email_reminder_carries_the_ics_and_the_portal_link(portal_world, settings, tmp_path):
    settings.PORTAL_BASE_URL = "https://clinic.example"
    settings.SMS_BACKEND = "mesoclinic.portal.sms.FileBackend"
    settings.SMS_FILE_PATH = str(tmp_path / "sms.jsonl")
    world, alpha = portal_world["world"], portal_world["patients"]["a"]
    invite_link(world, alpha)
    alpha = _with_phone(world, alpha)
    visit = _visit(world, alpha)
    mail.outbox.clear()
    appointment_reminder_send.call(visit.pk)
    message = mail.outbox[-1]
    link = re.search(r"https://clinic\.example(/portal/visit/\S+/)", message.body).group(1)
    assert visit_link_appointment(token=link.split("/")[-2], now=timezone.now()) == visit
    assert "Напоминание" in message.subject  # the patient's language
    _name, content, kind = message.attachments[0]
    assert kind == "text/calendar" and "BEGIN:VEVENT" in (
        content if isinstance(content, str) else content.decode()
    )
    sms = json.loads((tmp_path / "sms.jsonl").read_text().splitlines()[-1])
    assert sms["to"] == "+7 900 111-22-33"
    assert link in sms["text"]


def test_console_backend_prints_the_text(portal_world, settings, capsys):
    settings.SMS_BACKEND = "mesoclinic.portal.sms.ConsoleBackend"
    world = portal_world["world"]
    beta = _with_phone(world, portal_world["patients"]["b"])
    appointment_reminder_send.call(_visit(world, beta).pk)
    assert "SMS to +7 900 111-22-33" in capsys.readouterr().out


class _Gateway(BaseHTTPRequestHandler):
    received: list = []

    def do_POST(self):
        length = int(self.headers["Content-Length"])
        _Gateway.received.append(
            (self.headers.get("Authorization"), json.loads(self.rfile.read(length)))
        )
        self.send_response(202)
        self.end_headers()

    def log_message(self, *args):
        pass


def test_http_gateway_backend_posts_to_the_configured_server(portal_world, settings):
    server = HTTPServer(("127.0.0.1", 0), _Gateway)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        settings.SMS_BACKEND = "mesoclinic.portal.sms.HttpBackend"
        settings.SMS_HTTP_URL = f"http://127.0.0.1:{server.server_port}/send"
        settings.SMS_HTTP_TOKEN = "gateway-secret"
        world = portal_world["world"]
        beta = _with_phone(world, portal_world["patients"]["b"])
        _Gateway.received.clear()
        appointment_reminder_send.call(_visit(world, beta).pk)
        ((auth, body),) = _Gateway.received
        assert auth == "Bearer gateway-secret"
        assert body["to"] == "+7 900 111-22-33"
        assert world.clinic.name in body["text"]
    finally:
        server.shutdown()
        server.server_close()


def test_http_gateway_refusal_is_an_error_not_silence(portal_world, settings):
    from mesoclinic.portal.sms import SmsError, sms_send

    settings.SMS_BACKEND = "mesoclinic.portal.sms.HttpBackend"
    settings.SMS_HTTP_URL = "http://127.0.0.1:9/closed"
    with pytest.raises(SmsError):
        sms_send(to="+7 900 000-00-00", text="x")
