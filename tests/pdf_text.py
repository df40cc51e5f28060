"""Reading PDFs and pages as a reader would, and the internal words none may show."""

from __future__ import annotations

import io
import re

# A knowledge-base code (patient.pregnant, ingredient.hyaluronic-acid, rule.x), a rule id or
# the word "seed" (in any case and either language's transliteration).
INTERNAL = re.compile(
    r"\bseed|\b(?:patient|ingredient|zone|technique|product|protocol|indication|rule|src|ci|"
    r"aftercare|side-effect|condition|medicine|medication|allergy|question|visit)\.[a-z0-9][a-z0-9.-]*",
    re.IGNORECASE,
)


def pdf_text(content: bytes) -> str:
    from pypdf import PdfReader

    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def internal_words(text: str) -> list[str]:
    """Internal words in `text` (an empty list when it is clean)."""
    return sorted({m.group(0) for m in INTERNAL.finditer(text)})
