from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from mesoclinic.audit.selectors import audit_event_list
from mesoclinic.web.pagination import keyset_page

AUDIT_PER_PAGE = 50


@login_required
def audit_list_view(request):
    patient_id = request.GET.get("patient")
    events = audit_event_list(
        scope=request.scope,
        patient_id=int(patient_id) if patient_id and patient_id.isdigit() else None,
    )
    # Keyset paging: an old page is an index range, not OFFSET over the whole trail.
    page = keyset_page(request, events, per_page=AUDIT_PER_PAGE)
    return render(request, "audit/list.html", {"page": page})
