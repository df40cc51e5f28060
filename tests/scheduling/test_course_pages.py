"""The plan's course booking pages, forms submitted as rendered."""

from __future__ import annotations

import pytest

from mesoclinic.scheduling.models import Appointment
from tests.scheduling.forms_as_rendered import as_post, form_fields
from tests.scheduling.test_desk_pages import client_for, text


def row_errors(html: str, index: int) -> str:
    marker = f'id="s{index}-errors"'
    if marker not in html:
        return ""
    return html.split(marker, 1)[1].split("</ul>", 1)[0]


@pytest.mark.parametrize("language", ["en", "ru"])
def test_an_active_plan_links_to_booking_its_course(world, active_plan, language):
    client = client_for(world.users["practitioner"], language=language)
    page = text(client.get(f"/consultations/plans/{active_plan.pk}/"))
    assert f'href="/schedule/courses/{active_plan.pk}/"' in page


def test_a_draft_plan_has_no_course_booking_link(world, active_plan):
    active_plan.status = "draft"
    active_plan.save(update_fields=["status"])
    page = text(
        client_for(world.users["practitioner"]).get(f"/consultations/plans/{active_plan.pk}/")
    )
    assert f"/schedule/courses/{active_plan.pk}/" not in page


@pytest.mark.parametrize("language", ["en", "ru"])
def test_one_bad_row_shows_its_own_error_and_every_row_keeps_what_was_typed(
    world, active_plan, language
):
    client = client_for(world.users["receptionist"], language=language)
    url = f"/schedule/courses/{active_plan.pk}/"
    fields = form_fields(text(client.get(url)), "course-form")
    values = dict(fields)
    late = "23:30"
    # Row 2 starts too late; row 4 is moved to 12:00, a valid time the user chose.
    response = client.post(url, as_post(fields, **{"s2-time": late, "s4-time": "12:00"}))
    page = text(response)
    assert response.status_code == 200
    expected = "outside the clinic" if language == "en" else "вне часов работы"
    assert expected in row_errors(page, 2)
    assert "same day" not in page
    for index in (1, 3, 4, 5, 6):
        assert row_errors(page, index) == ""
    kept = dict(form_fields(page, "course-form"))
    assert kept["s2-time"] == late
    assert kept["s4-time"] == "12:00"
    assert kept["s3-day"] == values["s3-day"]
    assert not Appointment.objects.filter(plan_id=active_plan.pk).exists()


def test_two_bad_rows_each_show_their_error(world, active_plan):
    client = client_for(world.users["receptionist"])
    url = f"/schedule/courses/{active_plan.pk}/"
    fields = form_fields(text(client.get(url)), "course-form")
    response = client.post(url, as_post(fields, **{"s2-time": "23:30", "s5-day": "2020-01-06"}))
    page = text(response)
    assert "opening hours" in row_errors(page, 2)
    assert row_errors(page, 5), "the second bad row has its own message"
    assert not Appointment.objects.filter(plan_id=active_plan.pk).exists()


def test_a_booked_course_is_not_offered_for_booking_again(world, active_plan):
    client = client_for(world.users["receptionist"])
    url = f"/schedule/courses/{active_plan.pk}/"
    fields = form_fields(text(client.get(url)), "course-form")
    assert client.post(url, as_post(fields)).status_code == 302
    assert Appointment.objects.filter(plan_id=active_plan.pk).count() == 6
    page = text(client.get(url))
    assert 'data-testid="already-booked"' in page
    assert 'data-testid="course-form"' not in page
    # The old page, submitted again (a second tab, a double click), books nothing more.
    response = client.post(url, as_post(fields))
    assert "booked already" in text(response)
    assert Appointment.objects.filter(plan_id=active_plan.pk).count() == 6


def test_the_patients_appointments_page_offers_the_unbooked_course(world, active_plan):
    client = client_for(world.users["receptionist"])
    url = f"/schedule/patients/{active_plan.patient_id}/"
    assert f'href="/schedule/courses/{active_plan.pk}/"' in text(client.get(url))


@pytest.mark.parametrize("language", ["en", "ru"])
def test_cancelling_the_plan_lists_the_appointments_it_cancelled(world, active_plan, language):
    from django.utils import formats, translation

    client = client_for(world.users["receptionist"])
    url = f"/schedule/courses/{active_plan.pk}/"
    assert (
        client.post(url, as_post(form_fields(text(client.get(url)), "course-form"))).status_code
        == 302
    )
    first = Appointment.objects.filter(plan_id=active_plan.pk).order_by("starts_at").first()
    practitioner = client_for(world.users["practitioner"], language=language)
    plan_url = f"/consultations/plans/{active_plan.pk}/"
    fields = form_fields(text(practitioner.get(plan_url)), "/cancel/")
    response = practitioner.post(
        f"/consultations/plans/{active_plan.pk}/cancel/", as_post(fields), follow=True
    )
    page = text(response)
    expected = "so are its 6 booked appointments" if language == "en" else "записей на приём тоже"
    assert expected in page
    from mesoclinic.accounts.locales import locale_language

    # Words in the user's language, formats of the clinic's locale.
    with translation.override(
        locale_language(language=language, clinic_locale=world.clinic.locale)
    ):
        shown = formats.date_format(
            first.starts_at.astimezone(world.clinic.zone), "SHORT_DATETIME_FORMAT"
        )
    assert shown in page
    assert set(
        Appointment.objects.filter(plan_id=active_plan.pk).values_list("status", flat=True)
    ) == {"cancelled"}
