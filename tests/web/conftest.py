from tests.scheduling.conftest import active_plan, clinic_setup  # noqa: F401  (shared fixtures)
