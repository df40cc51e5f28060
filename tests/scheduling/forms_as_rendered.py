"""Submit a rendered form the way a browser does: every input it holds, as rendered.

For integration tests through Django's test client (browser tests use a real browser).
Duplicate names are kept in document order, as browsers send them.
"""

from __future__ import annotations

from html.parser import HTMLParser


class _Form(HTMLParser):
    def __init__(self, marker: str):
        super().__init__()
        self.marker = marker
        self.depth = 0
        self.found = False
        self.fields: list[tuple[str, str]] = []
        self._select: str | None = None
        self._select_value: str | None = None
        self._first_option: str | None = None
        self._textarea: str | None = None
        self._text = ""

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            if self.found:
                return
            if self.marker in (a.get("action") or "") or self.marker in str(attrs):
                self.depth = 1
                self.found = True
            return
        if not self.depth:
            return
        name = a.get("name")
        if tag == "input" and name:
            kind = (a.get("type") or "text").lower()
            if kind in ("submit", "button", "image", "reset", "file"):
                return
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            self.fields.append((name, a.get("value") or ("on" if kind == "checkbox" else "")))
        elif tag == "select" and name:
            self._select, self._select_value, self._first_option = name, None, None
        elif tag == "option" and self._select:
            value = a.get("value", "")
            if self._first_option is None:
                self._first_option = value
            if "selected" in a:
                self._select_value = value
        elif tag == "textarea" and name:
            self._textarea, self._text = name, ""

    def handle_data(self, data):
        if self._textarea:
            self._text += data

    def handle_endtag(self, tag):
        if not self.depth:
            return
        if tag == "form":
            self.depth = 0
        elif tag == "select" and self._select:
            value = self._select_value if self._select_value is not None else self._first_option
            self.fields.append((self._select, value or ""))
            self._select = None
        elif tag == "textarea" and self._textarea:
            self.fields.append((self._textarea, self._text))
            self._textarea = None


def form_fields(html: str, marker: str) -> list[tuple[str, str]]:
    """The (name, value) pairs a browser would submit from the first form whose opening
    tag contains `marker` (its action, or any attribute such as a hidden action value)."""
    parser = _Form(marker)
    parser.feed(html)
    assert parser.found, f"no form matching {marker!r}"
    return parser.fields


def as_post(fields: list[tuple[str, str]], **changes) -> dict[str, list[str]]:
    """The fields as Django's test client posts them (lists keep duplicates)."""
    data: dict[str, list[str]] = {}
    for name, value in fields:
        data.setdefault(name, []).append(value)
    for name, value in changes.items():
        data[name] = value if isinstance(value, list) else [value]
    return data
