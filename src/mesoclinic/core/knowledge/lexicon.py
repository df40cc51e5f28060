"""Recognising typed medicine and condition names.

People type "Ксарелто 20 мг", "xarelto 20mg tabs" or "ривароксабан": every name
in the knowledge base and every typed text go through the same key function,
which transliterates Cyrillic to Latin, folds spellings that transliteration
varies (x/ks, c/k, w/v, h/g, y/i, z/s, ph/f, th/t, doubled letters, a final
"e") and drops dose and form words. The key of each listed name points to its
entry; a typed text is matched greedily, longest phrase first, and a single
word of six or more letters may also match with one letter missing or extra.
"""

from __future__ import annotations

import functools
import re
import weakref
from dataclasses import dataclass, field
from typing import Any

_CYRILLIC = {
    **dict(zip("абвгдеёзийклмнопрстуфхцыэ", "abvgdeeziiklmnoprstufhcye", strict=True)),
    **{"ж": "zh", "ч": "ch", "ш": "sh", "щ": "sch", "ю": "yu", "я": "ya", "ъ": "", "ь": ""},
}
# Applied in order to the transliterated word.
_FOLDS = (
    ("sch", "s"),
    ("ch", "s"),
    ("sh", "s"),
    ("zh", "s"),
    ("kh", "g"),
    ("ph", "f"),
    ("th", "t"),
    ("qu", "kv"),
    ("ck", "k"),
    ("x", "ks"),
    ("q", "k"),
    ("c", "k"),
    ("w", "v"),
    ("h", "g"),
    ("y", "i"),
    ("j", "i"),
    ("z", "s"),
)
_DOUBLE = re.compile(r"(.)\1+")
_WORD = re.compile(r"[0-9a-zа-яё]+")
_DOSE = re.compile(r"^[0-9]+[a-z]*$")

# Dose, unit, form and frequency words, as typed (they are keyed like names).
_NOISE_WORDS = """
mg mcg µg ug g ml iu ie u units unit tab tabs tablet tablets caps capsule capsules
cap inj injection injections amp ampoule solution sol drops gel cream oral per day
daily dose doses once twice times a week weekly morning evening night retard forte
mite cardio film coated sr xr er mr prn as needed
мг мкг г мл ме ед таб табл таблетка таблетки таблеток капс капсула капсулы капсул
амп ампулы раствор р-р уколы укол инъекции капли гель крем по в день сутки раз раза
неделю неделя ежедневно утром вечером на ночь курс
"""


@functools.lru_cache(maxsize=65536)
def word_key(word: str) -> str:
    """The matching key of one word (lower-cased, transliterated, folded)."""
    word = "".join(_CYRILLIC.get(ch, ch) for ch in word.lower())
    for old, new in _FOLDS:
        if old in word:
            word = word.replace(old, new)
    word = _DOUBLE.sub(r"\1", word)
    if len(word) > 4 and word.endswith("e"):
        word = word[:-1]
    return word


_NOISE = frozenset(word_key(w) for w in _NOISE_WORDS.split()) - {""}


# Pure functions of their text, called for every medicine and condition of every
# request: names recur across patients, so the keys are cached (bounded).
@functools.lru_cache(maxsize=16384)
def text_keys(text: str) -> tuple[str, ...]:
    """The keys of the meaningful words of `text` (dose and form words dropped)."""
    keys = []
    for word in _WORD.findall(text.lower()):
        if word.isdigit() or _DOSE.match(word):
            continue
        key = word_key(word)
        if key and key not in _NOISE:
            keys.append(key)
    return tuple(keys)


def _deletions(key: str) -> set[str]:
    return {key[:i] + key[i + 1 :] for i in range(len(key))}


@dataclass
class Lexicon:
    """Phrase keys -> entry ids, for one table of the knowledge base."""

    phrases: dict[tuple[str, ...], str] = field(default_factory=dict)
    # One-letter-deleted single-word keys -> entry ids (None when ambiguous).
    near: dict[str, str | None] = field(default_factory=dict)
    longest: int = 1

    def add(self, entry_id: str, name: str) -> str | None:
        """Add a name; return the id it already belongs to if it clashes."""
        keys = text_keys(name)
        if not keys:
            return None
        other = self.phrases.get(keys)
        if other is not None and other != entry_id:
            return other
        self.phrases[keys] = entry_id
        self.longest = max(self.longest, len(keys))
        if len(keys) == 1 and len(keys[0]) >= 6:
            for variant in _deletions(keys[0]) | {keys[0]}:
                if self.near.get(variant, entry_id) != entry_id:
                    self.near[variant] = None
                else:
                    self.near[variant] = entry_id
        return None

    def find(self, text: str) -> list[str]:
        """Entry ids named in `text`, in order of appearance, each once."""
        keys = text_keys(text)
        found: list[str] = []
        i = 0
        while i < len(keys):
            for size in range(min(self.longest, len(keys) - i), 0, -1):
                hit = self.phrases.get(keys[i : i + size])
                if hit is None and size == 1:
                    hit = self._near(keys[i])
                if hit is not None:
                    if hit not in found:
                        found.append(hit)
                    i += size
                    break
            else:
                i += 1
        return found

    def _near(self, key: str) -> str | None:
        if len(key) < 6:
            return None
        for variant in (key, *_deletions(key)):
            hit = self.near.get(variant)
            if hit is not None:
                return hit
        return None


@dataclass
class Lexicons:
    medicine: Lexicon
    condition: Lexicon
    clashes: list[tuple[str, str, str]]


_CACHE: weakref.WeakKeyDictionary[Any, Lexicons] = weakref.WeakKeyDictionary()


def lexicons(kb: Any) -> Lexicons:
    """The medicine and condition lexicons of a knowledge base (built once)."""
    built = _CACHE.get(kb)
    if built is None:
        built = _build(kb)
        _CACHE[kb] = built
    return built


def _build(kb: Any) -> Lexicons:
    medicine, condition, clashes = Lexicon(), Lexicon(), []
    for entry in kb.medicine.values():
        for name in (*entry.names, entry.name.en, entry.name.ru):
            other = medicine.add(entry.id, name)
            if other is not None:
                clashes.append((entry.id, name, other))
    for entry in kb.condition.values():
        for name in (*entry.synonyms, entry.name.en, entry.name.ru):
            other = condition.add(entry.id, name)
            if other is not None:
                clashes.append((entry.id, name, other))
    return Lexicons(medicine=medicine, condition=condition, clashes=clashes)


_SPLIT = re.compile(r"[;,\n+]|\s/\s|\band\b|\bи\b", re.IGNORECASE)


def medicines_split(text: str) -> list[str]:
    """A typed list of medicines ("A 20 mg; B, C") as one text per medicine."""
    return [part.strip() for part in _SPLIT.split(text) if part.strip()]


def medicines_find(kb: Any, text: str) -> list[Any]:
    """The dictionary medicines named in one typed medicine text."""
    return [kb.medicine[mid] for mid in lexicons(kb).medicine.find(text)]


def conditions_find(kb: Any, text: str) -> list[str]:
    """Condition codes named in a typed condition text."""
    return lexicons(kb).condition.find(text)


def names_for_autocomplete(kb: Any, table: str) -> list[str]:
    """Every listed name of a table ("medicine" or "condition"), for a datalist."""
    names: list[str] = []
    for entry in kb.tables[table].values():
        names.extend(entry.names if table == "medicine" else entry.synonyms)
    return sorted(dict.fromkeys(names), key=str.casefold)
