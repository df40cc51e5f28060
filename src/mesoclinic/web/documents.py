"""PDFs kept in storage: each document is drawn once per content, then served as stored.

Drawing a PDF (WeasyPrint) costs far more than rendering its HTML. A signed consent
never changes, and an aftercare sheet changes only when what it prints changes (the
next booked visit, the clinic's phone), so the HTML is rendered on every request and
its hash names the stored file: the same content is served from storage (Django's
default storage, shared by every app server), new content is drawn once and stored.
The files sit in one folder per patient, which erasure empties.
"""

from __future__ import annotations

import hashlib

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

DOCUMENTS_DIR = "documents"


def _folder(*, organisation_id: int, patient_id: int) -> str:
    return f"{DOCUMENTS_DIR}/{organisation_id}/patient-{patient_id}"


def document_pdf(
    *, organisation_id: int, patient_id: int, kind: str, html: str, base_url: str | None = None
) -> bytes:
    """The PDF of `html`: read from storage if drawn before, else drawn and kept."""
    digest = hashlib.sha256(html.encode()).hexdigest()[:40]
    name = f"{_folder(organisation_id=organisation_id, patient_id=patient_id)}/{kind}-{digest}.pdf"
    if default_storage.exists(name):
        with default_storage.open(name, "rb") as stored:
            return stored.read()
    from weasyprint import HTML

    pdf = HTML(string=html, base_url=base_url).write_pdf()
    if not default_storage.exists(name):  # another request may have drawn it meanwhile
        default_storage.save(name, ContentFile(pdf))
    return pdf


def patient_documents_delete(*, organisation_id: int, patient_id: int, prefix: str = "") -> int:
    """Remove a patient's stored PDFs whose kind starts with `prefix` (erasure: all of
    them); returns how many files went."""
    folder = _folder(organisation_id=organisation_id, patient_id=patient_id)
    try:
        _dirs, files = default_storage.listdir(folder)
    except FileNotFoundError:
        return 0
    gone = [name for name in files if name.startswith(prefix)]
    for name in gone:
        default_storage.delete(f"{folder}/{name}")
    return len(gone)
