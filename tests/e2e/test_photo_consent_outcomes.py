"""Photographs and outcomes in a real browser, in English and Russian.

Staff (tablet): the score form's photo picker shows the patient's photographs as
thumbnails; the practitioner picks the one scored and the score keeps it.
Portal (phone, 390x844): the patient reads and signs the photo consent with a typed
name, sees the scores and photographs the clinic shares, and withdraws the consent.
"""

from __future__ import annotations

import re

import pytest
from django.utils import translation
from django.utils.translation import gettext
from playwright.sync_api import expect

from mesoclinic.core.knowledge.loader import load_knowledge
from mesoclinic.outcomes.models import OutcomeScore, Rater
from mesoclinic.photos.models import PhotoConsent, PhotoConsentScope
from tests.conftest import PASSWORD
from tests.e2e.conftest import login
from tests.e2e.test_portal_my_data import _patient, _signed_in_phone
from tests.photos.conftest import NOW, capture, consent_for
from tests.photos.images import sharp_jpeg

TABLET = {"width": 768, "height": 1024}


def _t(language: str, text: str) -> str:
    with translation.override(language):
        return gettext(text)


def _zone(zone_id: str, language: str) -> str:
    return load_knowledge().zone[zone_id].name.get(language)


@pytest.mark.parametrize("language", ["en", "ru"])
def test_the_practitioner_picks_the_photograph_a_score_was_read_from(
    page, live_server, world, patient_of, language
):
    patient = patient_of(world)
    consent_for(world, patient)
    cheeks = capture(world, patient, sharp_jpeg())
    capture(world, patient, sharp_jpeg(), zone="zone.forehead")
    page.set_viewport_size(TABLET)
    login(page, live_server, world.users["practitioner"].username, PASSWORD)
    if language == "ru":
        page.get_by_test_id("lang-switch").click()
        expect(page.locator("html")).to_have_attribute("lang", "ru")
    page.goto(f"{live_server.url}/patients/{patient.pk}/")
    page.get_by_test_id("outcomes-patient-link").click()
    form = page.get_by_test_id("score-form")
    pictures = form.locator(".photo-picker img")
    expect(pictures).to_have_count(2)
    pictures.last.scroll_into_view_if_needed()
    page.wait_for_function(
        "() => [...document.querySelectorAll('.photo-picker img')]"
        ".every(i => i.complete && i.naturalWidth > 0)"
    )
    scale = load_knowledge().scale["scale.wsrs"]
    level = f"{scale.short.get(language)} 3 — {scale.level('3').label.get(language)}"
    form.get_by_label(_t(language, "Scale and score")).select_option(label=level)
    with translation.override(language):
        rater = str(Rater.INVESTIGATOR.label)
    form.get_by_label(rater, exact=True).check()
    form.get_by_label(_t(language, "Zone"), exact=True).select_option(
        label=_zone("zone.cheeks", language)
    )
    form.get_by_role("radio", name=re.compile(_zone("zone.cheeks", language))).check()
    form.get_by_role("button", name=_t(language, "Record")).click()
    expect(page.get_by_test_id("outcome-chart")).to_have_count(1)
    assert OutcomeScore.objects.get(patient=patient).photo == cheeks


@pytest.mark.parametrize("language", ["en", "ru"])
def test_the_patient_signs_the_photo_consent_sees_shared_results_and_withdraws(
    browser, live_server, world, patient_of, language
):
    from mesoclinic.outcomes.services import score_record
    from mesoclinic.portal.models import PortalSettings

    patient = _patient(world, patient_of, language)
    context, page = _signed_in_phone(browser, live_server, world, patient, language)
    try:
        page.get_by_test_id("treatments-link").click()
        page.get_by_role(
            "link", name=_t(language, "Read and sign the consent to photographs")
        ).click()
        with translation.override(language):
            education = str(PhotoConsentScope.EDUCATION.label)
        page.get_by_label(education).check()
        expect(page.locator("[data-consent-text-for=education]")).to_be_visible()
        expect(page.locator("[data-consent-text-for=record]")).to_be_hidden()
        page.get_by_label(
            _t(language, "I have read the text above and agree to clinical photographs.")
        ).check()
        page.get_by_role("button", name=_t(language, "Sign the consent")).click()
        expect(page.get_by_test_id("my-photo-consent")).to_contain_text(education)
        consent = PhotoConsent.objects.get(patient=patient)
        assert consent.scope == "education" and consent.language == language

        # The clinic takes a photograph and scores it, and shares results with patients.
        photo = capture(world, patient, sharp_jpeg())
        score_record(
            scope=world.scope("practitioner"),
            patient=patient,
            scale_id="scale.wsrs",
            value="3",
            rater="investigator",
            timepoint="baseline",
            zone_id="zone.cheeks",
            scored_on=NOW.date(),
            clinic_id=world.clinic.pk,
            photo_id=photo.pk,
            now=NOW,
        )
        PortalSettings.objects.create(
            organisation=world.organisation, clinic=world.clinic, share_outcomes=True
        )
        page.reload()
        expect(page.get_by_test_id("outcome-chart")).to_have_count(1)
        photos = page.get_by_test_id("my-photos").locator("img")
        expect(photos).to_have_count(1)
        photos.first.scroll_into_view_if_needed()
        page.wait_for_function(
            "() => [...document.querySelectorAll('[data-testid=my-photos] img')]"
            ".every(i => i.complete && i.naturalWidth > 0)"
        )
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, "the page scrolls sideways on a phone"

        page.get_by_test_id("photo-consent-withdraw-link").click()
        page.get_by_role("button", name=_t(language, "Withdraw my consent")).click()
        expect(page.get_by_test_id("photo-consent-link")).to_be_visible()
        expect(page.get_by_test_id("my-photos").locator("img")).to_have_count(0)
        consent.refresh_from_db()
        assert consent.withdrawn_at is not None
    finally:
        context.close()
