from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render

from mesoclinic.audit.selectors import audit_event_list


@login_required
def audit_list_view(request):
    patient_id = request.GET.get("patient")
    events = audit_event_list(
        scope=request.scope,
        patient_id=int(patient_id) if patient_id and patient_id.isdigit() else None,
    )
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    return render(request, "audit/list.html", {"page": page})
