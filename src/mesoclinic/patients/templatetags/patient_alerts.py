"""The patient alert banner, shown on every patient page and at check-in."""

from __future__ import annotations

from django import template
from django.utils import timezone

from mesoclinic.accounts.locales import current_language
from mesoclinic.patients.selectors import patient_alerts

register = template.Library()


@register.inclusion_tag("patients/_alert_banner.html", takes_context=True)
def alert_banner(context, patient, facts=None) -> dict:
    """Alerts of `patient` for the signed-in user, in the reader's language.

    `facts`: the patient's current history, if the page has read it already.
    """
    request = context.get("request")
    scope = getattr(request, "scope", None)
    if scope is None or not patient:
        return {"alerts": []}
    language = current_language()
    alerts = patient_alerts(
        scope=scope,
        patient=patient,
        today=timezone.localdate(),
        current=facts if isinstance(facts, list) else None,
    )
    return {"alerts": [{"kind": a.kind, "text": a.text(language)} for a in alerts]}
