"""Labels of choice fields, read cheaply on pages that list many rows."""

from __future__ import annotations

import functools

from django.utils.encoding import force_str


@functools.cache
def _labels(field) -> dict:
    return dict(field.flatchoices)


class ChoiceLabels:
    """Model mixin: `get_<field>_display()` from a table built once per field.

    Django's own version rebuilds the value -> label table on every call, hashing each
    (translated, lazy) label, so it translates every choice of the field to show one:
    50 audit rows cost 500 translations. The table here keeps the lazy labels as
    values, so only the label shown is translated, in the language active then.
    """

    def _get_FIELD_display(self, field):
        value = getattr(self, field.attname)
        try:
            label = _labels(field).get(value, value)
        except TypeError:  # a value that cannot be a key (a list): Django's way
            return super()._get_FIELD_display(field)
        return force_str(label, strings_only=True)
