"""Text messages through a pluggable gateway, chosen with SMS_BACKEND like Django's e-mail.

- `mesoclinic.portal.sms.ConsoleBackend` (default): prints each message.
- `mesoclinic.portal.sms.FileBackend`: appends each message as a JSON line to SMS_FILE_PATH.
- `mesoclinic.portal.sms.HttpBackend`: POSTs `{"to": ..., "text": ...}` as JSON to
  SMS_HTTP_URL, with `Authorization: Bearer SMS_HTTP_TOKEN` when set; any 2xx is success.
  Most SMS providers (or a small relay in front of one) accept this shape.
"""

from __future__ import annotations

import json
import sys
import urllib.request

from django.conf import settings
from django.utils.module_loading import import_string


class SmsError(OSError):
    """The gateway refused or could not be reached."""


class ConsoleBackend:
    def send(self, *, to: str, text: str) -> None:
        sys.stdout.write(f"SMS to {to}: {text}\n")


class FileBackend:
    def send(self, *, to: str, text: str) -> None:
        with open(settings.SMS_FILE_PATH, "a", encoding="utf-8") as out:
            out.write(json.dumps({"to": to, "text": text}, ensure_ascii=False) + "\n")


class HttpBackend:
    def send(self, *, to: str, text: str) -> None:
        if not settings.SMS_HTTP_URL.startswith(("http://", "https://")):
            raise SmsError("SMS_HTTP_URL must be an http:// or https:// address")
        body = json.dumps({"to": to, "text": text}).encode()
        headers = {"Content-Type": "application/json"}
        if settings.SMS_HTTP_TOKEN:
            headers["Authorization"] = f"Bearer {settings.SMS_HTTP_TOKEN}"
        # The scheme is checked above: only http(s), never file: or custom schemes.
        request = urllib.request.Request(settings.SMS_HTTP_URL, data=body, headers=headers)  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
                if not 200 <= response.status < 300:
                    raise SmsError(f"gateway answered {response.status}")
        except OSError as exc:
            raise SmsError(str(exc)) from exc


def sms_send(*, to: str, text: str) -> None:
    """Send one text message through the configured backend."""
    import_string(settings.SMS_BACKEND)().send(to=to, text=text)
