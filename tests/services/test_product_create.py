"""product_create: the catalogue is built on knowledge-base ingredients only."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from mesoclinic.inventory.models import Origin, PreparationType
from mesoclinic.inventory.services import product_create
from tests.inventory.factories import make_product


def test_product_keeps_its_composition_by_knowledge_base_ingredient(world):
    product = make_product(
        world,
        composition=[
            ("ingredient.hyaluronic-acid", "20 mg/mL"),
            ("ingredient.lidocaine", "3 mg/mL"),
        ],
    )
    parts = [(c.ingredient_id, c.concentration) for c in product.components.all()]
    assert parts == [
        ("ingredient.hyaluronic-acid", "20 mg/mL"),
        ("ingredient.lidocaine", "3 mg/mL"),
    ]
    assert product.organisation_id == world.organisation.pk


def test_unknown_ingredient_is_refused_with_a_pointer_to_the_knowledge_base(world):
    with pytest.raises(ValidationError) as exc:
        make_product(world, composition=[("ingredient.unicorn-extract", "1%")])
    message = " ".join(exc.value.message_dict["composition"])
    assert "ingredient.unicorn-extract" in message
    assert "knowledge base first" in message


def test_reference_product_copies_composition_and_label_limits(world):
    product = product_create(
        scope=world.scope("nurse"),
        name="Belkyra",
        kb_product_id="product.dca-10",
        presentation="single_dose",
        volume_ml="2",
        regulatory_status="registered_drug",
    )
    ids = [c.ingredient_id for c in product.components.all()]
    assert ids[0] == "ingredient.deoxycholic-acid"
    assert product.per_injection_ml == Decimal("0.2")
    assert product.max_sessions == 6
    assert product.min_interval_days == 30
    assert product.preparation_type == PreparationType.ALLOPATHIC


def test_homeopathic_and_animal_products_are_recognised_from_their_ingredients(world):
    homeo = product_create(
        scope=world.scope("nurse"),
        name="Homeo",
        kb_product_id="product.homeopathic-complex",
        presentation="ampoule",
        volume_ml="2",
        regulatory_status="registered_drug",
    )
    collagen = product_create(
        scope=world.scope("nurse"),
        name="Collagen",
        composition=[
            ("ingredient.collagen", ""),
            ("ingredient.elastin", ""),
            ("ingredient.water-for-injection", ""),
        ],
        presentation="multi_dose_vial",
        volume_ml="5",
        regulatory_status="cosmetic",
    )
    assert homeo.preparation_type == PreparationType.HOMEOPATHIC
    assert collagen.origin == Origin.ANIMAL


def test_receptionist_cannot_add_products(world):
    with pytest.raises(PermissionDenied):
        product_create(
            scope=world.scope("receptionist"),
            name="X",
            presentation="ampoule",
            volume_ml="2",
            regulatory_status="cosmetic",
            composition=[("ingredient.vitamin-c", "")],
        )
