"""Typed models of the clinical knowledge base.

Every entry is validated on load: unknown keys are refused (a typo in a data
file must not silently drop a rule), both languages are required, ranges are
ordered. Cross-references between entries are checked by the loader, which
knows the whole base.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Level = Literal["ok", "warn", "postpone", "block"]
LEVEL_RANK: dict[str, int] = {"ok": 0, "warn": 1, "postpone": 2, "block": 3}

EvidenceLevel = Literal[
    "label",
    "guideline",
    "study",
    "case-report",
    "expert-opinion",
    "inference",
    "seed-text",
    "marketing",
]
# Strongest first; an entry's evidence is the strongest level among its sources.
EVIDENCE_RANK: dict[str, int] = {
    "label": 8,
    "guideline": 7,
    "study": 6,
    "case-report": 5,
    "expert-opinion": 4,
    "inference": 3,
    "seed-text": 2,
    "marketing": 1,
}

Id = Annotated[str, Field(pattern=r"^[a-z][a-z0-9]*(\.[a-z0-9][a-z0-9-]*)+$")]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Text(_Model):
    """A text in both languages the clinic works in."""

    en: str = Field(min_length=1)
    ru: str = Field(min_length=1)

    @field_validator("en", "ru")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be blank")
        return value

    def get(self, language: str) -> str:
        """Return the text in `language` ("en" or "ru")."""
        if language == "ru":
            return self.ru
        if language == "en":
            return self.en
        raise ValueError(f"unsupported language {language!r}; use 'en' or 'ru'")


class Sourced(_Model):
    """Anything that carries sources and an evidence level."""

    sources: tuple[Id, ...] = Field(min_length=1)
    evidence: EvidenceLevel


class Entry(Sourced):
    """A knowledge-base entry with a stable dotted id."""

    id: Id


class Range(_Model):
    """A closed numeric range."""

    min: float
    max: float

    @model_validator(mode="after")
    def _ordered(self) -> Range:
        if self.min > self.max:
            raise ValueError(f"min ({self.min}) is greater than max ({self.max})")
        return self

    def contains(self, value: float) -> bool:
        """Whether `value` lies within the range (inclusive)."""
        return self.min <= value <= self.max


class SourcedRange(Range):
    """A range as one source states it; techniques keep one per source."""

    sources: tuple[Id, ...] = Field(min_length=1)
    evidence: EvidenceLevel
    note: Text | None = None


class IntRange(_Model):
    """A closed integer range."""

    min: int = Field(ge=0)
    max: int = Field(ge=0)

    @model_validator(mode="after")
    def _ordered(self) -> IntRange:
        if self.min > self.max:
            raise ValueError(f"min ({self.min}) is greater than max ({self.max})")
        return self


class AppliesTo(_Model):
    """Narrows an entry to sessions with these properties (empty = all)."""

    techniques: tuple[Id, ...] = ()
    technique_kinds: tuple[Literal["needle", "needle-free"], ...] = ()
    energies: tuple[Literal["none", "electrical", "ultrasound", "oxygen"], ...] = ()
    ingredients: tuple[Id, ...] = ()
    zones: tuple[Id, ...] = ()
    regions: tuple[Literal["face", "neck", "hands", "body", "scalp"], ...] = ()


# --- Vocabulary entries ---------------------------------------------------------


class EvidenceLevelInfo(_Model):
    id: EvidenceLevel
    rank: int
    name: Text


class Source(_Model):
    id: Id
    evidence: EvidenceLevel
    citation: str = Field(min_length=1)


class Washout(Sourced):
    """How long after the last dose a medicine class still counts as taken."""

    days: int = Field(gt=0)
    note: Text | None = None


class MedicationClass(Entry):
    name: Text
    washout: Washout | None = None


class Medicine(Entry):
    """A medicine of the dictionary: generic name, ATC code(s), brand names, classes.

    `names` holds every name a person may type (generic and brand, Latin and
    Cyrillic); matching ignores case, dose and form words and tolerates common
    transliterations, so each spelling need not be listed.
    """

    name: Text
    atc: tuple[Annotated[str, Field(pattern=r"^[A-Z][0-9]{2}[A-Z]{0,2}[0-9]{0,2}$")], ...] = Field(
        min_length=1
    )
    classes: tuple[Id, ...] = Field(min_length=1)
    names: tuple[str, ...] = Field(min_length=2)


class Condition(Entry):
    name: Text
    icd10: tuple[Annotated[str, Field(pattern=r"^[A-Z][0-9]{2}(\.[0-9]{1,2})?$")], ...] = Field(
        min_length=1
    )
    synonyms: tuple[str, ...] = Field(min_length=2)


class Device(Entry):
    name: Text
    category: Literal["electronic", "metal"]


class Finding(Entry):
    name: Text


class Procedure(Entry):
    name: Text


class ProcedureWindow(Entry):
    """How long after another procedure a session waits, in the same or a nearby zone.

    `zone_scoped`: only when the procedure's zone is a planned zone or next to one
    (a procedure recorded without zones counts everywhere).
    """

    name: Text
    procedures: tuple[Id, ...] = Field(min_length=1)
    days: int = Field(gt=0)
    zone_scoped: bool = True
    level: Level
    note: Text | None = None


class Zone(Entry):
    name: Text
    region: Literal["face", "neck", "hands", "body", "scalp"]
    # Zones that touch this one: a finding "at or near the site" applies to them too.
    adjacent: tuple[Id, ...] = ()
    thin_skinned: bool = False
    # Standard photographic views of the zone (photo_view ids), in capture order.
    photo_views: tuple[Id, ...] = ()


class PhotoView(Entry):
    """A standard view of clinical photography (camera position relative to the patient)."""

    name: Text
    hint: Text


class DepthLimit(Entry):
    """The deepest a needle technique may go in some zones (zone x technique).

    Empty `techniques` means every needle technique. A limit backed only by
    marketing may at most warn (the loader refuses more).
    """

    name: Text
    zones: tuple[Id, ...] = Field(min_length=1)
    techniques: tuple[Id, ...] = ()
    max_mm: float = Field(gt=0)
    level: Level
    note: Text | None = None


class Needle(Sourced):
    gauge: str
    length_mm: float | None = None


class Technique(Entry):
    name: Text
    description: Text
    kind: Literal["needle", "needle-free"]
    energy: Literal["none", "electrical", "ultrasound", "oxygen"]
    clinic_depth_mm: Range | None = None
    depth_mm: tuple[SourcedRange, ...] = ()
    angle_deg: tuple[SourcedRange, ...] = ()
    spacing_mm: tuple[SourcedRange, ...] = ()
    volume_per_point_ml: tuple[SourcedRange, ...] = ()
    needle: tuple[Needle, ...] = ()
    penetration_note: Text | None = None

    @model_validator(mode="after")
    def _depth_for_needles(self) -> Technique:
        # A needle technique without cited depths could not be checked; a
        # needle-free one with depths would be checked against nonsense.
        if self.kind == "needle":
            if not self.depth_mm or self.clinic_depth_mm is None:
                raise ValueError("needle techniques need depth_mm ranges and clinic_depth_mm")
            lo, hi = self.supported_depth()
            if self.clinic_depth_mm.min < lo or self.clinic_depth_mm.max > hi:
                raise ValueError(
                    f"clinic_depth_mm {self.clinic_depth_mm.min}-{self.clinic_depth_mm.max} "
                    f"lies outside the cited ranges {lo}-{hi}"
                )
        elif self.depth_mm or self.clinic_depth_mm is not None:
            raise ValueError("needle-free techniques have no depth ranges")
        if self.kind == "needle-free" and self.penetration_note is None:
            raise ValueError("needle-free techniques need a penetration_note")
        return self

    def supported_depth(self) -> tuple[float, float]:
        """The union (hull) of every cited depth range, in mm."""
        return (min(r.min for r in self.depth_mm), max(r.max for r in self.depth_mm))

    def limit_depth(self) -> tuple[float, float]:
        """The hull of the ranges that may set a limit: marketing never widens it.

        Only when a technique has nothing but marketing ranges do they count.
        """
        ranges = [r for r in self.depth_mm if r.evidence != "marketing"] or list(self.depth_mm)
        return (min(r.min for r in ranges), max(r.max for r in ranges))


class Indication(Entry):
    name: Text
    regions: tuple[Literal["face", "neck", "hands", "body", "scalp"], ...] = Field(min_length=1)


class Trigger(_Model):
    """What makes a contraindication fire; `kind` selects the fields used."""

    kind: Literal[
        "condition",
        "medication",
        "flag",
        "finding",
        "device",
        "surgery-recent",
        "surgery-in-zone",
        "age-below",
        "allergy",
        "skin-type",
    ]
    codes: tuple[Id, ...] = ()
    classes: tuple[Id, ...] = ()
    flags: tuple[str, ...] = ()
    findings: tuple[Id, ...] = ()
    anywhere: bool = False
    categories: tuple[Literal["electronic", "metal"], ...] = ()
    param: str | None = None
    window_param: str | None = None
    min: int | None = None

    @model_validator(mode="after")
    def _fields_for_kind(self) -> Trigger:
        needs = {
            "condition": bool(self.codes),
            "medication": bool(self.classes),
            "flag": bool(self.flags),
            "finding": bool(self.findings),
            "device": bool(self.categories),
            "surgery-recent": self.param is not None,
            "age-below": self.param is not None,
            "skin-type": self.min is not None,
        }
        if not needs.get(self.kind, True):
            raise ValueError(f"trigger kind {self.kind!r} is missing its required field")
        return self


class Contraindication(Entry):
    name: Text
    kind: Literal["absolute", "relative", "temporary"]
    scope: Literal["patient", "visit", "zone", "technique", "ingredient"]
    level: Level
    min_level: Level | None = None
    triggers: tuple[Trigger, ...] = Field(min_length=1)
    applies_to: AppliesTo = AppliesTo()
    until_condition: Text | None = None
    params: dict[str, float] = {}
    message: Text
    consent: bool = False
    note: Text | None = None
    # Whether a physician may override a stop: never for an absolute contraindication;
    # a label contraindication may also be declared final (e.g. pregnancy).
    overridable: bool | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Contraindication:
        if self.kind == "absolute" and self.overridable:
            raise ValueError("an absolute contraindication cannot be overridable")
        floor = self.min_level or self.level
        if LEVEL_RANK[floor] > LEVEL_RANK[self.level]:
            raise ValueError("min_level is stricter than level")
        dated = any(t.kind == "surgery-recent" for t in self.triggers)
        if self.level == "postpone" and self.until_condition is None and not dated:
            raise ValueError("a postpone contraindication needs until_condition")
        for trigger in self.triggers:
            for name in (trigger.param, trigger.window_param):
                if name is not None and name not in self.params:
                    raise ValueError(f"trigger refers to param {name!r} missing from params")
        return self

    @property
    def floor(self) -> Level:
        """The most lenient level a clinic policy may set."""
        return self.min_level or self.level

    @property
    def may_override(self) -> bool:
        """Whether a physician may override this contraindication's stop."""
        if self.overridable is None:
            return self.kind != "absolute"
        return self.overridable


