"""Overrides: never for an absolute contraindication, a physician's decision otherwise,
and a second clinician's co-signature where the clinic asks for one."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from mesoclinic.audit.models import AuditEvent
from mesoclinic.charting.screening import Answer
from mesoclinic.charting.services import (
    screening_settings_update,
    session_override,
    session_override_cosign,
)
from tests.charting.factories import NOW, checked_in, make_day, no_answers


@pytest.fixture
def day(world, active_plan):
    return make_day(world, active_plan)


def _anticoagulant(day):
    answer = Answer(yes=True, text="Ксарелто 20 мг")
    return checked_in(day, answers={**no_answers(), "vq.new-medications": answer})


def test_a_pregnancy_block_cannot_be_overridden_by_anyone(day):
    session = checked_in(day, answers={**no_answers(), "vq.pregnancy": Answer(yes=True)})
    assert session.screening_level == "block"
    with pytest.raises(ValidationError, match="cannot be overridden"):
        session_override(scope=day.scope, session=session, reason="Patient insists", now=NOW)
    session.refresh_from_db()
    assert not session.overridden and session.screening_stops


def test_a_relative_block_is_overridden_by_a_physician_and_shows_on_the_record(day):
    session = _anticoagulant(day)
    assert session.screening_level == "block"
    with pytest.raises(PermissionDenied):
        session_override(scope=day.nurse(), session=session, reason="Agreed", now=NOW)
    session = session_override(
        scope=day.scope, session=session, reason="Cardiologist agreed; pressure applied", now=NOW
    )
    assert not session.screening_stops
    assert "ci.anticoagulant" in session.override_rules
    entry = AuditEvent.objects.filter(object_id=str(session.pk)).order_by("-id").first()
    assert entry.detail["override"] == session.override_rules


def test_the_clinic_may_require_a_second_clinicians_co_signature(day):
    owner = day.world.scope("owner")
    screening_settings_update(
        scope=owner, clinic=day.world.clinic, override_cosign_required=True, now=NOW
    )
    session = _anticoagulant(day)
    session = session_override(scope=day.scope, session=session, reason="Agreed", now=NOW)
    assert session.overridden and session.screening_stops
    with pytest.raises(ValidationError, match="second clinician"):
        session_override_cosign(scope=day.scope, session=session, now=NOW)
    session = session_override_cosign(scope=day.nurse(), session=session, now=NOW)
    assert session.override_cosigned_by_id == day.world.users["nurse"].pk
    assert not session.screening_stops
    entry = AuditEvent.objects.filter(object_id=str(session.pk)).order_by("-id").first()
    assert "cosigned_by" in entry.detail


def test_only_the_owner_sets_the_co_signature_rule(day):
    with pytest.raises(PermissionDenied):
        screening_settings_update(
            scope=day.scope, clinic=day.world.clinic, override_cosign_required=True, now=NOW
        )


def test_every_override_shows_on_the_patients_record(day, client):
    session = _anticoagulant(day)
    session_override(scope=day.scope, session=session, reason="Cardiologist agreed", now=NOW)
    client.force_login(day.world.users["nurse"])
    page = client.get(f"/patients/{session.patient_id}/").content.decode()
    assert 'data-testid="overrides"' in page
    assert "Cardiologist agreed" in page
