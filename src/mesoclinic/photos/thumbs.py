"""Thumbnails shown by a page: one audit event for the page, none per thumbnail fetch.

A page that lists photographs records one audit event naming every photograph it
shows, and gives each thumbnail URL a short token: an HMAC (the project's secret key)
of the reader, the photograph and the hour the page was made. A thumbnail fetched
with a valid token for the signed-in reader is that page's read, already audited; a
fetch without one (or with a token of another user, or an old one) is audited like
any other read. The token never grants access: every fetch is still authorised and
scoped to the reader's organisation and clinics, and a photograph hidden since then
is refused.
"""

from __future__ import annotations

import time

from django.utils.crypto import constant_time_compare, salted_hmac

SALT = "mesoclinic.photos.thumb"
# A page left open this long fetches its thumbnails again as audited reads.
MAX_AGE_SECONDS = 12 * 3600


def _mac(*, reader: str, photo_id: int, issued: int) -> str:
    return salted_hmac(SALT, f"{reader}|{photo_id}|{issued}", algorithm="sha256").hexdigest()[:20]


def thumb_token(*, reader: str, photo_id: int, now: float | None = None) -> str:
    """The token a page puts in the thumbnail URL of `photo_id` for `reader`
    ("staff:<user id>" or "patient:<patient id>")."""
    issued = int(now if now is not None else time.time())
    return f"{issued:x}.{_mac(reader=reader, photo_id=photo_id, issued=issued)}"


def thumb_token_valid(token: str, *, reader: str, photo_id: int, now: float | None = None) -> bool:
    """Whether `token` was issued by a page to `reader` for `photo_id`, and is recent."""
    issued_hex, _dot, mac = (token or "").partition(".")
    try:
        issued = int(issued_hex, 16)
    except ValueError:
        return False
    now = now if now is not None else time.time()
    if not 0 <= now - issued <= MAX_AGE_SECONDS:
        return False
    return constant_time_compare(mac, _mac(reader=reader, photo_id=photo_id, issued=issued))


def staff_reader(user) -> str:
    return f"staff:{user.pk}"
