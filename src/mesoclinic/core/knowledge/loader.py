"""Load, validate and version the knowledge base.

The base is a directory of TOML files, each holding arrays of tables named in
``models.TABLES``. Loading validates every entry (pydantic), then checks the
whole base: unique ids with the right prefix, every reference resolves, and
every entry's evidence level equals the strongest level among its sources, so
the level shown to a clinician can never be stronger than what is cited.
"""

from __future__ import annotations

import functools
import hashlib
import tomllib
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from mesoclinic.core.knowledge.models import (
    EVIDENCE_RANK,
    LEVEL_RANK,
    TABLES,
    Aftercare,
    AgeGroup,
    AllergyGroup,
    AppliesTo,
    Condition,
    Contraindication,
    DepthLimit,
    Device,
    Entry,
    EvidenceLevelInfo,
    Finding,
    Indication,
    Ingredient,
    IngredientClass,
    MedicationClass,
    Medicine,
    PhotoView,
    Procedure,
    ProcedureWindow,
    Product,
    Protocol,
    Rule,
    Scale,
    SideEffect,
    Source,
    Technique,
    VisitQuestion,
    Zone,
)

DATA_DIR = Path(__file__).parent / "data"

# Fact paths a visit question may set; the screening request model defines
# them (tests check the two agree).
VISIT_FACTS = frozenset(
    {
        "patient.pregnant",
        "patient.breastfeeding",
        "patient.medications",
        "patient.allergies",
        "patient.conditions",
        "patient.surgeries",
        "visit.menstruation",
        "visit.acute_infection",
        "visit.fever",
        "visit.site_findings",
        "visit.recent_procedures",
    }
)
FLAG_FACTS = frozenset(
    {"patient.pregnant", "patient.breastfeeding", "visit.menstruation"}
    | {"visit.acute_infection", "visit.fever"}
)


class KnowledgeError(Exception):
    """A data file is malformed; names the file, entry and field."""

    def __init__(
        self, message: str, *, file: str, entry: str | None = None, field: str | None = None
    ) -> None:
        self.file = file
        self.entry = entry
        self.field = field
        self.message = message
        where = file
        if entry is not None:
            where += f": entry {entry!r}"
        if field is not None:
            where += f", field {field!r}"
        super().__init__(f"{where}: {message}")


