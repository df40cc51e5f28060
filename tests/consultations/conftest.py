"""Helpers for consultation, plan and consent tests: built through the services."""

from __future__ import annotations

import base64
import datetime as dt
import io

import pytest
from django.utils import timezone

TODAY = dt.date(2026, 11, 23)


def signature_png(inked: bool = True) -> str:
    from PIL import Image, ImageDraw

    image = Image.new("RGBA", (300, 100), (255, 255, 255, 0))
    if inked:
        draw = ImageDraw.Draw(image)
        draw.line([(10, 80), (80, 20), (150, 70), (280, 30)], fill=(0, 0, 0, 255), width=4)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


@pytest.fixture
def clinic_case(world, patient_of):
    """A patient, a consultation for face revitalisation and a helper to plan it."""
    from mesoclinic.consultations.services import consultation_create, plan_create

    patient = patient_of(world, born="1985-04-01")
    scope = world.scope("practitioner")
    consultation = consultation_create(
        scope=scope,
        patient=patient,
        now=timezone.now(),
        today=TODAY,
        examination="Fine lines, dull skin",
        concerns="Looks tired",
        indications=["indication.dehydration"],
        zones=["zone.cheeks", "zone.forehead"],
    )

    def make_plan(**kw):
        args = {
            "scope": scope,
            "patient": patient,
            "consultation": consultation,
            "now": timezone.now(),
            "today": TODAY,
            "protocol_id": "protocol.skinbooster-ha",
            "zones": ["zone.cheeks"],
            "technique_ids": ["technique.papule"],
            "products": [("product.ha-skinbooster", "1.0")],
            "sessions": 3,
            "interval_min_days": 14,
            "interval_max_days": 28,
            "preferred_interval_days": 21,
            "target_start": TODAY + dt.timedelta(days=7),
        }
        args.update(kw)
        return plan_create(**args)

    class Case:
        pass

    case = Case()
    case.world, case.patient, case.scope = world, patient, scope
    case.consultation, case.make_plan = consultation, make_plan
    return case
