"""Patient search keys: one spelling for a name whatever script or accent it was typed in.

Pure functions, no Django. A name is folded to a "skeleton": lower case, accents
stripped, Cyrillic transliterated with one fixed scheme, and the common Latin
variants of that scheme folded onto it (y/j → i, kh → h, x → ks, w → v, initial
ye → e, runs of one letter collapsed), so "Иванова", "Ivanova" and "IVANOVA" share a
key, as do "Юлия", "Yulia" and "Iuliia", "Chloé" and "chloe". Stored names and
typed queries go through the same function, so the search is symmetric.

Search tokens (one row each in PatientSearchToken) are matched by prefix, which
both SQLite and PostgreSQL serve from an ordinary B-tree index as a range scan.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field

# One Latin spelling per Cyrillic letter (Russian, plus Ukrainian/Belarusian extras).
# The spellings are already folded (й → i, х → h, ц → ts, щ → sch), see _fold_latin.
_CYRILLIC = {
    "а": "a",
    "б": "b",
    "в": "v",
    "г": "g",
    "д": "d",
    "е": "e",
    "ё": "e",
    "ж": "zh",
    "з": "z",
    "и": "i",
    "й": "i",
    "к": "k",
    "л": "l",
    "м": "m",
    "н": "n",
    "о": "o",
    "п": "p",
    "р": "r",
    "с": "s",
    "т": "t",
    "у": "u",
    "ф": "f",
    "х": "h",
    "ц": "ts",
    "ч": "ch",
    "ш": "sh",
    "щ": "sch",
    "ъ": "",
    "ы": "i",
    "ь": "",
    "э": "e",
    "ю": "iu",
    "я": "ia",
    "і": "i",
    "ї": "i",
    "є": "e",
    "ґ": "g",
    "ў": "u",
}
_CYRILLIC_TABLE = str.maketrans(_CYRILLIC)

# Latin variants of the same sounds, folded onto the spelling above. Order matters:
# longer sequences first.
_LATIN_FOLDS = (
    ("shch", "sch"),
    ("kh", "h"),
    ("tz", "ts"),
    ("x", "ks"),
    ("w", "v"),
    ("y", "i"),
    ("j", "i"),
)
_REPEATS = re.compile(r"(.)\1+")
_NOT_WORD = re.compile(r"[^a-z0-9]+")
_PHONE_CHARS = re.compile(r"^[\d\s()+\-./]+$")
_DATE_FORMATS = ("%d.%m.%Y", "%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y", "%d.%m.%y", "%Y.%m.%d")
MIN_PHONE_DIGITS = 3
# Phone tokens: every suffix of the digits at least this long, so the last four
# digits find a patient as well as the full number does.
PHONE_SUFFIX_MIN = 4
TOKEN_MAX = 64


def _strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def fold_word(word: str) -> str:
    """The skeleton of one word: lower case, Latin, accents and variants folded."""
    # Transliterate before stripping accents: NFKD would turn й into и + breve.
    text = unicodedata.normalize("NFC", word.lower()).translate(_CYRILLIC_TABLE)
    text = _strip_accents(text)
    for variant, canonical in _LATIN_FOLDS:
        text = text.replace(variant, canonical)
    text = _NOT_WORD.sub("", text)
    if text.startswith("ie") and len(text) > 2:
        text = text[1:]  # Yelena / Elena, Yevgeny / Evgeny
    return _REPEATS.sub(r"\1", text)


def name_words(*names: str) -> list[str]:
    """The folded words of the given names, split on spaces and hyphens."""
    words = []
    for name in names:
        for part in re.split(r"[\s\-‐‑–—']+", name or ""):
            folded = fold_word(part)
            if folded:
                words.append(folded)
    return words


def name_key(family_name: str, given_name: str) -> str:
    """What two records of the same person share, for duplicate detection."""
    return " ".join([*name_words(family_name), "|", *name_words(given_name)])[:300]


SORT_KEY_MAX = 480


def sort_key(family_name: str, given_name: str, middle_name: str, birth_date: dt.date) -> str:
    """Where a patient stands in every list: by name in its own script, then date of birth.

    Case-folded, with ё filed under е as Russian registers do. Compared byte by byte
    (both databases run a binary/C collation on it), so SQLite and PostgreSQL list
    patients in the same order; the list then breaks ties by id.
    """
    parts = (" ".join((name or "").split()).casefold() for name in (family_name, given_name))
    middle = " ".join((middle_name or "").split()).casefold()
    key = " ".join((*parts, middle, birth_date.isoformat() if birth_date else ""))
    return key.replace("ё", "е")[:SORT_KEY_MAX]


def phone_digits(phone: str) -> str:
    return re.sub(r"\D", "", phone or "")


def email_token(email: str) -> str:
    return _NOT_WORD.sub("", (email or "").strip().lower())


def tokens_for(
    *, family_name: str, given_name: str, middle_name: str, phone: str, email: str
) -> set[str]:
    """Every search token of one patient."""
    tokens = set(name_words(family_name, given_name, middle_name))
    digits = phone_digits(phone)
    if digits:
        tokens.add(digits)
        tokens.update(
            digits[i:] for i in range(1, len(digits)) if len(digits) - i >= PHONE_SUFFIX_MIN
        )
    if email:
        tokens.add(email_token(email))
        tokens.add(email_token(email.split("@", 1)[0]))
    return {t[:TOKEN_MAX] for t in tokens if t}


def parse_date(text: str) -> dt.date | None:
    """A date of birth typed in one of the usual formats, or None."""
    text = text.strip()
    for fmt in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


@dataclass(frozen=True)
class SearchQuery:
    """A typed query, parsed: token prefixes that must all match, and dates of birth."""

    prefixes: tuple[str, ...] = ()
    birth_dates: tuple[dt.date, ...] = field(default_factory=tuple)

    @property
    def empty(self) -> bool:
        return not self.prefixes and not self.birth_dates


def parse_query(text: str) -> SearchQuery:
    """Split what the user typed into name/phone/email prefixes and birth dates."""
    text = (text or "").strip()
    if not text:
        return SearchQuery()
    if _PHONE_CHARS.match(text) and parse_date(text) is None:
        digits = phone_digits(text)
        if len(digits) >= MIN_PHONE_DIGITS:
            return SearchQuery(prefixes=(digits[:TOKEN_MAX],))
    prefixes: list[str] = []
    dates: list[dt.date] = []
    for term in text.split():
        date = parse_date(term)
        if date is not None:
            dates.append(date)
        elif "@" in term:
            prefixes.append(email_token(term)[:TOKEN_MAX])
        else:
            prefixes.extend(w[:TOKEN_MAX] for w in name_words(term))
    return SearchQuery(prefixes=tuple(_unique(p for p in prefixes if p)), birth_dates=tuple(dates))


def _unique(items: Iterable[str]) -> list[str]:
    seen: dict[str, None] = {}
    for item in items:
        seen.setdefault(item, None)
    return list(seen)


def prefix_upper_bound(prefix: str) -> str:
    """The smallest string above every token that starts with `prefix`.

    Tokens hold only [a-z0-9], so `prefix + "~"` sorts after all of them in byte
    order (SQLite, PostgreSQL "C") — but a linguistic collation may ignore "~", so
    we pad with "z", which every collation sorts after a-z and 0-9.
    """
    return prefix + "z" * (TOKEN_MAX + 1 - len(prefix))
