"""The language code that gives a user's words with a clinic's formats.

A clinic's locale (en-gb, en-us, ru) decides how dates, times and numbers are
written; the user's (or patient's) language decides the words. Django picks both
from the active language code, so we activate "<language>-<region>": "en-gb",
"ru-gb", "en-ru", "en-us", "ru-us", or plain "ru" in a Russian clinic.
Translations fall back from "ru-gb" to "ru"; formats come from
mesoclinic.formats (FORMAT_MODULE_PATH), then Django's own.
"""

from __future__ import annotations

from django.utils.translation import get_language


def base_language(language: str | None) -> str:
    """The two-letter language ("en" or "ru") of a language code such as "ru-gb"."""
    return "ru" if (language or "en").lower().startswith("ru") else "en"


def current_language() -> str:
    """The two-letter language ("en" or "ru") of the active translation: the reader's."""
    return base_language(get_language())


def locale_language(*, language: str | None, clinic_locale: str | None) -> str:
    """The code to activate for words in `language` and formats of `clinic_locale`."""
    lang = base_language(language)
    region = (clinic_locale or "").lower().rsplit("-", 1)[-1]
    if not region or region == lang:
        return lang
    return f"{lang}-{region}"
