"""Aftercare for exactly the zones and techniques charted, with the clinic's own durations."""

from __future__ import annotations

import pytest
from django.core import mail
from django.core.exceptions import ValidationError

from mesoclinic.charting.selectors import aftercare_items
from mesoclinic.charting.services import aftercare_email, aftercare_policy_set, session_sign
from tests.charting.factories import NOW, charted, make_day, row


@pytest.fixture
def day(world, active_plan):
    return make_day(world, active_plan)


def test_aftercare_follows_the_charted_zones_and_the_patients_language(day):
    session = session_sign(scope=day.scope, session=charted(day), now=NOW)
    ids = [i.id for i in aftercare_items(session=session, language="en")]
    assert "aftercare.no-makeup" in ids  # a face zone
    assert "aftercare.hair-wash" not in ids  # no scalp charted
    ru = aftercare_items(session=session, language="ru")
    assert any("в течение" in i.text for i in ru)


def test_the_clinics_own_durations_replace_the_defaults(day):
    session = session_sign(scope=day.scope, session=charted(day), now=NOW)
    aftercare_policy_set(
        scope=day.world.scope("owner"),
        clinic=day.world.clinic,
        hours={"aftercare.no-sauna-solarium": 336},
        now=NOW,
    )
    sauna = next(
        i
        for i in aftercare_items(session=session, language="en")
        if i.id == "aftercare.no-sauna-solarium"
    )
    assert sauna.hours == 336 and "2 weeks" in sauna.text
    with pytest.raises(ValidationError):
        aftercare_policy_set(
            scope=day.world.scope("owner"),
            clinic=day.world.clinic,
            hours={"aftercare.nope": 1},
            now=NOW,
        )


@pytest.mark.django_db(transaction=True)
def test_aftercare_is_emailed_as_a_pdf_in_the_patients_language(day):
    day.patient.email = "patient@example.test"
    day.patient.preferred_language = "ru"
    day.patient.save()
    session = session_sign(
        scope=day.scope, session=charted(day, [row("zone.scalp", lot=day.lot)]), now=NOW
    )
    aftercare_email(scope=day.scope, session=session)
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["patient@example.test"]
    _name, pdf, mimetype = message.attachments[0]
    assert mimetype == "application/pdf" and pdf.startswith(b"%PDF")
    assert "уход" in message.subject.lower() or message.subject
