from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render
from django.utils import timezone


@login_required
def home(request):
    return render(request, "web/home.html", {"now": timezone.localtime()})


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
