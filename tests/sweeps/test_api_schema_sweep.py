"""schemathesis against the API's own OpenAPI schema: no server error, no schema violation.

Valid and invalid cases (positive and negative generation) for every operation, with a
fixed seed and a bounded number of examples, through the WSGI application and a real
token, on the test database.
"""

from __future__ import annotations

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from mesoclinic.api.services import api_token_create

EXAMPLES = 15  # per operation and generation mode
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture
def connection_kept_open():
    """The WSGI handler closes the database connection after each request; the test
    database lives in that connection, so keep it open (as Django's test client does)."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


def test_the_api_answers_every_generated_request_as_its_schema_says(
    world, patient_of, connection_kept_open
):
    patient_of(world, family="Schema")
    _token, raw = api_token_create(user=world.users["practitioner"], clinic=world.clinic, name="s")
    auth = {"Authorization": f"Bearer {raw}"}
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())
    cases = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(
                max_examples=EXAMPLES,
                derandomize=True,
                database=None,
                deadline=None,
                phases=[Phase.explicit, Phase.generate],
                suppress_health_check=list(HealthCheck),
            )
            def run(case):
                nonlocal cases
                cases += 1
                response = case.call(headers=auth)
                case.validate_response(response, checks=CHECKS)

            run()
    print(f"\nschemathesis: {cases} cases")
    assert cases > 0
