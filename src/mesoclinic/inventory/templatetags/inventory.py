"""Template filters for stock quantities and knowledge-base names."""

from __future__ import annotations

from django import template
from django.utils.formats import number_format

from mesoclinic.accounts.locales import current_language
from mesoclinic.core.knowledge import load_knowledge
from mesoclinic.inventory.models import ul_to_ml

register = template.Library()


@register.filter
def ml(quantity_ul) -> str:
    """Microlitres shown as millilitres in the active language's number format."""
    if quantity_ul in (None, ""):
        return "—"
    return number_format(ul_to_ml(int(quantity_ul)), use_l10n=True)


@register.filter
def ml_abs(quantity_ul) -> str:
    return ml(abs(int(quantity_ul))) if quantity_ul not in (None, "") else "—"


@register.filter
def kb_name(entry_id: str) -> str:
    """The name of a knowledge-base entry (zone, ingredient, side effect) in the active language."""
    kb = load_knowledge()
    try:
        entry = kb.get(entry_id)
    except KeyError:
        return entry_id
    name = getattr(entry, "name", None)
    return name.get(current_language()) if name is not None else entry_id
