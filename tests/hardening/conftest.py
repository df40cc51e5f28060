import pytest
from django.conf import settings
from django.utils import translation


@pytest.fixture(autouse=True)
def _language_restored():
    """Requests by a Russian-speaking user leave Russian active in the test thread."""
    yield
    translation.activate(settings.LANGUAGE_CODE)
