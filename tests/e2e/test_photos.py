"""Clinical photographs in a real browser on a 768x1024 tablet, in English and Russian.

Consent gates the camera; a sharp photo is saved, a blurred one is refused with
"retake" and kept only when asked (marked); the comparison page shows the baseline
and a later photo side by side and as a slider overlay, with the view's timeline.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.conftest import PASSWORD
from tests.e2e.conftest import login
from tests.e2e.test_tablet_layout import SMALL_TARGETS
from tests.photos.conftest import NOW, capture, consent_for
from tests.photos.images import blurred_jpeg, sharp_jpeg

TABLET = {"width": 768, "height": 1024}
EDUCATION = {"en": "professional education", "ru": "профессиональное обучение"}
BELOW = {"en": "below standard", "ru": "ниже стандарта"}


def _tablet(page, live_server, user, language):
    page.set_viewport_size(TABLET)
    login(page, live_server, user.username, PASSWORD)
    if language == "ru":
        page.get_by_test_id("lang-switch").click()
        expect(page.locator("html")).to_have_attribute("lang", "ru")


def _sign(page) -> None:
    pad = page.get_by_test_id("signature-pad")
    pad.scroll_into_view_if_needed()
    box = pad.bounding_box()
    x, y = box["x"], box["y"]
    page.mouse.move(x + 30, y + 60)
    page.mouse.down()
    for i in range(1, 25):
        page.mouse.move(x + 30 + i * 10, y + 60 - (i % 6) * 8, steps=2)
    page.mouse.up()


@pytest.mark.parametrize("language", ["en", "ru"])
def test_consent_gates_capture_then_a_blurred_photo_is_refused_and_kept_marked(
    page, live_server, world, patient_of, tmp_path, language
):
    patient = patient_of(world)
    sharp = tmp_path / "frontal.jpg"
    sharp.write_bytes(sharp_jpeg())
    blurry = tmp_path / "shaken.jpg"
    blurry.write_bytes(blurred_jpeg())
    _tablet(page, live_server, world.users["practitioner"], language)
    page.goto(f"{live_server.url}/patients/{patient.pk}/")
    page.get_by_test_id("photos-link").click()
    expect(page.get_by_test_id("no-photo-consent")).to_be_visible()
    expect(page.get_by_test_id("capture-link")).to_have_count(0)
    # A capture page reached by its address refuses too.
    page.goto(f"{live_server.url}/photos/patient/{patient.pk}/capture/")
    expect(page.get_by_test_id("capture-refused")).to_be_visible()
    expect(page.get_by_test_id("photo-input")).to_have_count(0)

    page.goto(f"{live_server.url}/photos/patient/{patient.pk}/")
    page.get_by_test_id("photo-consent-sign").click()
    page.get_by_label(re.compile(EDUCATION[language])).check()
    expect(page.locator("[data-consent-text-for=education]")).to_be_visible()
    assert page.evaluate(SMALL_TARGETS) == []
    _sign(page)
    page.get_by_test_id("consent-submit").click()
    expect(page.get_by_test_id("consent-scope")).to_contain_text(EDUCATION[language])

    page.goto(f"{live_server.url}/photos/patient/{patient.pk}/")
    page.get_by_test_id("capture-link").click()
    page.get_by_test_id("photo-input").set_input_files(str(sharp))
    expect(page.locator("[data-capture-preview]")).to_be_visible()
    page.get_by_test_id("photo-upload").click()
    expect(page.get_by_test_id("photo-series")).to_have_count(1)
    expect(page.locator(".photo-grid img")).to_have_count(1)

    page.get_by_test_id("capture-link").click()
    # The baseline of the view is the translucent guide.
    expect(page.locator("[data-capture-guide]")).to_be_visible()
    page.get_by_test_id("photo-input").set_input_files(str(blurry))
    page.get_by_test_id("photo-upload").click()
    expect(page.get_by_test_id("quality-issues")).to_be_visible()
    expect(page.get_by_test_id("photo-keep")).to_be_visible()
    assert page.evaluate(SMALL_TARGETS) == []
    page.get_by_test_id("photo-keep").click()
    expect(page.locator(".photo-grid img")).to_have_count(2)
    expect(page.get_by_test_id("below-standard")).to_contain_text(BELOW[language])
    assert page.evaluate("() => document.documentElement.scrollWidth <= innerWidth")


@pytest.mark.parametrize("language", ["en", "ru"])
def test_comparison_side_by_side_overlay_and_timeline(
    page, live_server, world, patient_of, language
):
    import datetime as dt

    patient = patient_of(world)
    consent_for(world, patient)
    first = capture(world, patient, sharp_jpeg(seed=1))
    later = capture(world, patient, sharp_jpeg(seed=9), now=NOW + dt.timedelta(days=30))
    _tablet(page, live_server, world.users["practitioner"], language)
    page.goto(f"{live_server.url}/photos/patient/{patient.pk}/")
    page.get_by_test_id("compare-link").click()
    side = page.get_by_test_id("compare-side").locator("img")
    expect(side).to_have_count(2)
    expect(side.first).to_have_attribute("src", re.compile(f"/photos/{first.pk}/image/"))
    expect(side.last).to_have_attribute("src", re.compile(f"/photos/{later.pk}/image/"))
    page.wait_for_function(
        "() => [...document.querySelectorAll('[data-testid=compare-side] img')]"
        ".every(i => i.complete && i.naturalWidth === 1200)"
    )
    slider = page.get_by_test_id("compare-slider")
    slider.fill("20")
    expect(page.get_by_test_id("compare-overlay")).to_have_attribute(
        "style", re.compile(r"--reveal:\s*20%")
    )
    expect(page.get_by_test_id("course-timeline").locator("img")).to_have_count(2)
    assert page.evaluate("() => document.documentElement.scrollWidth <= innerWidth")
