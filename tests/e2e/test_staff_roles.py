"""In Chromium, in English and Russian: an owner makes a nurse of one clinic the
practitioner of another, and deactivates a receptionist, who can then no longer sign in."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from mesoclinic.accounts.models import Membership
from mesoclinic.accounts.services import user_language_set
from tests.conftest import PASSWORD
from tests.e2e.conftest import login

TEXT = {
    "en": {
        "settings": "Clinic settings",
        "clinic": "Clinic",
        "role": "Role",
        "practitioner": "Practitioner",
        "add_role": "Add role",
        "deactivate": "Deactivate",
        "deactivated": "Deactivated: cannot sign in; their records stay theirs",
        "only_role": "only role",
    },
    "ru": {
        "settings": "Настройки клиники",
        "clinic": "Клиника",
        "role": "Роль",
        "practitioner": "Врач",
        "add_role": "Добавить роль",
        "deactivate": "Отключить",
        "deactivated": "Отключён: не может входить; его записи остаются за ним",
        "only_role": "единственная роль",
    },
}


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_roles_per_clinic_and_deactivation(page, live_server, world, lang):
    t = TEXT[lang]
    owner, nurse, receptionist = (world.users[r] for r in ("owner", "nurse", "receptionist"))
    user_language_set(user=owner, language=lang)
    user_language_set(user=nurse, language=lang)
    login(page, live_server, owner.username, PASSWORD)

    page.get_by_role("link", name=t["settings"]).first.click()
    page.get_by_test_id("staff-list").get_by_role("link", name=str(nurse)).click()
    main = page.get_by_role("main")
    main.get_by_role("combobox", name=t["clinic"], exact=True).select_option(label="Second")
    main.get_by_role("combobox", name=t["role"], exact=True).select_option(label=t["practitioner"])
    page.get_by_role("button", name=t["add_role"]).click()
    expect(page.get_by_test_id("roles")).to_contain_text(f"{t['practitioner']} · Second")
    assert Membership.objects.filter(
        user=nurse, clinic=world.other_clinic, role="practitioner"
    ).exists()

    page.get_by_role("link", name=t["settings"]).first.click()
    page.get_by_test_id("staff-list").get_by_role("link", name=str(receptionist)).click()
    # Taking away her only role is refused with a reason; deactivating her is not.
    page.get_by_test_id("roles").get_by_role("button").click()
    expect(page.locator(".messages")).to_contain_text(t["only_role"])
    page.get_by_role("button", name=t["deactivate"]).click()
    expect(page.get_by_test_id("staff-status")).to_have_text(t["deactivated"])
    page.get_by_test_id("logout").click()

    login(page, live_server, receptionist.username, PASSWORD)
    expect(page.get_by_role("alert").first).to_be_visible()
    assert page.url.rstrip("/").endswith("/login")

    # The nurse now works as a practitioner in the second clinic.
    login(page, live_server, nurse.username, PASSWORD)
    page.get_by_label(t["clinic"], exact=True).select_option(label="Second")
    expect(page.get_by_test_id("who")).to_contain_text(re.compile(t["practitioner"]))
