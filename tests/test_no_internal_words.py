"""Patients and clinicians never read internal words: no "seed", no knowledge-base codes
(patient.pregnant, ingredient.hyaluronic-acid), no rule ids, no raw evidence grades, on the
main pages and in the PDFs, in English and in Russian."""

from __future__ import annotations

import html
import re

import pytest
from django.test import Client
from django.utils import timezone

from mesoclinic.accounts.services import user_language_set
from mesoclinic.charting.screening import Answer
from mesoclinic.consultations.models import Consent
from mesoclinic.consultations.services import consultation_create
from tests.charting.conftest import day  # noqa: F401
from tests.charting.factories import NOW, TODAY, checked_in, no_answers
from tests.pdf_text import internal_words, pdf_text
from tests.scheduling.conftest import active_plan, clinic_setup  # noqa: F401

RAW_GRADES = re.compile(
    r"\((?:label|guideline|study|case-report|expert-opinion|inference|marketing)\)"
)


def visible_text(page: str) -> str:
    """What a reader sees: the page without scripts, styles, tags and attributes."""
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S | re.I)
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


@pytest.fixture
def walked(day):  # noqa: F811
    """A patient checked in on anticoagulants (blocked), with a consultation and a consent."""
    answers = no_answers()
    answers["vq.new-medications"] = Answer(yes=True, code="medclass.anticoagulant")
    session = checked_in(day, answers=answers)
    consultation = consultation_create(
        scope=day.scope,
        patient=day.patient,
        now=NOW,
        today=TODAY,
        examination="Fine lines",
        concerns="Tired skin",
        indications=["indication.dehydration"],
        zones=["zone.cheeks"],
    )
    consent = Consent.objects.filter(plan=day.plan).first()
    return day, session, consultation, consent


@pytest.mark.parametrize("language", ["en", "ru"])
def test_main_pages_and_pdfs_show_no_internal_words(walked, language, monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: NOW)
    case, session, consultation, consent = walked
    user = case.world.users["practitioner"]
    user_language_set(user=user, language=language)
    client = Client()
    client.force_login(user)
    patient = case.patient
    pages = [
        f"/patients/{patient.pk}/",
        f"/patients/{patient.pk}/history/",
        f"/consultations/patient/{patient.pk}/timeline/",
        f"/consultations/{consultation.pk}/",
        f"/consultations/plans/{case.plan.pk}/",
        f"/consultations/consents/{consent.pk}/",
        f"/sessions/{session.pk}/",
        f"/outcomes/sessions/{session.pk}/",
        f"/outcomes/patients/{patient.pk}/",
        f"/inventory/products/{case.product.pk}/",
        f"/inventory/lots/{case.lot.pk}/",
        f"/inventory/lots/{case.lot.pk}/recall/",
        f"/inventory/patients/{patient.pk}/",
        f"/schedule/patients/{patient.pk}/",
        "/sessions/",
    ]
    problems = {}
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        text = visible_text(response.content.decode())
        found = internal_words(text) + RAW_GRADES.findall(text)
        if found:
            problems[url] = found
    pdf = pdf_text(client.get(f"/consultations/consents/{consent.pk}/pdf/").content)
    if internal_words(pdf):
        problems["consent.pdf"] = internal_words(pdf)
    assert not problems
    verdicts = visible_text(client.get(f"/sessions/{session.pk}/").content.decode())
    # The verdict reads as a clinician writes it, its sources cited by title.
    assert ("Restylane" in verdicts) and (
        "Anticoagulant" in verdicts or "антикоагулянт" in verdicts.lower()
    )
