"""The product catalogue and the clinic's stock policy."""

from __future__ import annotations

import unicodedata
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from mesoclinic.accounts.scope import Scope
from mesoclinic.audit.models import AuditAction
from mesoclinic.audit.services import audit_record
from mesoclinic.core.knowledge import load_knowledge
from mesoclinic.inventory.models import (
    Origin,
    PreparationType,
    Product,
    ProductComponent,
    StockPolicy,
)
from mesoclinic.inventory.services.common import _clinic_of
from mesoclinic.web.text import name_problem


def _derive_origin(ingredient_ids: list[str]) -> str:
    kb = load_knowledge()
    active = [
        kb.ingredient[i] for i in ingredient_ids if kb.ingredient[i].class_ != "class.excipient"
    ]
    origins = {i.origin for i in active} or {Origin.SYNTHETIC}
    return origins.pop() if len(origins) == 1 else Origin.MIXED


@transaction.atomic
def product_create(
    *,
    scope: Scope,
    name: str,
    presentation: str,
    volume_ml,
    regulatory_status: str,
    composition: list[tuple[str, str]] | None = None,
    kb_product_id: str = "",
    preparation_type: str = "",
    origin: str = "",
    code: str = "",
    manufacturer: str = "",
    registration_number: str = "",
    storage: str = "",
    per_injection_ml=None,
    per_session_ml=None,
    max_sessions: int | None = None,
    min_interval_days: int | None = None,
    discard_after_hours: int | None = None,
    low_stock_ml=None,
    request=None,
) -> Product:
    """Add a product to the organisation's catalogue.

    `composition` is a list of (knowledge-base ingredient id, concentration text).
    With `kb_product_id` and no composition, the composition and label limits are
    copied from that knowledge-base reference product. An ingredient the knowledge
    base does not know is refused: it must be added there first, with a source.
    Preparation type and origin default to what the ingredients say.
    """
    scope.require("inventory.manage")
    kb = load_knowledge()
    errors: dict[str, list[str]] = {}
    reference = None
    if kb_product_id:
        reference = kb.product.get(kb_product_id)
        if reference is None:
            errors["kb_product_id"] = [
                _("%(id)s is not a product of the knowledge base.") % {"id": kb_product_id}
            ]
    if not composition and reference is not None:
        composition = [(c.ingredient, c.amount or "") for c in reference.composition]
        label = reference.label
        if label is not None:
            per_injection_ml = per_injection_ml or label.per_injection_ml
            per_session_ml = per_session_ml or label.per_session_ml
            max_sessions = max_sessions or label.max_sessions
            if min_interval_days is None:
                min_interval_days = label.min_interval_days or (
                    label.min_interval_months * 30 if label.min_interval_months else None
                )
    composition = [(i.strip(), (c or "").strip()) for i, c in (composition or []) if i.strip()]
    if not composition:
        errors.setdefault("composition", []).append(
            _("List at least one ingredient of the product.")
        )
    unknown = [i for i, _c in composition if i not in kb.ingredient]
    for ingredient_id in unknown:
        errors.setdefault("composition", []).append(
            _(
                "%(id)s is not an ingredient of the knowledge base. Add it to the knowledge "
                "base first, with a source, then add the product."
            )
            % {"id": ingredient_id}
        )
    name, code = unicodedata.normalize("NFC", name), unicodedata.normalize("NFC", code)
    for field, value in (("name", name), ("code", code)):
        if name_problem(value):
            errors.setdefault(field, []).append(name_problem(value))
    seen: set[str] = set()
    for ingredient_id, _c in composition:
        if ingredient_id in seen:
            errors.setdefault("composition", []).append(
                _("%(id)s is listed twice.") % {"id": ingredient_id}
            )
        seen.add(ingredient_id)
    if errors:
        raise ValidationError(errors)
    ids = [i for i, _c in composition]
    if not preparation_type:
        homeopathic = any(kb.ingredient[i].class_ == "class.homeopathic" for i in ids)
        preparation_type = (
            PreparationType.HOMEOPATHIC if homeopathic else PreparationType.ALLOPATHIC
        )
    product = Product(
        organisation_id=scope.organisation_id,
        name=name.strip(),
        code=code.strip(),
        kb_product_id=kb_product_id,
        preparation_type=preparation_type,
        origin=origin or _derive_origin(ids),
        manufacturer=manufacturer.strip(),
        registration_number=registration_number.strip(),
        regulatory_status=regulatory_status,
        presentation=presentation,
        volume_ml=Decimal(str(volume_ml)),
        storage=storage.strip(),
        per_injection_ml=_decimal_or_none(per_injection_ml),
        per_session_ml=_decimal_or_none(per_session_ml),
        max_sessions=max_sessions,
        min_interval_days=min_interval_days,
        discard_after_hours=discard_after_hours,
        low_stock_ml=_decimal_or_none(low_stock_ml),
    )
    product.full_clean()
    product.save()
    ProductComponent.objects.bulk_create(
        ProductComponent(
            organisation_id=scope.organisation_id,
            product=product,
            ingredient_id=ingredient_id,
            concentration=concentration,
            position=n,
        )
        for n, (ingredient_id, concentration) in enumerate(composition)
    )
    audit_record(action=AuditAction.CREATE, request=request, scope=scope, obj=product)
    return product


def _decimal_or_none(value) -> Decimal | None:
    return None if value in (None, "") else Decimal(str(value))


@transaction.atomic
def stock_policy_update(
    *,
    scope: Scope,
    near_expiry_days: int,
    low_stock_ml,
    vial_discard_hours: int,
    cluster_threshold: int,
    request=None,
) -> StockPolicy:
    """Set the thresholds of the scope's clinic (near expiry, low stock, vial discard, cluster)."""
    scope.require("inventory.manage")
    clinic = _clinic_of(scope)
    policy, _created = StockPolicy.objects.get_or_create(
        clinic=clinic, defaults={"organisation_id": clinic.organisation_id}
    )
    policy.near_expiry_days = near_expiry_days
    policy.low_stock_ml = Decimal(str(low_stock_ml))
    policy.vial_discard_hours = vial_discard_hours
    policy.cluster_threshold = cluster_threshold
    policy.full_clean()
    policy.save()
    audit_record(action=AuditAction.UPDATE, request=request, scope=scope, obj=policy)
    return policy
