"""On a phone (390×844), in English and Russian: a new patient registers on the clinic's
public booking page with an e-mailed code; a patient confirms a visit from the reminder's
link without signing in, and follows it on to move the visit after signing in."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from mesoclinic.patients.models import Patient
from mesoclinic.portal.models import SelfRegistration
from mesoclinic.scheduling.models import Appointment
from mesoclinic.scheduling.tasks import appointment_reminder_send

PHONE = {"width": 390, "height": 844}
WORDS = {
    "en": {
        "family": "Family name",
        "given": "Given name",
        "born": "Date of birth",
        "email": "E-mail address",
        "phone": "Mobile phone (for reminders)",
        "consent": "I agree that the clinic keeps",
        "send": "Send me a code",
        "code": "Code from the e-mail",
        "finish": "Finish registering",
        "welcome": "You are registered",
        "confirm": "Confirm my visit",
        "confirmed": "Your visit is confirmed",
        "move": "Move or cancel my visit",
        "password": "Password",
        "signin": "Sign in",
        "move_title": "Move this visit",
        "consent_error": "Tick the box",
    },
    "ru": {
        "family": "Фамилия",
        "given": "Имя",
        "born": "Дата рождения",
        "email": "Адрес электронной почты",
        "phone": "Мобильный телефон (для напоминаний)",
        "consent": "Я согласен(на), что клиника хранит",
        "send": "Прислать код",
        "code": "Код из письма",
        "finish": "Завершить регистрацию",
        "welcome": "Вы зарегистрированы",
        "confirm": "Подтвердить визит",
        "confirmed": "Ваш визит подтверждён",
        "move": "Перенести или отменить визит",
        "password": "Пароль",
        "signin": "Войти",
        "move_title": "Перенести этот визит",
        "consent_error": "Отметьте согласие",
    },
}


def _field(page, label: str):
    """A field by the start of its label (required fields add a star after it)."""
    return page.get_by_label(re.compile("^" + re.escape(label)))


@pytest.fixture
def _no_limits():
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.mark.parametrize("language", ["en", "ru"])
def test_new_patient_registers_on_the_booking_page(
    browser, live_server, world, language, _no_limits
):
    w = WORDS[language]
    context = browser.new_context(locale="en-GB" if language == "en" else "ru-RU", viewport=PHONE)
    context.set_default_timeout(15_000)
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/portal/register/{world.clinic.pk}/")
        _field(page, w["family"]).fill("Novikova")
        _field(page, w["given"]).fill("Vera")
        _field(page, w["born"]).fill("1991-03-15")
        _field(page, w["email"]).fill(f"vera.{language}@example.test")
        _field(page, w["phone"]).fill("+7 900 123-45-67")
        # Without the consent: explained in the patient's language, nothing sent.
        page.get_by_role("button", name=w["send"]).click()
        expect(page.locator("body")).to_contain_text(w["consent_error"])
        assert not mail.outbox
        page.get_by_label(re.compile(re.escape(w["consent"]))).check()
        page.get_by_role("button", name=w["send"]).click()
        code = re.search(r"\b(\d{6})\b", mail.outbox[-1].body).group(1)
        _field(page, w["code"]).fill(code)
        page.get_by_role("button", name=w["finish"]).click()
        expect(page.get_by_role("status")).to_contain_text(w["welcome"])
        expect(page.get_by_test_id("services")).to_be_visible()
    except Exception:
        print(page.url, page.content()[:3000])
        raise
    finally:
        context.close()
    patient = Patient.objects.get(family_name="Novikova")
    assert patient.preferred_language == language and patient.data_consent
    assert SelfRegistration.objects.filter(patient=patient, reviewed_at__isnull=True).exists()


@pytest.mark.parametrize("language", ["en", "ru"])
def test_patient_confirms_from_the_reminder_then_moves_the_visit(
    browser, live_server, world, patient_of, language, settings, _no_limits
):
    from mesoclinic.patients.services import patient_update
    from mesoclinic.portal.services import invite_accept, portal_invite
    from mesoclinic.scheduling.services import appointment_book

    w = WORDS[language]
    settings.PORTAL_BASE_URL = live_server.url
    patient = patient_of(world, family="Reminded", given="Rita", born="1980-02-02")
    patient = patient_update(
        scope=world.scope("receptionist"),
        patient=patient,
        today=dt.date(2026, 11, 23),
        email="rita@example.test",
        preferred_language=language,
    )
    link = portal_invite(
        scope=world.scope("receptionist"),
        patient=patient,
        base_url="http://testserver/",
        now=timezone.now(),
    )
    invite_accept(
        secret=link.rstrip("/").rsplit("/", 1)[1], password="sea-glass-77", now=timezone.now()
    )
    zone = world.clinic.zone
    day = timezone.now().astimezone(zone).date() + dt.timedelta(days=3)
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    visit = appointment_book(
        scope=world.scope("receptionist"),
        patient=patient,
        practitioner=world.users["practitioner"],
        starts_at=dt.datetime.combine(day, dt.time(11), tzinfo=zone),
        duration_min=30,
        now=timezone.now(),
    )
    mail.outbox.clear()
    appointment_reminder_send.call(visit.pk)
    confirm = re.search(r"(https?://\S+/portal/visit/\S+/)", mail.outbox[-1].body).group(1)

    context = browser.new_context(locale="en-GB" if language == "en" else "ru-RU", viewport=PHONE)
    context.set_default_timeout(15_000)
    page = context.new_page()
    try:
        page.goto(confirm)
        page.get_by_role("button", name=w["confirm"]).click()
        expect(page.get_by_test_id("visit-confirmed")).to_contain_text(w["confirmed"])
        assert Appointment.objects.get(pk=visit.pk).status == "confirmed"
        # On to move it: sign in first, then the visit's page.
        page.get_by_role("link", name=w["move"]).click()
        _field(page, w["email"]).fill("rita@example.test")
        _field(page, w["password"]).fill("sea-glass-77")
        page.get_by_role("button", name=w["signin"]).click()
        expect(page.get_by_role("heading", name=w["move_title"])).to_be_visible()
        assert page.url.endswith(f"/portal/visits/{visit.pk}/")
    except Exception:
        print(page.url, page.content()[:3000])
        raise
    finally:
        context.close()
