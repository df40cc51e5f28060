"""plan_complete_if_done: a course closes when its last session is signed, not before."""

from __future__ import annotations

import datetime as dt

from mesoclinic.charting.services import session_sign
from mesoclinic.consultations.models import PlanStatus
from mesoclinic.consultations.services import plan_complete_if_done
from tests.charting.factories import NOW, charted, make_day

NOW_AWARE = dt.datetime(2026, 11, 30, 12, 0, tzinfo=dt.UTC)


def test_plan_completes_only_when_every_session_is_signed(world, active_plan):
    scope = world.scope("practitioner")
    still = plan_complete_if_done(scope=scope, plan=active_plan, signed_sessions=5, now=NOW_AWARE)
    assert still.status == PlanStatus.ACTIVE
    done = plan_complete_if_done(scope=scope, plan=active_plan, signed_sessions=6, now=NOW_AWARE)
    assert done.status == PlanStatus.COMPLETED


def test_signing_the_first_of_six_sessions_keeps_the_plan_active(world, active_plan):
    day = make_day(world, active_plan)
    session_sign(scope=day.scope, session=charted(day), now=NOW)
    active_plan.refresh_from_db()
    assert active_plan.status == PlanStatus.ACTIVE


def test_signing_the_last_session_completes_the_plan(world, active_plan):
    active_plan.sessions = 1
    active_plan.save(update_fields=["sessions"])
    day = make_day(world, active_plan)
    session_sign(scope=day.scope, session=charted(day), now=NOW)
    active_plan.refresh_from_db()
    assert active_plan.status == PlanStatus.COMPLETED