class IngredientClass(Entry):
    name: Text


class AllergyGroup(Entry):
    name: Text


class Ingredient(Entry):
    name: Text
    class_: Id = Field(alias="class")
    origin: Literal["synthetic", "plant", "animal", "biotechnological", "mineral", "mixed"]
    allergy_groups: tuple[Id, ...] = ()

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Component(_Model):
    ingredient: Id
    amount: str | None = None


class LabelLimits(Sourced):
    per_injection_ml: float | None = Field(default=None, gt=0)
    per_session_ml: float | None = Field(default=None, gt=0)
    max_sessions: int | None = Field(default=None, ge=1)
    min_interval_months: int | None = Field(default=None, ge=1)
    min_interval_days: int | None = Field(default=None, ge=1)
    zones: tuple[Id, ...] = ()
    techniques: tuple[Id, ...] = ()


class Product(Entry):
    name: Text
    form: str | None = None
    requires_physician: bool = False
    composition: tuple[Component, ...] = Field(min_length=1)
    label: LabelLimits | None = None
    regulatory_warning: Text | None = None


class Protocol(Entry):
    name: Text
    indications: tuple[Id, ...] = Field(min_length=1)
    zones: tuple[Id, ...] = Field(min_length=1)
    techniques: tuple[Id, ...] = Field(min_length=1)
    ingredient_classes: tuple[Id, ...] = Field(min_length=1)
    products: tuple[Id, ...] = ()
    sessions: IntRange
    interval_days: IntRange
    max_volume_ml: float | None = Field(default=None, gt=0)
    session_minutes: int | None = Field(default=None, gt=0)
    evidence_note: Text
    interval_evidence: EvidenceLevel | None = None

    @property
    def course_days(self) -> tuple[int, int]:
        """Expected course duration in days, first to last session."""
        return (
            (self.sessions.min - 1) * self.interval_days.min,
            (self.sessions.max - 1) * self.interval_days.max,
        )


