"""The outcome scores block of a session's page."""

from __future__ import annotations

from django import template
from django.utils import timezone

from mesoclinic.accounts.locales import current_language
from mesoclinic.outcomes.selectors import session_scores

register = template.Library()


@register.inclusion_tag("outcomes/_session_outcomes.html", takes_context=True)
def session_outcomes(context, session):
    """The session's scores and, for those who may record, the form to add one."""
    from mesoclinic.outcomes.views import session_form

    request = context["request"]
    scope = request.scope
    form = None
    if scope.can("patients.edit_clinical"):
        form = session_form(session, language=current_language(), today=timezone.localdate())
    return {
        "request": request,
        "csrf_token": context.get("csrf_token"),
        "session": session,
        "patient": session.patient,
        "scores": session_scores(scope=scope, session=session).select_related(
            "recorded_by", "session"
        ),
        "form": form,
    }
