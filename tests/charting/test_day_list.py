"""The sessions day list reads each session's state, not its screening documents."""

from __future__ import annotations

from mesoclinic.charting.selectors import DAY_LIST_DEFERRED, day_sessions
from tests.charting.factories import TODAY, checked_in


def test_day_list_leaves_the_screening_documents_in_the_database(day):
    session = checked_in(day)
    assert session.screening_result  # there is something to leave behind
    rows = day_sessions(scope=day.scope, clinic=day.world.clinic, day=TODAY)
    listed = next(r.session for r in rows if r.session is not None)
    assert listed.pk == session.pk
    assert set(DAY_LIST_DEFERRED) <= listed.get_deferred_fields()
    # What the list shows is there without another query.
    assert listed.status == session.status
    assert listed.screening_level == session.screening_level
    assert rows[0].progress == (1, day.plan.sessions)