class Aftercare(Entry):
    name: Text
    text: Text
    default_hours: float | None = Field(default=None, gt=0)
    reported_hours: Range | None = None
    applies_to: AppliesTo = AppliesTo()

    @model_validator(mode="after")
    def _duration_placeholder(self) -> Aftercare:
        for lang in ("en", "ru"):
            has = "{duration}" in self.text.get(lang)
            if has != (self.default_hours is not None):
                raise ValueError(f"text.{lang} must contain {{duration}} iff default_hours is set")
        return self


class ScaleLevel(_Model):
    value: str = Field(min_length=1)
    # The number a chart plots and a report averages (Norwood "IV" is 4).
    score: int
    label: Text


class Scale(Entry):
    """A validated outcome scale: who scores it, where it applies, and its levels.

    `measures` says what one score means: the `status` of a zone on the day (WSRS,
    Norwood: a change is follow-up minus baseline) or a `change` already judged
    against the baseline (GAIS: the score itself is the improvement). `better` says
    which direction of `score` is the good one. `code_system` is the URI a FHIR
    Observation carries for the scale's codes (docs/knowledge-base.md).
    """

    name: Text
    short: Text
    rated_by: Literal["clinician", "patient"]
    measures: Literal["status", "change"]
    better: Literal["higher", "lower"]
    code_system: str = Field(pattern=r"^https?://\S+$")
    # Empty: any zone / indication.
    zones: tuple[Id, ...] = ()
    indications: tuple[Id, ...] = ()
    levels: tuple[ScaleLevel, ...] = Field(min_length=2)
    note: Text | None = None

    @model_validator(mode="after")
    def _distinct_levels(self) -> Scale:
        values = [lv.value for lv in self.levels]
        scores = [lv.score for lv in self.levels]
        if len(set(values)) != len(values) or len(set(scores)) != len(scores):
            raise ValueError("level values and scores must be distinct")
        if scores != sorted(scores):
            raise ValueError("levels must be listed in ascending score")
        return self

    def level(self, value: str) -> ScaleLevel | None:
        """The level with this value, or None when the scale has no such level."""
        return next((lv for lv in self.levels if lv.value == value), None)

    def applies_to(self, *, zone_id: str = "", indication_ids: tuple[str, ...] = ()) -> bool:
        """Whether the scale is meant for this zone (and one of these indications)."""
        if zone_id and self.zones and zone_id not in self.zones:
            return False
        return not (indication_ids and self.indications) or bool(
            set(indication_ids) & set(self.indications)
        )


