"""hypothesis fuzzing of the forms people fill: hostile text, huge numbers, far dates.

Each form is read as rendered (its field names come from the page), then posted with
generated values. Never a 500; and when the form is refused, nothing was written
(every table except the audit trail keeps its row count).
"""

from __future__ import annotations

import re

import pytest
from django.apps import apps
from django.test import Client
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from tests.sweeps.conftest import org_data_build

EXAMPLES = 20  # per form

# (role, address) of each form; {patient_id}-style names are filled from the world.
FORMS = [
    ("receptionist", "/patients/new/"),
    ("receptionist", "/patients/{patient_id}/edit/"),
    ("practitioner", "/patients/{patient_id}/history/add/"),
    ("practitioner", "/consultations/patient/{patient_id}/new/"),
    ("nurse", "/inventory/products/new/"),
    ("nurse", "/inventory/lots/receive/"),
    ("owner", "/inventory/lots/{lot_id}/movement/"),
    ("owner", "/inventory/settings/"),
    ("receptionist", "/schedule/book/?patient={patient_id}"),
    ("receptionist", "/schedule/patients/{patient_id}/availability/"),
    ("practitioner", "/sessions/{session_id}/side-effects/"),
    ("practitioner", "/sessions/{session_id}/addenda/"),
    ("practitioner", "/outcomes/sessions/{session_id}/"),
    ("nurse", "/outcomes/patients/{patient_id}/"),
    ("practitioner", "/photos/patient/{patient_id}/consent/"),
    ("practitioner", "/photos/patient/{patient_id}/capture/"),
    ("practitioner", "/photos/consents/{photo_consent_id}/withdraw/"),
]
# The page a form is shown on, when it posts somewhere else.
SHOWN_ON = {
    "/inventory/lots/{lot_id}/movement/": "/inventory/lots/{lot_id}/",
    "/sessions/{session_id}/side-effects/": "/sessions/{session_id}/",
    "/sessions/{session_id}/addenda/": "/sessions/{session_id}/",
    "/photos/consents/{photo_consent_id}/withdraw/": "/photos/consents/{photo_consent_id}/",
}

HOSTILE_TEXT = st.text(
    alphabet=st.one_of(
        st.characters(codec="utf-8"),
        st.sampled_from(["\x00", "\x1b", "\u202e", "\u200b", "\ufeff", "\r", "'", "<"]),
    ),
    max_size=40,
)
HUGE_NUMBER = st.one_of(
    st.integers(min_value=-(10**40), max_value=10**40).map(str),
    st.sampled_from(["1e30", "-1e30", "NaN", "Infinity", "-0", "0.0000001", "9" * 25]),
)
FAR_DATE = st.sampled_from(
    ["0001-01-01", "9999-12-31", "1899-12-31", "3000-01-01", "2026-02-30", "31.12.9999"]
)
VALUE = st.one_of(HOSTILE_TEXT, HUGE_NUMBER, FAR_DATE, st.just(""))


def _field_names(html: str) -> list[str]:
    names = re.findall(r'<(?:input|select|textarea)[^>]*\bname="([^"]+)"', html)
    return sorted(set(names) - {"csrfmiddlewaretoken"})


def _row_counts() -> dict[str, int]:
    return {
        model._meta.label: model.objects.count()
        for model in apps.get_models()
        if model._meta.label not in {"audit.AuditEvent", "sessions.Session", "axes.AccessLog"}
        and model._meta.managed
    }


@pytest.fixture
def ours(make_org):
    return org_data_build(make_org())


def _fuzz(client: Client, url: str, names: list[str]) -> int:
    """Post generated values for `names` to `url`; returns how many posts were made."""
    posted = 0

    @given(data=st.fixed_dictionaries({name: VALUE for name in names}))
    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def post(data):
        nonlocal posted
        before = _row_counts()
        response = client.post(url, data)
        posted += 1
        assert response.status_code < 500, (url, data)
        if response.status_code != 302:
            assert _row_counts() == before, (url, data)

    post()
    return posted


def test_no_form_answers_500_or_half_writes_whatever_is_posted(ours):
    posted = 0
    for role, template in FORMS:
        client = Client()
        client.force_login(ours.world.users[role])
        url = template.format(**ours.ids)
        page = client.get(SHOWN_ON.get(template, template).format(**ours.ids))
        assert page.status_code == 200, url
        names = _field_names(page.content.decode())
        assert names, url
        posted += _fuzz(client, url, names)
    print(f"\nform fuzz: {len(FORMS)} forms, {posted} posts")
