"""Per-request context: the user's scope, language and clinic time zone."""

from __future__ import annotations

import zoneinfo

from django.utils import timezone, translation

from mesoclinic.accounts.scope import scope_for

CLINIC_SESSION_KEY = "mesoclinic_clinic_id"


class ScopeMiddleware:
    """Attaches `request.scope` and activates the user's language and clinic's time zone."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.scope = None
        request.clinic = None
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            scope = scope_for(user, clinic_id=request.session.get(CLINIC_SESSION_KEY))
            request.scope = scope
            if user.language:
                translation.activate(user.language)
                request.LANGUAGE_CODE = translation.get_language()
            if scope is not None and scope.clinic_id is not None:
                from mesoclinic.accounts.models import Clinic

                request.clinic = Clinic.objects.filter(pk=scope.clinic_id).first()
                if request.clinic is not None:
                    timezone.activate(zoneinfo.ZoneInfo(request.clinic.time_zone))
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
