"""The screening request: facts about the patient, today's answers, the planned session.

These models are the screening input format documented in docs/screening.md;
the HTTP API and the ``mesoclinic screen`` command accept the same JSON.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator


class _In(BaseModel):
    # Unknown keys are refused: a misspelt fact ("pregnent") must never be ignored.
    model_config = ConfigDict(extra="forbid", frozen=True)


class Medication(_In):
    """A medication the patient takes or took: coded by class, typed by name, or both.

    A name is looked up in the knowledge base's medicine dictionary (brand or
    generic, Latin or Cyrillic, dose words ignored); the classes it maps to are
    added to any given. A name the dictionary does not know, with no class,
    gives the "unrecognised" warning.
    """

    classes: tuple[str, ...] = ()
    name: str | None = Field(default=None, max_length=300)
    active: bool = True
    last_dose: date | None = None

    @model_validator(mode="after")
    def _class_or_name(self) -> Medication:
        if not self.classes and not (self.name or "").strip():
            raise ValueError("a medication needs its classes or its name")
        return self


class Surgery(_In):
    """An operation; zones are the treated zones it involved, if any."""

    date: date
    zones: tuple[str, ...] = ()
    description: str | None = None


class PatientFacts(_In):
    """Facts about the patient that hold across visits (re-confirmed every visit)."""

    birth_date: date
    sex: Literal["female", "male", "other"] | None = None
    conditions: tuple[str, ...] = ()
    # Conditions as typed ("сахарный диабет 2 типа"): recognised by their synonyms;
    # unrecognised text warns until coded.
    condition_texts: tuple[str, ...] = ()
    allergies: tuple[str, ...] = ()
    medications: tuple[Medication, ...] = ()
    pregnant: bool = False
    breastfeeding: bool = False
    implanted_devices: tuple[str, ...] = ()
    surgeries: tuple[Surgery, ...] = ()
    skin_type: int | None = Field(default=None, ge=1, le=6)
    # Body weight (kg) and the day it was measured: local-anaesthetic maxima are per kg.
    weight_kg: float | None = Field(default=None, gt=0, le=400)
    weight_date: date | None = None


class SiteFinding(_In):
    """A finding at check-in or on examination, in the zones where it is."""

    finding: str
    zones: tuple[str, ...] = Field(min_length=1)


class OtherProcedure(_In):
    """Another cosmetic procedure done or booked near the session date."""

    procedure: str
    date: date
    zones: tuple[str, ...] = ()


class VisitFacts(_In):
    """Today's check-in answers (the visit questions of the knowledge base)."""

    menstruation: bool = False
    acute_infection: bool = False
    fever: bool = False
    site_findings: tuple[SiteFinding, ...] = ()
    recent_procedures: tuple[OtherProcedure, ...] = ()


class Lot(_In):
    """The product lot to be used, as recorded in stock."""

    number: str | None = None
    expiry: date | None = None
    status: Literal["released", "quarantined", "recalled"] = "released"
    multi_dose: bool = False


class PlannedProduct(_In):
    """One product of the planned session with its total volume."""

    product: str
    volume_ml: float = Field(gt=0)
    volume_per_injection_ml: float | None = Field(default=None, gt=0)
    lot: Lot | None = None


class PreviousSession(_In):
    """A previous mesotherapy session of this patient."""

    date: date
    zones: tuple[str, ...] = Field(min_length=1)
    products: tuple[str, ...] = ()
    technique: str | None = None


class Practitioner(_In):
    """Who will perform the session and what they are credentialed for."""

    id: str | None = None
    physician: bool = False
    techniques: tuple[str, ...] = ()


class PlannedSession(_In):
    """The session to be screened."""

    technique: str
    zones: tuple[str, ...] = Field(min_length=1)
    depth_mm: float | tuple[float, float] | None = None
    products: tuple[PlannedProduct, ...] = ()
    protocol: str | None = None
    session_number: int = Field(default=1, ge=1)
    course_sessions_planned: int | None = Field(default=None, ge=1)
    previous_sessions: tuple[PreviousSession, ...] = ()
    practitioner: Practitioner

    @field_validator("depth_mm")
    @classmethod
    def _depth_positive(cls, value: float | tuple[float, float] | None) -> Any:
        if value is None:
            return value
        lo, hi = (value, value) if isinstance(value, float | int) else value
        if lo < 0 or hi < lo:
            raise ValueError("depth_mm must be >= 0 and a [min, max] pair must be ordered")
        return value

    @property
    def depth_range(self) -> tuple[float, float] | None:
        """The planned depth as a (min, max) pair in mm."""
        if self.depth_mm is None:
            return None
        if isinstance(self.depth_mm, tuple):
            return self.depth_mm
        return (float(self.depth_mm), float(self.depth_mm))


class ScreeningRequest(_In):
    """Everything screening needs: patient, today's answers, the planned session."""

    patient: PatientFacts
    visit: VisitFacts = VisitFacts()
    plan: PlannedSession
