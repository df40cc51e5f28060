"""Form widgets shared by the record and the check-in."""

from __future__ import annotations

from collections.abc import Sequence

from django import forms
from django.utils.html import format_html, format_html_join


class DatalistInput(forms.TextInput):
    """A text input that suggests names (an HTML datalist); any text stays possible."""

    def __init__(self, *, options: Sequence[str], list_id: str, attrs=None):
        super().__init__(attrs={**(attrs or {}), "list": list_id, "autocomplete": "off"})
        self.options = list(options)
        self.list_id = list_id

    def render(self, name, value, attrs=None, renderer=None):
        html = super().render(name, value, attrs, renderer)
        options = format_html_join("", '<option value="{}">', ((o,) for o in self.options))
        return format_html('{}<datalist id="{}">{}</datalist>', html, self.list_id, options)


def medicine_and_condition_names(kb) -> list[str]:
    """Names the record suggests while typing: medicines and conditions of the base."""
    from mesoclinic.core.knowledge.lexicon import names_for_autocomplete

    return names_for_autocomplete(kb, "medicine") + names_for_autocomplete(kb, "condition")
