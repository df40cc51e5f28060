"""On a phone (390×844), in English and Russian: the patient asks for a copy of their
data and downloads it; and moves a visit of their course to another date."""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from mesoclinic.portal.models import OnlineChange
from mesoclinic.scheduling.models import Appointment
from tests.portal.conftest import PATIENT_PASSWORD, invite_link

PHONE = {"width": 390, "height": 844}
WORDS = {
    "en": {
        "new_password": "New password",
        "again": "New password again",
        "save": "Save and sign in",
        "my_data": "My data",
        "prepare": "Prepare a copy of my data",
        "download": "Download my data",
        "heading": "Your personal data",
        "date": "Date",
        "time": "Time",
        "move": "Move my visit",
        "moved": "Your visit is moved",
    },
    "ru": {
        "new_password": "Новый пароль",
        "again": "Новый пароль ещё раз",
        "save": "Сохранить и войти",
        "my_data": "Мои данные",
        "prepare": "Подготовить копию моих данных",
        "download": "Скачать мои данные",
        "heading": "Ваши персональные данные",
        "date": "Дата",
        "time": "Время",
        "move": "Перенести визит",
        "moved": "Визит перенесён",
    },
}


def _patient(world, patient_of, language: str):
    from mesoclinic.patients.services import patient_update

    patient = patient_of(world, family="Phone", given="Polina", born="1988-06-01")
    return patient_update(
        scope=world.scope("receptionist"),
        patient=patient,
        today=timezone.localdate(),
        email="phone.patient@example.test",
        preferred_language=language,
    )


def _signed_in_phone(browser, live_server, world, patient, language: str):
    w = WORDS[language]
    link = invite_link(world, patient)
    context = browser.new_context(locale="en-GB" if language == "en" else "ru-RU", viewport=PHONE)
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.goto(live_server.url + link)
    page.get_by_role("textbox", name=w["new_password"], exact=True).fill(PATIENT_PASSWORD)
    page.get_by_label(w["again"]).fill(PATIENT_PASSWORD)
    page.get_by_role("button", name=w["save"]).click()
    return context, page


@pytest.mark.parametrize("language", ["en", "ru"])
def test_the_patient_asks_for_their_data_and_downloads_it(
    browser, live_server, world, patient_of, language
):
    from pypdf import PdfReader

    w = WORDS[language]
    patient = _patient(world, patient_of, language)
    context, page = _signed_in_phone(browser, live_server, world, patient, language)
    try:
        page.get_by_test_id("my-data-link").click()
        expect(page.locator("h1")).to_have_text(w["my_data"])
        page.get_by_role("button", name=w["prepare"]).click()
        link = page.get_by_test_id("copy-download")
        expect(link).to_have_text(w["download"])
        with page.expect_download() as info:
            link.click()
        archive = zipfile.ZipFile(io.BytesIO(info.value.path().read_bytes()))
        assert {"summary.pdf", "fhir-bundle.json"} <= set(archive.namelist())
        pdf = PdfReader(io.BytesIO(archive.read("summary.pdf")))
        text = " ".join(p.extract_text() for p in pdf.pages)
        assert w["heading"] in text and "Phone" in text
    except Exception:
        print(page.url, page.content()[:3000])
        raise
    finally:
        context.close()


@pytest.mark.parametrize("language", ["en", "ru"])
def test_the_patient_moves_a_visit_of_their_course(
    browser, live_server, world, patient_of, clinic_setup, language
):
    from mesoclinic.portal.models import OnlineService
    from mesoclinic.portal.services import dates_propose, interval_window, series_book
    from mesoclinic.portal.services.booking import first_free

    w = WORDS[language]
    patient = _patient(world, patient_of, language)
    course = OnlineService.objects.create(
        organisation=world.organisation,
        clinic=world.clinic,
        name="Face revitalisation course",
        kind="course",
        protocol_id="protocol.face-rejuvenation",
        technique_id="technique.nappage",
        product_id="product.revitalising-cocktail",
        zones=["zone.cheeks"],
        sessions=3,
        duration_min=30,
        practitioner=world.users["practitioner"],
    )
    now = timezone.now()
    booking = series_book(
        patient=patient,
        service=course,
        starts=dates_propose(service=course, patient=patient, now=now),
        now=now,
    )
    last = Appointment.objects.filter(pk__in=booking.appointment_ids).order_by("starts_at")
    second, third = list(last)[1:]
    zone = world.clinic.zone
    low, high = interval_window(course)
    base = second.starts_at.astimezone(zone).date()
    target = next(
        found
        for gap in range(low + 1, high + 1)
        if (
            found := first_free(
                service=course, patient=patient, day=base + dt.timedelta(gap), not_before=now
            )
        )
    ).astimezone(zone)

    context, page = _signed_in_phone(browser, live_server, world, patient, language)
    try:
        page.get_by_test_id("upcoming").get_by_role("link").nth(2).click()
        page.get_by_label(re.compile(f"^{w['date']}")).fill(target.date().isoformat())
        page.get_by_label(re.compile(f"^{w['time']}")).fill(target.strftime("%H:%M"))
        page.get_by_role("button", name=w["move"]).click()
        expect(page.get_by_role("status")).to_contain_text(w["moved"])
        third.refresh_from_db()
        assert third.starts_at == target
        assert OnlineChange.objects.get(appointment=third).kind == "reschedule"
    except Exception:
        print(page.url, page.content()[:3000])
        raise
    finally:
        context.close()
