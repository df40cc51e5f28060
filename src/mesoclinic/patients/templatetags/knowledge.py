"""Template filters that show knowledge-base codes by name, in the reader's language."""

from __future__ import annotations

import re

from django import template

from mesoclinic.accounts.locales import current_language
from mesoclinic.core.knowledge import load_knowledge

register = template.Library()


@register.filter
def kb_name(code: str, language: str | None = None) -> str:
    """The name of a knowledge-base entry (zone, condition, product...), or the code itself."""
    if not code:
        return ""
    try:
        entry = load_knowledge().get(code)
    except KeyError:
        return code
    name = getattr(entry, "name", None)
    return name.get(language or current_language()) if name is not None else code


@register.filter
def kb_names(codes, language: str | None = None) -> str:
    """Names of several knowledge-base entries, comma-separated."""
    return ", ".join(kb_name(c, language) for c in codes or ())


@register.filter
def in_language(text) -> str:
    """A bilingual knowledge-base text ({"en": ..., "ru": ...} or Text) in the reader's language."""
    if text is None:
        return ""
    if isinstance(text, dict):
        return text.get(current_language()) or text.get("en", "")
    return text.get(current_language())


@register.filter
def evidence_name(level: str) -> str:
    """An evidence grade ("label", "study"...) in plain words, in the reader's language."""
    info = load_knowledge().evidence_level.get(level)
    return info.name.get(current_language()) if info is not None else ""


_REFERENCE = re.compile(r"\s*\[\d+(?:,\s*\d+)*\]\s*$")


@register.filter
def source_title(citation: str) -> str:
    """A source as the reader cites it: its title, without our reference number ("[13]")."""
    return _REFERENCE.sub("", citation or "")
