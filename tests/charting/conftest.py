import pytest

from tests.charting.factories import make_day
from tests.scheduling.conftest import active_plan, clinic_setup  # noqa: F401  (shared)


@pytest.fixture
def day(world, active_plan):  # noqa: F811
    return make_day(world, active_plan)
