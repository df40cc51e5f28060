"""In Chromium, in English and Russian, from a fresh install: `createadmin` → the owner
adds a clinic with split and closed days → invites a practitioner and records her
training → she sets her password from the e-mailed link, signs in and books a patient."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo

import pytest
from django.core import mail
from playwright.sync_api import expect

from mesoclinic.accounts.models import Clinic, OpeningHours, User
from mesoclinic.cli import main
from mesoclinic.scheduling.models import Appointment, Credential
from tests.e2e.conftest import chart_ready, login
from tests.e2e.test_session_day import today_appointment  # noqa: F401  (shared fixture)

OWNER_PASSWORD = "violet-compass-harbour-58"
NEW_PASSWORD = "lilac-harbour-lantern-91"
ZONE = "Asia/Yekaterinburg"

TEXT = {
    "en": {
        "settings": "Clinic settings",
        "add_clinic": "Add a clinic",
        "name": "Clinic name",
        "address": "Address",
        "phone": "Phone",
        "time_zone": "Time zone",
        "locale": "Language and formats",
        "law": "Law on medical records",
        "other_country": "Another country (the longest period)",
        "opens": "{day}: opens",
        "closes": "{day}: closes",
        "opens2": "{day}: opens after a break",
        "closes2": "{day}: closes after a break",
        "days": ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"],
        "add_clinic_button": "Add clinic",
        "overlap": "must not overlap",
        "closed_from": "Closed from",
        "why": "Why (shown in the calendar)",
        "close": "Close the clinic",
        "add_staff": "Add a member of staff",
        "full_name": "Full name",
        "username": "Username",
        "email": "E-mail",
        "language": "Language",
        "clinic": "Clinic",
        "role": "Role",
        "practitioner": "Practitioner",
        "invite": "E-mail them a link to set it",
        "add": "Add",
        "invited": "Invited: has not set a password yet",
        "technique": "Technique",
        "nappage": "Nappage",
        "trained_on": "Date of training",
        "evidence": "Evidence of training",
        "record": "Record credential",
        "new_password": "New password",
        "confirm": "New password confirmation",
        "set_password": "Set password",
        "sign_in": "Sign in",
        "patients": "Patients",
        "register_patient": "Register a patient",
        "family": "Family name",
        "given": "Given name",
        "born": "Date of birth",
        "register": "Register",
        "appointments": "Appointments",
        "book_link": "Book an appointment",
        "date": "Date",
        "start": "Start time",
        "book": "Book",
        "outside": "outside the clinic's opening hours",
        "booked": "Appointment booked.",
        "who": "Olga Smirnova",
    },
    "ru": {
        "settings": "Настройки клиники",
        "add_clinic": "Добавить клинику",
        "name": "Название клиники",
        "address": "Адрес",
        "phone": "Телефон",
        "time_zone": "Часовой пояс",
        "locale": "Язык и форматы",
        "law": "Закон о медицинских документах",
        "other_country": "Другая страна (самый долгий срок)",
        "opens": "{day}: открытие",
        "closes": "{day}: закрытие",
        "opens2": "{day}: открытие после перерыва",
        "closes2": "{day}: закрытие после перерыва",
        "days": ["Понедельник", "Вторник", "Среда", "Четверг", "Пятница", "Суббота"],
        "add_clinic_button": "Добавить клинику",
        "overlap": "не должны пересекаться",
        "closed_from": "Закрыто с",
        "why": "Причина (видна в календаре)",
        "close": "Закрыть клинику",
        "add_staff": "Добавить сотрудника",
        "full_name": "Полное имя",
        "username": "Имя пользователя",
        "email": "Эл. почта",
        "language": "Язык",
        "clinic": "Клиника",
        "role": "Роль",
        "practitioner": "Врач",
        "invite": "Отправить ссылку для создания пароля по эл. почте",
        "add": "Добавить",
        "invited": "Приглашён: ещё не задал пароль",
        "technique": "Методика",
        "nappage": "Наппаж",
        "trained_on": "Дата обучения",
        "evidence": "Подтверждение обучения",
        "record": "Записать допуск",
        "new_password": "Новый пароль",
        "confirm": "Подтверждение нового пароля",
        "set_password": "Задать пароль",
        "sign_in": "Войти",
        "patients": "Пациенты",
        "register_patient": "Зарегистрировать пациента",
        "family": "Фамилия",
        "given": "Имя",
        "born": "Дата рождения",
        "register": "Зарегистрировать",
        "appointments": "Записи",
        "book_link": "Записать на приём",
        "date": "Дата",
        "start": "Время начала",
        "book": "Записать",
        "outside": "вне часов работы клиники",
        "booked": "Запись создана.",
        "who": "Ольга Смирнова",
    },
}


def next_monday(zone: zoneinfo.ZoneInfo) -> dt.date:
    today = dt.datetime.now(zone).date()
    return today + dt.timedelta(days=7 - today.weekday())


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_fresh_install_to_a_booking_by_an_invited_practitioner(
    page, live_server, lang, monkeypatch
):
    t = TEXT[lang]
    monkeypatch.setenv("MESOCLINIC_ADMIN_PASSWORD", OWNER_PASSWORD)
    assert (
        main(
            [
                "createadmin",
                "--username",
                "boss",
                "--email",
                "boss@example.test",
                "--organisation",
                "Skin Chain",
                "--clinic",
                "Centre",
                "--time-zone",
                "Europe/Moscow",
                "--language",
                lang,
            ]
        )
        == 0
    )
    mail.outbox.clear()

    # The owner signs in and adds a clinic two hours ahead of Moscow.
    login(page, live_server, "boss", OWNER_PASSWORD)
    page.get_by_role("link", name=t["settings"]).first.click()
    page.get_by_role("link", name=t["add_clinic"]).click()
    page.get_by_label(t["name"]).fill("Ural")
    page.get_by_label(t["address"]).fill("Lenina 1, Yekaterinburg")
    page.get_by_label(t["phone"]).fill("+7 343 000-00-00")
    page.get_by_label(t["time_zone"]).select_option(ZONE)
    page.get_by_label(t["locale"]).select_option("ru")
    # A Russian-speaking clinic abroad: the law on its records is not Russia's.
    page.get_by_label(t["law"]).select_option(label=t["other_country"])
    monday, *rest, _saturday = t["days"]
    # Monday is split by a lunch break; first, a typo makes the periods overlap.
    page.get_by_label(t["opens"].format(day=monday), exact=True).fill("09:00")
    page.get_by_label(t["closes"].format(day=monday), exact=True).fill("13:00")
    page.get_by_label(t["opens2"].format(day=monday), exact=True).fill("12:00")
    page.get_by_label(t["closes2"].format(day=monday), exact=True).fill("20:00")
    for day in rest:
        page.get_by_label(t["opens"].format(day=day), exact=True).fill("09:00")
        page.get_by_label(t["closes"].format(day=day), exact=True).fill("20:00")
    # Saturday and Sunday stay empty: closed.
    page.get_by_role("button", name=t["add_clinic_button"]).click()
    expect(page.get_by_role("alert").first).to_contain_text(t["overlap"])
    assert not Clinic.objects.filter(name="Ural").exists()
    page.get_by_label(t["opens2"].format(day=monday), exact=True).fill("14:00")
    page.get_by_role("button", name=t["add_clinic_button"]).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Ural")
    ural = Clinic.objects.get(name="Ural")
    assert (ural.time_zone, ural.locale, ural.jurisdiction) == (ZONE, "ru", "other")
    assert list(
        OpeningHours.objects.filter(clinic=ural, weekday=0).values_list("opens", "closes")
    ) == [(dt.time(9), dt.time(13)), (dt.time(14), dt.time(20))]
    assert not OpeningHours.objects.filter(clinic=ural, weekday__in=[5, 6]).exists()

    zone = zoneinfo.ZoneInfo(ZONE)
    monday_date = next_monday(zone)
    closed_day = monday_date + dt.timedelta(days=1)
    page.get_by_label(t["closed_from"]).fill(closed_day.isoformat())
    page.get_by_label(t["why"]).fill("Inventory")
    page.get_by_role("button", name=t["close"]).click()
    expect(page.get_by_test_id("closures")).to_contain_text("Inventory")

    # The owner invites a practitioner to the new clinic and records her training.
    page.get_by_role("link", name=t["settings"]).first.click()
    page.get_by_role("link", name=t["add_staff"]).click()
    page.get_by_label(t["full_name"]).fill(t["who"])
    page.get_by_label(t["username"]).fill("olga")
    page.get_by_role("textbox", name=t["email"], exact=True).fill("olga@example.test")
    page.get_by_role("combobox", name=t["language"], exact=True).select_option(lang)
    page.get_by_role("main").get_by_role("combobox", name=t["clinic"], exact=True).select_option(
        label="Ural"
    )
    page.get_by_role("combobox", name=t["role"], exact=True).select_option(label=t["practitioner"])
    page.get_by_label(t["invite"]).check()
    page.get_by_role("button", name=t["add"], exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(t["who"])
    expect(page.get_by_test_id("staff-status")).to_have_text(t["invited"])
    page.get_by_label(t["technique"]).select_option(label=t["nappage"])
    page.get_by_label(t["trained_on"]).fill("2026-03-14")
    page.get_by_label(t["evidence"]).fill("Certificate 42")
    page.get_by_role("button", name=t["record"]).click()
    expect(page.get_by_test_id("credentials")).to_contain_text("Certificate 42")
    olga = User.objects.get(username="olga")
    credential = Credential.objects.get(practitioner=olga)
    assert (credential.technique_id, credential.trained_on) == (
        "technique.nappage",
        dt.date(2026, 3, 14),
    )

    # She opens the link from the e-mail, sets her password and signs in.
    (message,) = mail.outbox
    link = re.search(r"https?://\S+/account/invitation/\S+/", message.body).group(0)
    page.context.clear_cookies()
    page.goto(link)
    page.get_by_label(re.compile(rf"^{t['new_password']}\W*$")).fill(NEW_PASSWORD)
    page.get_by_label(t["confirm"]).fill(NEW_PASSWORD)
    page.get_by_role("button", name=t["set_password"]).click()
    page.get_by_role("link", name=t["sign_in"]).click()
    if lang == "ru":
        page.set_viewport_size({"width": 768, "height": 1024})
    login(page, live_server, "olga", NEW_PASSWORD)
    expect(page.get_by_test_id("who")).to_be_visible()

    # She registers a patient and books her in the lunch break (refused), then after it.
    page.get_by_role("link", name=t["patients"]).first.click()
    page.get_by_role("link", name=t["register_patient"]).click()
    page.get_by_label(t["family"]).fill("Petrova")
    page.get_by_label(t["given"]).fill("Irina")
    page.get_by_label(t["born"]).fill("1990-01-02")
    page.get_by_label(
        re.compile("consents to the processing of personal data|согласие на обработку")
    ).check()
    page.get_by_role("button", name=t["register"]).click()
    page.get_by_test_id("appointments-link").click()
    page.get_by_role("link", name=t["book_link"]).click()
    page.get_by_label(t["practitioner"]).select_option(label=t["who"])
    page.get_by_label(re.compile(rf"^{t['date']}\W*$")).fill(monday_date.isoformat())
    page.get_by_label(t["start"]).fill("13:15")
    page.get_by_label(t["technique"]).select_option(label=t["nappage"])
    page.get_by_role("button", name=t["book"], exact=True).click()
    expect(page.get_by_role("alert").first).to_contain_text(t["outside"])
    assert not Appointment.objects.exists()
    page.get_by_label(t["start"]).fill("14:30")
    page.get_by_role("button", name=t["book"], exact=True).click()
    expect(page.locator(".messages")).to_contain_text(t["booked"])
    (appointment,) = Appointment.objects.all()
    assert appointment.clinic == ural and appointment.practitioner == olga
    local = appointment.starts_at.astimezone(zone)
    assert (local.date(), local.time()) == (monday_date, dt.time(14, 30))


def test_an_invited_practitioner_checks_in_charts_and_signs(
    page,
    live_server,
    world,
    today_appointment,  # noqa: F811  (the fixture imported above)
):
    """The invited practitioner treats: check-in, chart on the face map, sign."""
    from mesoclinic.accounts.models import Role
    from mesoclinic.accounts.staff_services import staff_add
    from mesoclinic.scheduling.services import credential_grant
    from tests.e2e.test_session_day import _check_in

    appointment, _lot = today_appointment
    mail.outbox.clear()
    olga = staff_add(
        scope=world.scope("owner"),
        organisation=world.organisation,
        username="olga",
        email="olga@example.test",
        display_name="Olga Smirnova",
        memberships=[(world.clinic, Role.PRACTITIONER)],
        invite_base_url=live_server.url,
    )
    credential_grant(
        scope=world.scope("owner"),
        practitioner=olga,
        technique_id="technique.nappage",
        trained_on=dt.date(2026, 3, 14),
        evidence="Certificate 42",
    )
    Appointment.objects.filter(pk=appointment.pk).update(practitioner=olga)

    (message,) = mail.outbox
    page.goto(re.search(r"https?://\S+/account/invitation/\S+/", message.body).group(0))
    page.get_by_label(re.compile(r"^New password\W*$")).fill(NEW_PASSWORD)
    page.get_by_label("New password confirmation").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Set password").click()
    page.get_by_role("link", name="Sign in").click()
    page.set_viewport_size({"width": 768, "height": 1024})
    login(page, live_server, "olga", NEW_PASSWORD)

    _check_in(page, live_server, appointment)
    expect(page.get_by_test_id("checkin-screening")).not_to_have_attribute("data-level", "block")
    page.get_by_test_id("open-chart").click()
    chart_ready(page)
    page.locator('[data-map="face"] [data-zone="zone.cheeks"] ellipse').first.click()
    row = page.get_by_test_id("chart-row")
    expect(row).to_have_count(1)
    row.get_by_label("Depth (mm)").fill("1")
    row.get_by_label("Volume (mL)").fill("2")
    page.get_by_test_id("chart-save").click()
    expect(page.get_by_test_id("entry")).to_have_count(1)
    page.get_by_test_id("sign").click()
    expect(page.get_by_test_id("signed")).to_be_visible()
    expect(page.get_by_test_id("signed")).to_contain_text("Olga Smirnova")