class KnowledgeBase:
    """The validated, immutable-by-convention clinical knowledge base.

    Entries are grouped by table name (``kb.zone``, ``kb.contraindication``...)
    as dicts keyed by id, in file order. ``version`` is the sha256 of the data
    files (sorted by name), stored with every screening result so a verdict
    can be replayed against the same base.
    """

    def __init__(
        self, tables: dict[str, dict[str, Any]], origins: dict[str, str], version: str
    ) -> None:
        self.tables = tables
        self.origins = origins
        self.version = version
        self.evidence_level: dict[str, EvidenceLevelInfo] = tables["evidence_level"]
        self.source: dict[str, Source] = tables["source"]
        self.medication_class: dict[str, MedicationClass] = tables["medication_class"]
        self.medicine: dict[str, Medicine] = tables["medicine"]
        self.condition: dict[str, Condition] = tables["condition"]
        self.device: dict[str, Device] = tables["device"]
        self.finding: dict[str, Finding] = tables["finding"]
        self.procedure: dict[str, Procedure] = tables["procedure"]
        self.procedure_window: dict[str, ProcedureWindow] = tables["procedure_window"]
        self.zone: dict[str, Zone] = tables["zone"]
        self.photo_view: dict[str, PhotoView] = tables["photo_view"]
        self.technique: dict[str, Technique] = tables["technique"]
        self.depth_limit: dict[str, DepthLimit] = tables["depth_limit"]
        self.indication: dict[str, Indication] = tables["indication"]
        self.contraindication: dict[str, Contraindication] = tables["contraindication"]
        self.ingredient_class: dict[str, IngredientClass] = tables["ingredient_class"]
        self.allergy_group: dict[str, AllergyGroup] = tables["allergy_group"]
        self.ingredient: dict[str, Ingredient] = tables["ingredient"]
        self.product: dict[str, Product] = tables["product"]
        self.protocol: dict[str, Protocol] = tables["protocol"]
        self.aftercare: dict[str, Aftercare] = tables["aftercare"]
        self.scale: dict[str, Scale] = tables["scale"]
        self.age_group: dict[str, AgeGroup] = tables["age_group"]
        self.visit_question: dict[str, VisitQuestion] = tables["visit_question"]
        self.side_effect: dict[str, SideEffect] = tables["side_effect"]
        self.rule: dict[str, Rule] = tables["rule"]
        # Precomputed for screening speed: every entry by id, ingredients per product.
        self.index: dict[str, Any] = {
            key: entry for entries in tables.values() for key, entry in entries.items()
        }
        self.product_ingredients: dict[str, tuple[str, ...]] = {
            pid: tuple(c.ingredient for c in p.composition) for pid, p in self.product.items()
        }

    @property
    def short_version(self) -> str:
        """The first 12 hex characters of the version, for display."""
        return self.version[:12]

    def get(self, entry_id: str) -> BaseModel:
        """Return any entry by id; raises KeyError naming the id."""
        return self.index[entry_id]

    def table_of(self, entry_id: str) -> str | None:
        """The table an id belongs to, by its prefix (None if no table matches)."""
        for table, (_model, prefix) in TABLES.items():
            if prefix and entry_id.startswith(prefix):
                return table
        if entry_id in self.evidence_level:
            return "evidence_level"
        return None

    def entries(self) -> Iterator[tuple[str, BaseModel]]:
        """Every entry as (table, entry), in display order."""
        for table, entries in self.tables.items():
            for entry in entries.values():
                yield table, entry

    def counts_by_kind(self) -> dict[str, int]:
        """Number of entries per table."""
        return {table: len(entries) for table, entries in self.tables.items()}

    def counts_by_evidence(self) -> dict[str, int]:
        """Number of sourced entries per evidence level, strongest first."""
        counts = dict.fromkeys(sorted(EVIDENCE_RANK, key=EVIDENCE_RANK.get, reverse=True), 0)
        for table, entry in self.entries():
            if table not in ("evidence_level", "source"):
                counts[entry.evidence] += 1
        return counts

    def consent_contraindications(self) -> list[Contraindication]:
        """Contraindications the patient confirms not having on the consent form."""
        return [ci for ci in self.contraindication.values() if ci.consent]


def _files(paths: Sequence[Path]) -> list[Path]:
    files: list[Path] = []
    for path in paths:
        if not path.is_dir():
            raise KnowledgeError("knowledge directory not found", file=str(path))
        files.extend(sorted(path.glob("*.toml")))
    return files


def _field_path(loc: Iterable[Any]) -> str:
    return ".".join(str(part) for part in loc)


def _parse(path: Path, label: str) -> dict[str, list[dict[str, Any]]]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise KnowledgeError(f"not valid TOML: {exc}", file=label) from exc
    except UnicodeDecodeError as exc:
        raise KnowledgeError(f"not UTF-8: {exc}", file=label) from exc
    for table, rows in data.items():
        if table not in TABLES:
            raise KnowledgeError(
                f"unknown table {table!r}; expected one of: {', '.join(TABLES)}", file=label
            )
        if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
            raise KnowledgeError(f"{table!r} must be an array of tables ([[{table}]])", file=label)
    return data


def _validate_entry(table: str, row: dict[str, Any], index: int, label: str) -> BaseModel:
    model, prefix = TABLES[table]
    entry_name = str(row.get("id", f"{table}[{index}]"))
    try:
        entry = model.model_validate(row)
    except ValidationError as exc:
        first = exc.errors()[0]
        more = f" (and {exc.error_count() - 1} more errors)" if exc.error_count() > 1 else ""
        raise KnowledgeError(
            f"{first['msg']}{more}",
            file=label,
            entry=entry_name,
            field=_field_path(first["loc"]) or None,
        ) from exc
    if prefix and not entry.id.startswith(prefix):
        raise KnowledgeError(
            f"ids in {table!r} must start with {prefix!r}", file=label, entry=entry.id, field="id"
        )
    return entry


