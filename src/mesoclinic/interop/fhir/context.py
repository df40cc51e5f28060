"""What the builders of one patient's FHIR resources share (see export.py)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

Resource = dict[str, Any]


@dataclass
class Context:
    """What the builders of one patient share: the patient, the knowledge base, and the
    practitioners and clinics their resources cite (so those get exported too).

    `hidden_photo_clinics`: the clinics whose photographs taken under a withdrawn consent
    may be exported (their owner's); None exports them all (subject access, bulk export).
    `media` collects the photographs exported, so observations cite only those.
    """

    patient: Any
    kb: Any
    with_pdfs: bool = True
    hidden_photo_clinics: Collection[int] | None = None
    practitioners: set[int] = field(default_factory=set)
    clinics: set[int] = field(default_factory=set)
    media: set[int] = field(default_factory=set)

    def practitioner(self, user_id: int) -> dict[str, str]:
        self.practitioners.add(user_id)
        return {"reference": f"Practitioner/{user_id}"}

    def location(self, clinic_id: int) -> dict[str, str]:
        self.clinics.add(clinic_id)
        return {"reference": f"Location/{clinic_id}"}

    @property
    def subject(self) -> dict[str, str]:
        return {"reference": f"Patient/{self.patient.pk}"}


def instant(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
