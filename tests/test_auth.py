"""Sign-in, lockout, password hashing, change and reset."""

from __future__ import annotations

import re

from django.core import mail
from django.test import Client

from tests.conftest import PASSWORD


def test_passwords_are_hashed_with_argon2(world):
    assert world.users["owner"].password.startswith("argon2")


def test_repeated_failed_sign_ins_lock_the_account_even_with_the_right_password(world, settings):
    username = world.users["practitioner"].username
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        response = client.post("/login/", {"username": username, "password": "wrong-password"})
    response = client.post("/login/", {"username": username, "password": PASSWORD})
    assert response.status_code == 429
    assert "Too many failed sign-in attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_successful_sign_in_resets_the_failure_count(world, settings):
    username = world.users["nurse"].username
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        client.post("/login/", {"username": username, "password": "wrong-password"})
    assert client.post("/login/", {"username": username, "password": PASSWORD}).status_code == 302
    client.post("/logout/")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        client.post("/login/", {"username": username, "password": "wrong-password"})
    assert client.post("/login/", {"username": username, "password": PASSWORD}).status_code == 302


def test_wrong_password_message_is_in_russian_for_a_russian_browser(world):
    client = Client(HTTP_ACCEPT_LANGUAGE="ru")
    response = client.post("/login/", {"username": "nobody", "password": "x"})
    assert "Неверное имя пользователя или пароль" in response.content.decode()


def test_password_change_needs_the_old_password_and_a_strong_new_one(world):
    client = Client()
    client.force_login(world.users["owner"])
    weak = client.post(
        "/password/change/",
        {"old_password": PASSWORD, "new_password1": "12345", "new_password2": "12345"},
    )
    assert weak.status_code == 200
    assert "field-errors" in weak.content.decode()
    ok = client.post(
        "/password/change/",
        {
            "old_password": PASSWORD,
            "new_password1": "a-much-better-passphrase",
            "new_password2": "a-much-better-passphrase",
        },
    )
    assert ok.status_code == 302
    world.users["owner"].refresh_from_db()
    assert world.users["owner"].check_password("a-much-better-passphrase")


def test_password_reset_sends_a_working_link_by_email(world):
    user = world.users["receptionist"]
    client = Client()
    client.post("/password/reset/", {"email": user.email})
    assert len(mail.outbox) == 1
    link = re.search(r"https?://[^/]+(/password/reset/\S+/)", mail.outbox[0].body).group(1)
    form = client.get(link, follow=True)
    assert form.status_code == 200
    done = client.post(
        form.redirect_chain[-1][0],
        {"new_password1": "brand-new-passphrase", "new_password2": "brand-new-passphrase"},
    )
    assert done.status_code == 302
    user.refresh_from_db()
    assert user.check_password("brand-new-passphrase")


def test_pages_need_a_signed_in_user(db):
    for url in ("/", "/patients/", "/audit/"):
        response = Client().get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/login/")


def test_an_invited_member_of_staff_without_a_password_can_use_forgot_password(world):
    """The invitation got lost: "Forgot your password?" sends the invited (active) user a
    link that sets their first password; a deactivated user still gets nothing."""
    from mesoclinic.accounts.models import Role
    from mesoclinic.accounts.services import user_create

    invited = user_create(
        organisation=world.organisation,
        username="newcomer",
        email="newcomer@example.org",
        password=None,
        display_name="New Comer",
        language="en",
        memberships=[(world.clinic, Role.NURSE)],
    )
    assert not invited.has_usable_password()
    client = Client()
    client.post("/password/reset/", {"email": "Newcomer@Example.org"})
    assert len(mail.outbox) == 1
    link = re.search(r"https?://[^/]+(/password/reset/\S+/)", mail.outbox[0].body).group(1)
    form = client.get(link, follow=True)
    done = client.post(
        form.redirect_chain[-1][0],
        {"new_password1": "first-own-passphrase", "new_password2": "first-own-passphrase"},
    )
    assert done.status_code == 302
    invited.refresh_from_db()
    assert invited.check_password("first-own-passphrase")

    invited.is_active = False
    invited.save(update_fields=["is_active"])
    client.post("/password/reset/", {"email": "newcomer@example.org"})
    assert len(mail.outbox) == 1
