"""Portal sessions live in their own cookie, so a patient and a member of staff never share one.

Requests under /portal/ read and write the `mesoclinic_portal` cookie (sent only to
/portal/); every other request keeps the staff cookie. Django's authentication reads
the session it is given, so on portal pages `request.user` is always anonymous (a
staff sign-in cannot reach them) and the portal's account key is never in a staff
session (a patient sign-in cannot reach a staff page).
"""

from __future__ import annotations

import time
from importlib import import_module

from django.conf import settings
from django.utils.cache import patch_vary_headers
from django.utils.http import http_date

PORTAL_PREFIX = "/portal/"
PORTAL_COOKIE = "mesoclinic_portal"


def is_portal_path(path: str) -> bool:
    return path.startswith(PORTAL_PREFIX)


class PortalSessionMiddleware:
    """Swap in the portal's session for portal paths; after Django's SessionMiddleware."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.SessionStore = import_module(settings.SESSION_ENGINE).SessionStore

    def __call__(self, request):
        if not is_portal_path(request.path_info):
            return self.get_response(request)
        staff_session = request.session
        request.session = self.SessionStore(request.COOKIES.get(PORTAL_COOKIE))
        response = self.get_response(request)
        portal_session, request.session = request.session, staff_session
        self._save(request, response, portal_session)
        return response

    def _save(self, request, response, session) -> None:
        if PORTAL_COOKIE in request.COOKIES and session.is_empty():
            response.delete_cookie(
                PORTAL_COOKIE, path=PORTAL_PREFIX, samesite=settings.SESSION_COOKIE_SAMESITE
            )
            return
        if session.accessed:
            patch_vary_headers(response, ("Cookie",))
        if not session.modified or session.is_empty() or response.status_code >= 500:
            return
        max_age = session.get_expiry_age()
        session.save()
        response.set_cookie(
            PORTAL_COOKIE,
            session.session_key,
            max_age=max_age,
            expires=http_date(time.time() + max_age),
            path=PORTAL_PREFIX,
            secure=settings.SESSION_COOKIE_SECURE or None,
            httponly=True,
            samesite=settings.SESSION_COOKIE_SAMESITE,
        )
