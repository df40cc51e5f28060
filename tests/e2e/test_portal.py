"""The patient portal on a phone (390×844), in English and in Russian.

The clinic invites the patient from the patient page; the patient sets a password from
the e-mailed link, answers the questionnaire (pregnant), is stopped from booking a course
with a kind message, corrects the answer, books the course as a series, signs the
consent with a typed name and reads the aftercare of a signed session; the practitioner
confirms the reported answers.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from mesoclinic.consultations.models import Consent
from mesoclinic.portal.models import OnlineBooking, OnlineService, Questionnaire
from tests.conftest import PASSWORD
from tests.e2e.conftest import login
from tests.pdf_text import pdf_text
from tests.scheduling.conftest import record_signed_session

PHONE = {"width": 390, "height": 844}
WORDS = {
    "en": {
        "invite": "Invite to the portal",
        "new_password": "New password",
        "again": "New password again",
        "save": "Save and sign in",
        "fill": "Fill in my health questionnaire",
        "update": "Update my health questionnaire",
        "send": "Send my answers",
        "kind": "Please talk to us before booking",
        "book": "Book the whole course",
        "consent": "Consent to treatment",
        "name": "Your full name",
        "agree": "I have read the text above",
        "sign": "Sign the consent",
        "treatments": "My treatments and aftercare",
        "aftercare": "Aftercare advice (PDF)",
        "back": "Back",
    },
    "ru": {
        "invite": "Пригласить в личный кабинет",
        "new_password": "Новый пароль",
        "again": "Новый пароль ещё раз",
        "save": "Сохранить и войти",
        "fill": "Заполнить анкету о здоровье",
        "update": "Обновить анкету о здоровье",
        "send": "Отправить ответы",
        "kind": "Пожалуйста, поговорите с нами перед записью",
        "book": "Записаться на весь курс",
        "consent": "Согласие на лечение",
        "name": "Ваши фамилия, имя и отчество",
        "agree": "Я прочитал(а) текст выше",
        "sign": "Подписать согласие",
        "treatments": "Мои процедуры и рекомендации",
        "aftercare": "Рекомендации после процедуры (PDF)",
        "back": "Назад",
    },
}
PATIENT_PASSWORD = "sea-glass-lantern-77"


@pytest.fixture
def portal_patient(world, active_plan):
    """The course patient: e-mail and language set, one signed session, one draft plan to
    consent, and the clinic's published 3-session course."""
    from mesoclinic.consultations.services import plan_create
    from mesoclinic.scheduling.services import appointment_book

    world.clinic.phone = "+7 495 000-00-00"
    world.clinic.save(update_fields=["phone"])
    patient = active_plan.patient
    zone = world.clinic.zone
    past = dt.datetime.combine(dt.date(2026, 11, 24), dt.time(10), tzinfo=zone)
    visit = appointment_book(
        scope=world.scope("receptionist"),
        patient=patient,
        practitioner=world.users["practitioner"],
        starts_at=past,
        duration_min=30,
        technique_id="technique.nappage",
        plan_id=active_plan.pk,
        session_number=1,
    )
    session = record_signed_session(world, active_plan, visit)
    now = timezone.now()
    plan_create(
        scope=world.scope("practitioner"),
        patient=patient,
        now=now,
        today=now.date(),
        zones=["zone.forehead"],
        technique_ids=["technique.papule"],
        products=[("product.revitalising-cocktail", "1.0")],
        sessions=3,
        interval_min_days=7,
        interval_max_days=10,
        preferred_interval_days=7,
        target_start=now.date() + dt.timedelta(days=14),
        protocol_id="protocol.face-rejuvenation",
    )
    OnlineService.objects.create(
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
    return {"patient": patient, "session": session}


def _answer(page, w, *, pregnant: str) -> None:
    page.locator(f"input[name=pregnant][value={pregnant}]").check()
    page.locator("input[name=breastfeeding][value=no]").check()
    page.get_by_role("button", name=w["send"]).click()


@pytest.mark.parametrize("language", ["en", "ru"])
def test_patient_portal_on_a_phone(browser, live_server, world, portal_patient, language):
    from mesoclinic.patients.services import patient_update

    w = WORDS[language]
    patient = patient_update(
        scope=world.scope("receptionist"),
        patient=portal_patient["patient"],
        today=dt.date(2026, 11, 23),
        email="course.patient@example.test",
        preferred_language=language,
    )
    # The clinic invites the patient from the patient page.
    desk = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 900})
    staff = desk.new_page()
    login(staff, live_server, world.users["receptionist"].username, PASSWORD)
    staff.goto(f"{live_server.url}/patients/{patient.pk}/")
    staff.get_by_role("button", name=re.compile("Invite to the portal|Пригласить")).click()
    expect(staff.get_by_role("status")).to_contain_text("course.patient@example.test")
    link = re.search(r"(/portal/invitation/\S+/)", mail.outbox[-1].body).group(1)
    desk.close()

    phone = browser.new_context(locale="en-GB" if language == "en" else "ru-RU", viewport=PHONE)
    phone.set_default_timeout(15_000)
    page = phone.new_page()
    try:
        page.goto(live_server.url + link)
        page.get_by_role("textbox", name=w["new_password"], exact=True).fill(PATIENT_PASSWORD)
        page.get_by_label(w["again"]).fill(PATIENT_PASSWORD)
        page.get_by_role("button", name=w["save"]).click()

        # Questionnaire: pregnant; the course is then not bookable, kindly.
        page.get_by_role("link", name=w["fill"]).click()
        page.get_by_label(re.compile("^(Medicines|Лекарства)")).fill("Zelvoran")
        _answer(page, w, pregnant="yes")
        page.get_by_role("link", name="Face revitalisation course").click()
        expect(page.get_by_role("heading", name=w["kind"])).to_be_visible()
        expect(page.get_by_test_id("clinic-phone")).to_contain_text("+7 495 000-00-00")
        expect(page.locator("body")).not_to_contain_text("rule.")
        page.get_by_role("link", name=w["back"]).click()

        # Not pregnant after all: the course is booked as a series as proposed.
        page.get_by_role("link", name=w["update"]).click()
        _answer(page, w, pregnant="no")
        page.get_by_role("link", name="Face revitalisation course").click()
        expect(page.get_by_test_id("session-3")).to_be_visible()
        page.get_by_role("button", name=w["book"]).click()
        expect(page.get_by_test_id("upcoming").locator("li")).to_have_count(3)
        booking = OnlineBooking.objects.get(patient=patient)
        assert len(booking.appointment_ids) == 3
        # The unrecognised medicine warns: booked, and flagged for the clinician.
        assert booking.screening_level == "warn"

        # Remote consent with a typed name.
        page.get_by_test_id("to-consent").get_by_role("link").click()
        expect(page.get_by_test_id("consent-text")).to_be_visible()
        page.get_by_label(w["name"]).fill(patient.full_name)
        page.get_by_label(re.compile(re.escape(w["agree"]))).check()
        page.get_by_role("button", name=w["sign"]).click()
        assert Consent.objects.filter(patient=patient, plan__status="draft").exists()

        # My treatments: the signed session's aftercare.
        link = page.get_by_test_id("aftercare-link")
        expect(link).to_have_text(w["aftercare"])
        pdf = page.request.get(live_server.url + link.get_attribute("href"))
        assert pdf.headers["content-type"] == "application/pdf"
        assert pdf_text(pdf.body()).strip()
    except Exception:
        print(page.url, page.content()[:3000])
        raise
    finally:
        phone.close()

    # The practitioner confirms the reported answers.
    clinic_side = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 900})
    doctor = clinic_side.new_page()
    login(doctor, live_server, world.users["practitioner"].username, PASSWORD)
    doctor.goto(f"{live_server.url}/patients/{patient.pk}/")
    # The first questionnaire (with the medicine); the later one only changed pregnancy.
    doctor.get_by_test_id("questionnaire-link").last.click()
    expect(doctor.get_by_test_id("reported-facts")).to_contain_text("Zelvoran")
    expect(doctor.get_by_test_id("reported-facts")).not_to_contain_text("patient.")
    doctor.get_by_test_id("confirm-answers").click()
    expect(doctor.get_by_test_id("confirmed")).to_be_visible()
    clinic_side.close()
    latest = Questionnaire.objects.filter(patient=patient).order_by("-submitted_at").first()
    assert Questionnaire.objects.filter(patient=patient, confirmed_at__isnull=False).exists()
    assert latest is not None