def load_knowledge(
    path: str | Path | None = None, *, overlays: Sequence[str | Path] = ()
) -> KnowledgeBase:
    """Load and validate the knowledge base.

    `path` is the data directory (default: the packaged base, cached).
    `overlays` are clinic directories with the same file format whose entries
    are added to the base (new ids only; replacing a cited entry is refused,
    a stricter local rule goes through the clinic policy instead). Raises
    KnowledgeError naming the file, entry and field of the first problem.
    """
    if path is None and not overlays:
        return _default_knowledge()
    return _load(Path(path) if path is not None else DATA_DIR, [Path(p) for p in overlays])


@functools.lru_cache(maxsize=1)
def _default_knowledge() -> KnowledgeBase:
    return _load(DATA_DIR, [])


def _load(path: Path, overlays: list[Path]) -> KnowledgeBase:
    files = _files([path]) + _files(overlays)
    if not files:
        raise KnowledgeError("no *.toml data files", file=str(path))
    digest = hashlib.sha256()
    tables: dict[str, dict[str, Any]] = {table: {} for table in TABLES}
    origins: dict[str, str] = {}
    for file in files:
        # Overlay files are labelled by directory so messages say which clinic file is wrong.
        label = file.name if file.parent == path else str(file)
        raw = file.read_bytes()
        digest.update(label.encode() + b"\0" + raw + b"\0")
        for table, rows in _parse(file, label).items():
            for index, row in enumerate(rows):
                entry = _validate_entry(table, row, index, label)
                key = entry.id
                if key in origins:
                    raise KnowledgeError(
                        f"duplicate id, first defined in {origins[key]}",
                        file=label,
                        entry=key,
                        field="id",
                    )
                origins[key] = label
                tables[table][key] = entry
    kb = KnowledgeBase(tables, origins, digest.hexdigest())
    _check(kb)
    _check_names(kb)
    return kb


class _Checker:
    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb

    def fail(self, entry_id: str, field: str, message: str) -> None:
        raise KnowledgeError(message, file=self.kb.origins[entry_id], entry=entry_id, field=field)

    def refs(self, entry_id: str, field: str, values: Iterable[str], *tables: str) -> None:
        for value in values:
            if not any(value in self.kb.tables[t] for t in tables):
                self.fail(entry_id, field, f"unknown reference {value!r} (expected {tables})")

    def sourced(self, entry_id: str, field: str, sources: Sequence[str], evidence: str) -> None:
        self.refs(entry_id, field, sources, "source")
        strongest = max(sources, key=lambda s: EVIDENCE_RANK[self.kb.source[s].evidence])
        level = self.kb.source[strongest].evidence
        if level != evidence:
            self.fail(
                entry_id,
                "evidence",
                f"evidence is {evidence!r} but the strongest cited source ({strongest}) "
                f"is {level!r}",
            )

    def applies_to(self, entry_id: str, applies: AppliesTo) -> None:
        self.refs(entry_id, "applies_to.techniques", applies.techniques, "technique")
        self.refs(entry_id, "applies_to.ingredients", applies.ingredients, "ingredient")
        self.refs(entry_id, "applies_to.zones", applies.zones, "zone")


