"""Text from people: control characters removed, names normalised and kept visible.

Browsers and API clients can send anything: a NUL byte (which PostgreSQL cannot store
in text), terminal escapes, or the invisible characters that make a name look like
another one (right-to-left override, zero-width spaces). Every text input passes
through `strip_control` (see `ControlCharacterMiddleware`); names and identifiers go
through `name_clean`, which refuses what cannot be seen rather than guessing.
"""

from __future__ import annotations

import re
import unicodedata

from django.core.exceptions import ValidationError
from django.http import QueryDict
from django.utils.translation import gettext as _

# C0 and C1 controls and DEL; tab, line feed and carriage return are ordinary text.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# Characters that draw nothing but change how a name reads or compares: format
# characters (Cf: bidi overrides and isolates, zero-width space/joiners, BOM, soft
# hyphen), line/paragraph separators and the Hangul fillers.
_INVISIBLE_EXTRA = {"\u115f", "\u1160", "\u3164", "\uffa0", "\u2028", "\u2029"}


def strip_control(text: str) -> str:
    """`text` without control characters (tab and line breaks are kept)."""
    return _CONTROL.sub("", text)


def invisible_characters(text: str) -> list[str]:
    """The code points of `text` that are control, format or otherwise invisible."""
    return [
        ch
        for ch in text
        if unicodedata.category(ch) in ("Cc", "Cf", "Co", "Cs", "Cn") or ch in _INVISIBLE_EXTRA
    ]


def name_problem(text: str) -> str | None:
    """Why `text` cannot be a name or identifier (naming the code points), or None."""
    bad = invisible_characters(text)
    if not bad:
        return None
    codes = ", ".join(dict.fromkeys(f"U+{ord(ch):04X}" for ch in bad))
    return _(
        "This contains invisible or text-direction characters (%(codes)s); retype it without them."
    ) % {"codes": codes}


def name_clean(text: str, *, field: str) -> str:
    """A name or identifier in NFC with outer spaces removed; refuses invisible characters.

    Raises ValidationError keyed by `field` naming the offending characters by their
    code point, so the user can find and delete them.
    """
    value = unicodedata.normalize("NFC", text).strip()
    problem = name_problem(value)
    if problem:
        raise ValidationError({field: problem})
    return value


def _query_clean(data: QueryDict) -> QueryDict:
    if not any(_CONTROL.search(v) for values in data.lists() for v in values[1]):
        return data
    cleaned = QueryDict(mutable=True, encoding=data.encoding)
    for key, values in data.lists():
        cleaned.setlist(key, [strip_control(v) for v in values])
    cleaned._mutable = False
    return cleaned


class ControlCharacterMiddleware:
    """Remove control characters from every query-string and form value before a view sees it."""

    FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.GET = _query_clean(request.GET)
        if request.method == "POST" and request.content_type in self.FORM_TYPES:
            request.POST = _query_clean(request.POST)
        return self.get_response(request)
