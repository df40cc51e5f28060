"""Owners add staff by invitation or password, give roles per clinic, record credentials
with evidence, and deactivate people whose records stay attributed to them."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client

from mesoclinic.accounts.models import Membership, Role, User
from mesoclinic.accounts.scope import scope_for
from mesoclinic.accounts.staff_services import (
    staff_add,
    staff_deactivate,
    staff_password_set,
    staff_reactivate,
    staff_role_add,
    staff_role_remove,
)
from mesoclinic.audit.models import AuditEvent
from mesoclinic.scheduling.models import Credential
from mesoclinic.scheduling.services import appointment_book, credential_grant
from tests.conftest import PASSWORD
from tests.scheduling.conftest import MONDAY, at

NEW_PASSWORD = "lilac-harbour-lantern-91"


def signs_in(username: str, password: str) -> bool:
    """Sign in through the login page, as a person does."""
    response = Client().post("/login/", {"username": username, "password": password})
    return response.status_code == 302


def invite(world, **kw):
    return staff_add(
        scope=kw.pop("scope", None) or world.scope("owner"),
        organisation=world.organisation,
        username=kw.pop("username", "olga"),
        email=kw.pop("email", "olga@example.test"),
        display_name="Ольга Смирнова",
        language=kw.pop("language", "ru"),
        memberships=kw.pop("memberships", [(world.clinic, Role.PRACTITIONER)]),
        invite_base_url="http://testserver/",
        **kw,
    )


def link_of(message) -> str:
    return re.search(r"http://testserver(/account/invitation/\S+/)", message.body).group(1)


def test_an_invitation_mails_a_one_time_link_in_the_invitees_language(world, mailoutbox):
    user = invite(world)
    assert not user.has_usable_password()
    (message,) = mailoutbox
    assert message.to == ["olga@example.test"]
    assert message.subject == "Ваша учётная запись в Mesoclinic"
    assert "Ваше имя пользователя: olga" in message.body and "(Main)" in message.body

    client = Client()
    form_url = client.get(link_of(message), follow=True).redirect_chain[-1][0]
    response = client.post(form_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert response.status_code == 302
    assert signs_in("olga", NEW_PASSWORD)
    # Used once, the link is dead.
    again = Client().get(link_of(message), follow=True)
    assert "Срок действия приглашения истёк" in again.content.decode()


def test_a_weak_password_is_refused_and_nobody_is_created(world, mailoutbox):
    with pytest.raises(ValidationError) as exc:
        invite(world, password="12345678")
    assert "password" in exc.value.message_dict
    assert not User.objects.filter(username="olga").exists()
    assert not mailoutbox


def test_taken_usernames_and_e_mails_are_explained(world):
    with pytest.raises(ValidationError, match="taken"):
        invite(world, username=world.users["nurse"].username.upper())
    with pytest.raises(ValidationError, match="already signs in with"):
        invite(world, email=world.users["nurse"].email)


def test_a_failing_mail_server_leaves_nothing_half_written(world, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 9  # nothing listens there
    with pytest.raises(ValidationError, match="could not be sent"):
        invite(world)
    assert not User.objects.filter(username="olga").exists()


def test_only_owners_add_staff(world):
    with pytest.raises(PermissionDenied):
        invite(world, scope=world.scope("practitioner"))


def test_one_person_is_nurse_in_one_clinic_and_practitioner_in_another(world):
    user = invite(world, memberships=[(world.clinic, Role.NURSE)])
    staff_role_add(
        scope=world.scope("owner"), user=user, clinic=world.other_clinic, role="practitioner"
    )
    assert scope_for(user, clinic_id=world.clinic.pk).roles == {Role.NURSE}
    assert scope_for(user, clinic_id=world.other_clinic.pk).roles == {Role.PRACTITIONER}
    with pytest.raises(ValidationError, match="already"):
        staff_role_add(scope=world.scope("owner"), user=user, clinic=world.clinic, role=Role.NURSE)
    nurse = Membership.objects.get(user=user, clinic=world.clinic)
    staff_role_remove(scope=world.scope("owner"), membership=nurse)
    with pytest.raises(ValidationError, match="only role"):
        staff_role_remove(scope=world.scope("owner"), membership=Membership.objects.get(user=user))
    assert (
        AuditEvent.objects.filter(object_type="accounts.Membership", action="delete").count() == 1
    )


def test_the_last_owner_cannot_be_removed_or_deactivated(world):
    owner = world.scope("owner")
    boss = world.users["owner"]
    staff_role_add(scope=owner, user=boss, clinic=world.other_clinic, role=Role.NURSE)
    with pytest.raises(ValidationError, match="at least one owner"):
        staff_role_remove(
            scope=owner, membership=Membership.objects.get(user=boss, role=Role.OWNER)
        )
    with pytest.raises(ValidationError, match="yourself"):
        staff_deactivate(scope=owner, user=boss)
    with pytest.raises(ValidationError, match="at least one owner"):
        staff_deactivate(scope=None, user=boss)


def test_deactivated_staff_cannot_sign_in_and_keep_their_appointments(world, patient_of):
    practitioner = world.users["practitioner"]
    credential_grant(
        scope=world.scope("owner"), practitioner=practitioner, technique_id="technique.nappage"
    )
    appointment = appointment_book(
        scope=world.scope("receptionist"),
        patient=patient_of(world),
        practitioner=practitioner,
        starts_at=at(MONDAY, "10:00"),
        duration_min=30,
    )
    staff_deactivate(scope=world.scope("owner"), user=practitioner)
    assert not signs_in(practitioner.username, PASSWORD)
    appointment.refresh_from_db()
    assert appointment.practitioner == practitioner
    assert User.objects.filter(pk=practitioner.pk).exists()
    staff_reactivate(scope=world.scope("owner"), user=practitioner)
    assert signs_in(practitioner.username, PASSWORD)


def test_an_owner_sets_a_password_that_passes_the_rules(world):
    nurse = world.users["nurse"]
    with pytest.raises(ValidationError) as exc:
        staff_password_set(scope=world.scope("owner"), user=nurse, password="nurse")
    assert "password" in exc.value.message_dict
    staff_password_set(scope=world.scope("owner"), user=nurse, password=NEW_PASSWORD)
    assert signs_in(nurse.username, NEW_PASSWORD)


def test_a_credential_records_the_date_and_evidence_of_training(world):
    owner = world.scope("owner")
    practitioner = world.users["practitioner"]
    with pytest.raises(ValidationError, match="future"):
        credential_grant(
            scope=owner,
            practitioner=practitioner,
            technique_id="technique.papule",
            trained_on=dt.date(2027, 1, 1),
            evidence="Course",
            today=dt.date(2026, 11, 30),
        )
    credential_grant(
        scope=owner,
        practitioner=practitioner,
        technique_id="technique.papule",
        trained_on=dt.date(2026, 3, 14),
        evidence="Certificate 42, papule technique course",
        today=dt.date(2026, 11, 30),
    )
    credential = Credential.objects.get(practitioner=practitioner)
    assert credential.trained_on == dt.date(2026, 3, 14)
    assert credential.evidence.startswith("Certificate 42")
    event = AuditEvent.objects.get(object_type="scheduling.Credential")
    assert event.detail["evidence"].startswith("Certificate 42")
