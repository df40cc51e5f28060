import pytest

from mesoclinic.charting.services import session_sign
from tests.charting.factories import NOW, charted, make_day
from tests.scheduling.conftest import active_plan, clinic_setup  # noqa: F401  (shared)


@pytest.fixture
def day(world, active_plan):  # noqa: F811
    return make_day(world, active_plan)


@pytest.fixture
def signed(day):
    """Session 1 of the course, charted in the cheeks and signed."""
    return session_sign(scope=day.scope, session=charted(day), now=NOW)
