"""Background work of the inventory: checking and importing a delivery CSV."""

from __future__ import annotations

from django_tasks import task


@task()
def delivery_import_task(import_id: int) -> int:
    """Run one delivery import (see services.delivery_import_run); returns the lots created."""
    from mesoclinic.inventory.services import delivery_import_run

    return delivery_import_run(import_id=import_id).lots_created