def _check(kb: KnowledgeBase) -> None:
    c = _Checker(kb)
    missing = set(EVIDENCE_RANK) - set(kb.evidence_level)
    if missing:
        raise KnowledgeError(f"evidence levels not described: {sorted(missing)}", file="*")
    for table, entry in kb.entries():
        if isinstance(entry, Entry):
            c.sourced(entry.id, "sources", entry.sources, entry.evidence)
        if table == "technique":
            for fname in ("depth_mm", "angle_deg", "spacing_mm", "volume_per_point_ml", "needle"):
                for i, item in enumerate(getattr(entry, fname)):
                    c.sourced(entry.id, f"{fname}.{i}.sources", item.sources, item.evidence)
        elif table == "contraindication":
            _check_contraindication(c, entry)
        elif table == "medication_class" and entry.washout is not None:
            w = entry.washout
            c.sourced(entry.id, "washout.sources", w.sources, w.evidence)
        elif table == "zone":
            c.refs(entry.id, "adjacent", entry.adjacent, "zone")
            c.refs(entry.id, "photo_views", entry.photo_views, "photo_view")
            for other in entry.adjacent:
                if other in kb.zone and entry.id not in kb.zone[other].adjacent:
                    c.fail(entry.id, "adjacent", f"{other} does not list {entry.id} back")
        elif table == "procedure_window":
            c.refs(entry.id, "procedures", entry.procedures, "procedure")
        elif table == "depth_limit":
            c.refs(entry.id, "zones", entry.zones, "zone")
            c.refs(entry.id, "techniques", entry.techniques, "technique")
        elif table == "medicine":
            c.refs(entry.id, "classes", entry.classes, "medication_class")
        elif table == "ingredient":
            c.refs(entry.id, "class", [entry.class_], "ingredient_class")
            c.refs(entry.id, "allergy_groups", entry.allergy_groups, "allergy_group")
        elif table == "product":
            c.refs(entry.id, "composition", [x.ingredient for x in entry.composition], "ingredient")
            if entry.label is not None:
                c.sourced(entry.id, "label.sources", entry.label.sources, entry.label.evidence)
                c.refs(entry.id, "label.zones", entry.label.zones, "zone")
                c.refs(entry.id, "label.techniques", entry.label.techniques, "technique")
        elif table == "protocol":
            c.refs(entry.id, "indications", entry.indications, "indication")
            c.refs(entry.id, "zones", entry.zones, "zone")
            c.refs(entry.id, "techniques", entry.techniques, "technique")
            c.refs(entry.id, "ingredient_classes", entry.ingredient_classes, "ingredient_class")
            c.refs(entry.id, "products", entry.products, "product")
        elif table == "scale":
            c.refs(entry.id, "zones", entry.zones, "zone")
            c.refs(entry.id, "indications", entry.indications, "indication")
        elif table in ("aftercare", "side_effect"):
            c.applies_to(entry.id, entry.applies_to)
        elif table == "visit_question":
            if entry.fact not in VISIT_FACTS:
                c.fail(entry.id, "fact", f"unknown fact {entry.fact!r}")
            if entry.finding is not None:
                c.refs(entry.id, "finding", [entry.finding], "finding")
            c.applies_to(entry.id, entry.applies_to)
        elif table == "age_group" and entry.min_age > entry.max_age:
            c.fail(entry.id, "min_age", "min_age is greater than max_age")
        # Marketing alone never blocks or postpones (knowledge/README.md).
        if (
            table in ("contraindication", "rule", "depth_limit", "procedure_window")
            and entry.evidence == "marketing"
            and LEVEL_RANK[entry.level] > LEVEL_RANK["warn"]
        ):
            c.fail(entry.id, "level", "an entry backed only by marketing may at most warn")


def _check_names(kb: KnowledgeBase) -> None:
    # A typed name must lead to one entry: two medicines (or conditions) sharing a
    # name after normalisation would make recognition depend on file order.
    from mesoclinic.core.knowledge.lexicon import lexicons

    for entry_id, name, other in lexicons(kb).clashes:
        field = "names" if entry_id.startswith("medicine.") else "synonyms"
        raise KnowledgeError(
            f"name {name!r} also names {other}",
            file=kb.origins[entry_id],
            entry=entry_id,
            field=field,
        )


def _check_contraindication(c: _Checker, ci: Contraindication) -> None:
    c.applies_to(ci.id, ci.applies_to)
    for i, trig in enumerate(ci.triggers):
        field = f"triggers.{i}"
        c.refs(ci.id, f"{field}.codes", trig.codes, "condition")
        c.refs(ci.id, f"{field}.classes", trig.classes, "medication_class")
        c.refs(ci.id, f"{field}.findings", trig.findings, "finding")
        for flag in trig.flags:
            if flag not in FLAG_FACTS:
                c.fail(ci.id, f"{field}.flags", f"unknown flag {flag!r}")
