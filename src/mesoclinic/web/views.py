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
