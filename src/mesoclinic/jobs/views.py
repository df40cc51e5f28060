"""The owner's "Background work" page: recent jobs, their progress, errors, and retry."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from mesoclinic.jobs.selectors import job_get, job_get_own_or_owner, job_list
from mesoclinic.jobs.services import job_error_display, job_kind_label, job_retry

PAGE_SIZE = 30


def _rows(jobs) -> list[dict]:
    return [
        {"job": j, "label": job_kind_label(j.kind), "error": job_error_display(j)} for j in jobs
    ]


@login_required
def job_list_view(request):
    page = Paginator(job_list(scope=request.scope), PAGE_SIZE).get_page(request.GET.get("page"))
    rows = _rows(page.object_list)
    context = {
        "page": page,
        "rows": rows,
        "polling": any(not r["job"].finished for r in rows),
    }
    template = "jobs/_table.html" if request.headers.get("HX-Request") else "jobs/list.html"
    return render(request, template, context)


@login_required
def job_detail_view(request, job_id: int):
    """One job's progress, as a fragment a page can poll with htmx.

    Any page can show a job's progress with
    `<div hx-get="{% url 'jobs:detail' job.pk %}" hx-trigger="load" hx-swap="outerHTML"></div>`:
    it polls every second until the job is done or failed. The person who started the
    job and the organisation's owners may see it.
    """
    job = job_get_own_or_owner(scope=request.scope, job_id=job_id)
    row = _rows([job])[0]
    return render(request, "jobs/_job.html", {"row": row, "standalone": True})


@login_required
@require_POST
def job_retry_view(request, job_id: int):
    job = job_get(scope=request.scope, job_id=job_id)
    try:
        job_retry(job=job)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The work was queued again."))
    return redirect("jobs:list")