class AgeGroup(Entry):
    min_age: int = Field(ge=0)
    max_age: int = Field(ge=0)
    text: Text


class VisitQuestion(Entry):
    asked_by: Literal["patient", "clinician"]
    fact: str
    finding: Id | None = None
    question: Text
    applies_to: AppliesTo = AppliesTo()


class SideEffect(Entry):
    name: Text
    text: Text
    frequency: Literal["common", "uncommon", "rare", "very-rare"]
    applies_to: AppliesTo = AppliesTo()


class Rule(Entry):
    """An engine check beyond the contraindication table."""

    name: Text
    level: Level
    min_level: Level | None = None
    params: dict[str, float] = {}
    message: Text
    note: Text | None = None
    overridable: bool = True

    @model_validator(mode="after")
    def _floor(self) -> Rule:
        if LEVEL_RANK[self.min_level or self.level] > LEVEL_RANK[self.level]:
            raise ValueError("min_level is stricter than level")
        return self

    @property
    def floor(self) -> Level:
        """The most lenient level a clinic policy may set."""
        return self.min_level or self.level

    @property
    def may_override(self) -> bool:
        """Whether a physician may override this rule's stop."""
        return self.overridable


# Table name in a data file -> (model, id prefix). Order is the display order.
TABLES: dict[str, tuple[type[BaseModel], str]] = {
    "evidence_level": (EvidenceLevelInfo, ""),
    "source": (Source, "src."),
    "medication_class": (MedicationClass, "medclass."),
    "medicine": (Medicine, "medicine."),
    "condition": (Condition, "condition."),
    "device": (Device, "device."),
    "finding": (Finding, "finding."),
    "procedure": (Procedure, "procedure."),
    "procedure_window": (ProcedureWindow, "window."),
    "photo_view": (PhotoView, "view."),
    "zone": (Zone, "zone."),
    "technique": (Technique, "technique."),
    "depth_limit": (DepthLimit, "depth."),
    "indication": (Indication, "indication."),
    "contraindication": (Contraindication, "ci."),
    "ingredient_class": (IngredientClass, "class."),
    "allergy_group": (AllergyGroup, "allergen."),
    "ingredient": (Ingredient, "ingredient."),
    "product": (Product, "product."),
    "protocol": (Protocol, "protocol."),
    "aftercare": (Aftercare, "aftercare."),
    "scale": (Scale, "scale."),
    "age_group": (AgeGroup, "age."),
    "visit_question": (VisitQuestion, "vq."),
    "side_effect": (SideEffect, "se."),
    "rule": (Rule, "rule."),
}


def entry_dump(entry: BaseModel) -> dict[str, Any]:
    """A JSON-ready dict of an entry, with field aliases (e.g. ``class``)."""
    return entry.model_dump(mode="json", by_alias=True, exclude_none=True)
