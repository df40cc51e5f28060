# ruff: noqa: F811  (the clinic_case fixture is imported, then requested by name)
"""plan_create / plan_update: practitioners only, screened on every change, DB-checked window."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from mesoclinic.consultations.models import TreatmentPlan
from mesoclinic.consultations.services import plan_update
from mesoclinic.patients.services import history_fact_record
from tests.consultations.conftest import TODAY, clinic_case  # noqa: F401


def test_plan_exposes_what_sessions_and_scheduling_need(clinic_case):
    plan = clinic_case.make_plan()
    assert plan.zones == ["zone.cheeks"]
    assert plan.technique_ids == ["technique.papule"]
    assert plan.product_doses == {"product.ha-skinbooster": 1.0}
    assert (plan.sessions, plan.interval_min_days, plan.interval_max_days) == (3, 14, 28)
    assert plan.preferred_interval_days == 21
    assert plan.status == "draft"
    assert plan.knowledge_version and plan.screened_at
    assert plan.screening_level == "ok"


@pytest.mark.parametrize("role", ["nurse", "receptionist", "owner"])
def test_only_practitioners_create_plans(clinic_case, role):
    with pytest.raises(PermissionDenied):
        clinic_case.make_plan(scope=clinic_case.world.scope(role))
    assert not TreatmentPlan.objects.exists()


def test_pregnancy_in_the_history_blocks_the_plan_with_sources(clinic_case):
    history_fact_record(
        scope=clinic_case.scope,
        patient=clinic_case.patient,
        kind="pregnancy",
        present=True,
        now=timezone.now(),
        today=TODAY,
    )
    plan = clinic_case.make_plan()
    assert plan.screening_level == "block"
    pregnancy = next(v for v in plan.screening if v["rule_id"] == "ci.pregnancy")
    assert pregnancy["level"] == "block"
    assert pregnancy["sources"], "a block must cite its sources"


def test_allergy_to_an_ingredient_blocks_a_cocktail_containing_it(clinic_case):
    history_fact_record(
        scope=clinic_case.scope,
        patient=clinic_case.patient,
        kind="allergy",
        code="ingredient.lidocaine",
        now=timezone.now(),
        today=TODAY,
    )
    clean = clinic_case.make_plan()
    assert clean.screening_level != "block"
    with_lidocaine = clinic_case.make_plan(products=[("product.ha-lidocaine", "1.0")])
    assert with_lidocaine.screening_level == "block"


def test_uncoded_allergy_text_is_not_screened_as_a_code(clinic_case):
    history_fact_record(
        scope=clinic_case.scope,
        patient=clinic_case.patient,
        kind="allergy",
        label="something exotic",
        now=timezone.now(),
        today=TODAY,
    )
    assert clinic_case.make_plan().screening_level == "ok"


def test_update_screens_again(clinic_case):
    plan = clinic_case.make_plan()
    history_fact_record(
        scope=clinic_case.scope,
        patient=clinic_case.patient,
        kind="breastfeeding",
        present=True,
        now=timezone.now(),
        today=TODAY,
    )
    plan = plan_update(
        scope=clinic_case.scope,
        plan=plan,
        now=timezone.now(),
        today=TODAY,
        zones=["zone.cheeks", "zone.forehead"],
        technique_ids=["technique.papule"],
        products=[("product.ha-skinbooster", "1.5")],
        sessions=3,
        interval_min_days=14,
        interval_max_days=28,
        target_start=TODAY + dt.timedelta(days=7),
    )
    assert plan.screening_level == "block"
    assert plan.product_doses == {"product.ha-skinbooster": 1.5}


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"interval_min_days": 30, "interval_max_days": 20}, "interval_max_days"),
        ({"preferred_interval_days": 60}, "preferred_interval_days"),
        ({"target_start": TODAY - dt.timedelta(days=1)}, "target_start"),
        ({"zones": ["zone.nowhere"]}, "zones"),
        ({"products": [("product.ha-skinbooster", "0")]}, "products"),
    ],
)
def test_bad_plans_are_field_errors_and_nothing_is_saved(clinic_case, changes, field):
    with pytest.raises(ValidationError) as exc:
        clinic_case.make_plan(**changes)
    assert field in exc.value.message_dict
    assert not TreatmentPlan.objects.exists()
