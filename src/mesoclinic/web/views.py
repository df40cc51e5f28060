from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render
from django.utils import timezone

from mesoclinic.accounts.locales import current_language
from mesoclinic.accounts.models import Role
from mesoclinic.audit.models import AuditAction
from mesoclinic.audit.services import audit_record
from mesoclinic.web.selectors import owner_home, practitioner_home, receptionist_home


@login_required
def home(request):
    """The role's home page: each role the user holds adds its own panels."""
    now = timezone.now()
    context = {"now": timezone.localtime(now)}
    scope = getattr(request, "scope", None)
    clinic = getattr(request, "clinic", None)
    language = current_language()
    roles = scope.roles if scope is not None else frozenset()
    if Role.PRACTITIONER in roles:
        context["practitioner"] = practitioner_home(scope=scope, now=now, language=language)
        visits = context["practitioner"]["visits"].rows
        patients = sorted({r.appointment.patient_id for r in visits})
        if patients:
            audit_record(
                action=AuditAction.READ,
                request=request,
                detail={"view": "home", "patients": patients},
            )
    if clinic is not None and ({Role.RECEPTIONIST, Role.NURSE} & roles):
        context["reception"] = receptionist_home(scope=scope, clinic=clinic, now=now)
        from mesoclinic.portal.selectors import portal_review

        context["portal_review"] = portal_review(scope=scope, clinic=clinic)
    if Role.OWNER in roles:
        context["owner"] = owner_home(scope=scope, clinic=clinic, now=now, language=language)
    return render(request, "web/home.html", context)


def healthz(request):
    """Liveness for the operator's monitoring: answers only if the database answers."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


def bad_request(request, exception=None):
    """The 400 page: says what was wrong when it is something the user can act on.

    Standalone (no site navigation), because a bad request may fail before the user
    and the clinic are known. Other causes of a 400 get the general sentence only.
    """
    from mesoclinic.web.dates import BadDateParam

    reason = str(exception) if isinstance(exception, BadDateParam) else ""
    from django.http import HttpResponseBadRequest
    from django.template.loader import render_to_string

    # Without the request: its context processors need a user the request may not have.
    return HttpResponseBadRequest(render_to_string("web/bad_request.html", {"reason": reason}))
