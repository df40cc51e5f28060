"""Per-request context: the user's scope, language, and the clinic's time zone and formats."""

from __future__ import annotations

import zoneinfo

from django.utils import timezone, translation

from mesoclinic.accounts.locales import locale_language
from mesoclinic.accounts.scope import scope_and_clinics_for

CLINIC_SESSION_KEY = "mesoclinic_clinic_id"


class ScopeMiddleware:
    """Attaches `request.scope`; activates the user's language, the clinic's time zone and formats.

    Formats follow the clinic's locale while the words stay the user's: a
    Russian-speaking user in the London clinic reads Russian with 14/03/1986.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.scope = None
        request.clinic = None
        # The user's clinics in name order (the clinic switcher), read with the scope.
        request.clinics = []
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            scope, clinics = scope_and_clinics_for(
                user, clinic_id=request.session.get(CLINIC_SESSION_KEY)
            )
            request.scope = scope
            request.clinics = clinics
            if user.language:
                translation.activate(user.language)
                request.LANGUAGE_CODE = translation.get_language()
            if scope is not None and scope.clinic_id is not None:
                request.clinic = next((c for c in clinics if c.pk == scope.clinic_id), None)
                if request.clinic is not None:
                    timezone.activate(zoneinfo.ZoneInfo(request.clinic.time_zone))
                    translation.activate(
                        locale_language(
                            language=translation.get_language(),
                            clinic_locale=request.clinic.locale,
                        )
                    )
                    request.LANGUAGE_CODE = translation.get_language()
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
