"""The knowledge base loads, is internally consistent, and fails loudly when malformed."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from mesoclinic.core.knowledge import DATA_DIR, KnowledgeError, load_knowledge
from mesoclinic.core.knowledge.loader import VISIT_FACTS
from mesoclinic.core.knowledge.models import TABLES, Text
from mesoclinic.core.screening import PatientFacts, VisitFacts
from tests.core.screening_data import KB


def test_default_base_is_cached_and_versioned():
    assert load_knowledge() is load_knowledge()
    assert len(KB.version) == 64
    assert KB.short_version == KB.version[:12]


def test_every_entry_has_both_languages_and_sources():
    for table, entry in KB.entries():
        if table in ("source", "evidence_level"):
            continue
        assert entry.sources, entry.id
        texts = [v for v in entry.__dict__.values() if isinstance(v, Text)]
        assert texts, f"{entry.id} has no bilingual text"
        for text in texts:
            assert text.en.strip() and text.ru.strip()


def test_russian_texts_are_russian():
    for table, entry in KB.entries():
        for value in entry.__dict__.values():
            if isinstance(value, Text):
                assert any("а" <= ch <= "я" for ch in value.ru.lower()) or value.ru == value.en, (
                    f"{table} {getattr(entry, 'id', '')}: {value.ru!r}"
                )


@pytest.mark.parametrize(
    ("table", "minimum"),
    [
        ("zone", 20),
        ("technique", 10),
        ("indication", 14),
        ("contraindication", 30),
        ("ingredient", 20),
        ("product", 5),
        ("protocol", 10),
        ("aftercare", 6),
        ("scale", 8),
        ("age_group", 4),
        ("visit_question", 10),
        ("side_effect", 8),
    ],
)
def test_base_covers_each_kind(table, minimum):
    assert len(KB.tables[table]) >= minimum


def test_required_zones_are_present():
    names = (
        "forehead glabella periorbital cheeks nasolabial perioral jawline submental neck "
        "decollete hands abdomen flanks waist thighs buttocks arms knees scalp"
    )
    assert {f"zone.{n}" for n in names.split()} <= set(KB.zone)


def test_techniques_and_their_depth_ranges():
    needle = {"nappage", "papule", "point-by-point", "linear-retrograde", "deep"}
    needle_free = {
        "electroporation",
        "cryo-electroporation",
        "sonophoresis",
        "iontophoresis",
        "oxygen-infusion",
    }
    for name in needle:
        technique = KB.technique[f"technique.{name}"]
        assert technique.kind == "needle" and technique.depth_mm
        assert all(r.sources for r in technique.depth_mm)
    for name in needle_free:
        technique = KB.technique[f"technique.{name}"]
        assert technique.kind == "needle-free" and technique.penetration_note is not None
    # Sources disagree on nappage depth: more than one range is kept.
    assert len(KB.technique["technique.nappage"].depth_mm) > 1


def test_deoxycholic_acid_label_limits():
    label = KB.product["product.dca-10"].label
    assert label.per_injection_ml == 0.2
    assert label.per_session_ml == 10
    assert label.max_sessions == 6
    assert label.min_interval_months == 1
    assert label.evidence == "label"


def test_seed_course_values_are_protocol_defaults():
    face = KB.protocol["protocol.face-rejuvenation"]
    assert (face.sessions.min, face.sessions.max) == (4, 10)
    assert (face.interval_days.min, face.interval_days.max) == (7, 10)
    assert face.max_volume_ml == 20 and face.session_minutes == 30
    cellulite = KB.protocol["protocol.cellulite"]
    assert (cellulite.sessions.min, cellulite.sessions.max) == (10, 12)
    assert face.course_days == (21, 90)


def test_marketing_entries_never_block():
    for entry in [*KB.contraindication.values(), *KB.rule.values()]:
        if entry.evidence == "marketing":
            assert entry.level in ("ok", "warn"), entry.id


def test_disagreements_default_to_the_stricter_side_and_may_be_relaxed():
    for ci_id in ("ci.anticoagulant", "ci.antiplatelet", "ci.autoimmune", "ci.bleeding-disorder"):
        ci = KB.contraindication[ci_id]
        assert ci.level == "block" and ci.floor == "warn"
    isotretinoin = KB.contraindication["ci.isotretinoin"]
    # The label (avoid procedures during treatment and 6 months after) sets the
    # default; the consensus (no blanket delay) is the lenient side a clinic may choose.
    assert isotretinoin.level == "postpone" and isotretinoin.floor == "warn"
    assert {KB.source[s].evidence for s in isotretinoin.sources} == {"label", "guideline"}


def test_visit_question_facts_exist_in_the_request_models():
    fields = {f"patient.{f}" for f in PatientFacts.model_fields} | {
        f"visit.{f}" for f in VisitFacts.model_fields
    }
    assert fields >= VISIT_FACTS
    assert {q.fact for q in KB.visit_question.values()} <= VISIT_FACTS


def test_everything_the_django_apps_need_is_present():
    assert {
        "vq.menstruation",
        "vq.acute-infection",
        "vq.fever",
        "vq.active-herpes",
        "vq.new-medications",
        "vq.pregnancy",
        "vq.recent-procedures",
        "vq.recent-surgery",
    } <= set(KB.visit_question)
    assert {
        "se.redness",
        "se.injection-marks",
        "se.soreness",
        "se.bruising",
        "se.infection",
        "se.swelling",
        "se.nodules",
        "se.allergic-reaction",
    } <= set(KB.side_effect)
    assert {
        "medclass.anticoagulant",
        "medclass.antiplatelet",
        "medclass.nsaid",
        "medclass.isotretinoin",
        "medclass.thrombolytic",
        "medclass.immunosuppressant",
    } <= set(KB.medication_class)
    consent = {ci.id for ci in KB.consent_contraindications()}
    assert {
        "ci.pregnancy",
        "ci.component-allergy",
        "ci.bleeding-disorder",
        "ci.anticoagulant",
    } <= consent


def test_counts_by_evidence_cover_every_entry():
    total = sum(KB.counts_by_evidence().values())
    sourced = sum(
        n for t, n in KB.counts_by_kind().items() if t not in ("source", "evidence_level")
    )
    assert total == sourced


# --- Malformed data files -----------------------------------------------------------


@pytest.fixture
def data_copy(tmp_path: Path) -> Path:
    target = tmp_path / "data"
    shutil.copytree(DATA_DIR, target)
    return target


def _edit(directory: Path, name: str, old: str, new: str) -> None:
    path = directory / name
    text = path.read_text(encoding="utf-8")
    assert old in text, f"fixture text not found in {name}: {old!r}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


MALFORMED = [
    (
        "bad-toml",
        "zones.toml",
        'id = "zone.forehead"',
        'id = "zone.forehead',
        ("zones.toml", None, None),
    ),
    (
        "missing-russian",
        "zones.toml",
        'name = { en = "Forehead", ru = "Лоб" }',
        'name = { en = "Forehead" }',
        ("zones.toml", "zone.forehead", "name.ru"),
    ),
    (
        "blank-russian",
        "zones.toml",
        'ru = "Лоб"',
        'ru = "  "',
        ("zones.toml", "zone.forehead", "name.ru"),
    ),
    (
        "unknown-key",
        "zones.toml",
        'region = "face"',
        'region = "face"\ncolour = "red"',
        ("zones.toml", "zone.forehead", "colour"),
    ),
    (
        "bad-region",
        "zones.toml",
        'region = "face"',
        'region = "elbow"',
        ("zones.toml", "zone.forehead", "region"),
    ),
    (
        "unknown-source",
        "zones.toml",
        'sources = ["src.seed-001"]',
        'sources = ["src.nowhere"]',
        ("zones.toml", "zone.forehead", "sources"),
    ),
    (
        "evidence-overstated",
        "zones.toml",
        'evidence = "seed-text"',
        'evidence = "label"',
        ("zones.toml", "zone.forehead", "evidence"),
    ),
    (
        "wrong-prefix",
        "zones.toml",
        'id = "zone.forehead"',
        'id = "area.forehead"',
        ("zones.toml", "area.forehead", "id"),
    ),
    (
        "duplicate-id",
        "zones.toml",
        'id = "zone.glabella"',
        'id = "zone.forehead"',
        ("zones.toml", "zone.forehead", "id"),
    ),
    ("unknown-table", "zones.toml", "[[zone]]", "[[zones]]", ("zones.toml", None, None)),
    (
        "reversed-depth",
        "techniques.toml",
        "min = 2.0\nmax = 4.0",
        "min = 4.0\nmax = 2.0",
        ("techniques.toml", "technique.nappage", "depth_mm.0"),
    ),
    (
        "protocol-unknown-zone",
        "protocols.toml",
        'zones = ["zone.forehead", "zone.glabella"',
        'zones = ["zone.fourhead", "zone.glabella"',
        ("protocols.toml", "protocol.face-rejuvenation", "zones"),
    ),
    (
        "product-unknown-ingredient",
        "products.toml",
        '{ ingredient = "ingredient.deoxycholic-acid", amount = "10 mg/mL" }',
        '{ ingredient = "ingredient.bile" }',
        ("products.toml", "product.dca-10", "composition"),
    ),
    (
        "marketing-blocks",
        "contraindications.toml",
        'level = "warn"\nmin_level = "ok"\n'
        'triggers = [{ kind = "condition", codes = ["condition.diabetes"]',
        'level = "block"\nmin_level = "ok"\n'
        'triggers = [{ kind = "condition", codes = ["condition.diabetes"]',
        ("contraindications.toml", "ci.diabetes", "level"),
    ),
    (
        "unknown-trigger-kind",
        "contraindications.toml",
        '{ kind = "flag", flags = ["patient.pregnant"] }',
        '{ kind = "horoscope" }',
        ("contraindications.toml", "ci.pregnancy", "triggers.0.kind"),
    ),
    (
        "unknown-flag",
        "contraindications.toml",
        'flags = ["patient.pregnant"]',
        'flags = ["patient.pregnent"]',
        ("contraindications.toml", "ci.pregnancy", "triggers.0.flags"),
    ),
    (
        "visit-question-unknown-fact",
        "visit_questions.toml",
        'fact = "visit.menstruation"',
        'fact = "visit.moon_phase"',
        ("visit_questions.toml", "vq.menstruation", "fact"),
    ),
    (
        "medicine-unknown-class",
        "medicines.toml",
        'classes = ["medclass.anticoagulant"]',
        'classes = ["medclass.blood-thinner"]',
        ("medicines.toml", "medicine.warfarin", "classes"),
    ),
    (
        "medicine-name-clash",
        "medicines.toml",
        '"Eliquis"',
        '"Eliquis", "Xarelto"',
        ("medicines.toml", "medicine.apixaban", "names"),
    ),
    (
        "condition-synonym-clash",
        "vocabularies.toml",
        '"тромбоцитопения"',
        '"тромбоцитопения", "гемофилия"',
        ("vocabularies.toml", "condition.thrombocytopenia", "synonyms"),
    ),
    (
        "condition-without-icd10",
        "vocabularies.toml",
        'icd10 = ["R13"]',
        "icd10 = []",
        ("vocabularies.toml", "condition.dysphagia", "icd10"),
    ),
    (
        "washout-without-source",
        "vocabularies.toml",
        'washout = { days = 5, sources = ["src.chest-2022-perioperative"]',
        "washout = { days = 5, sources = []",
        ("vocabularies.toml", "medclass.anticoagulant", "washout.sources"),
    ),
    (
        "washout-unknown-source",
        "vocabularies.toml",
        'washout = { days = 5, sources = ["src.chest-2022-perioperative"]',
        'washout = { days = 5, sources = ["src.somewhere"]',
        ("vocabularies.toml", "medclass.anticoagulant", "washout.sources"),
    ),
]


@pytest.mark.parametrize(
    ("name", "old", "new", "where"), [pytest.param(*c[1:], id=c[0]) for c in MALFORMED]
)
def test_malformed_data_names_file_entry_and_field(data_copy, name, old, new, where):
    _edit(data_copy, name, old, new)
    with pytest.raises(KnowledgeError) as info:
        load_knowledge(data_copy)
    error = info.value
    file, entry, field = where
    assert error.file == file
    assert error.entry == entry
    if field is None:
        assert error.field is None
    else:
        assert error.field is not None and error.field.startswith(field)
    # The message a clinic administrator sees names all three.
    for part in where:
        if part is not None:
            assert part in str(error)


def test_version_changes_with_content(data_copy):
    before = load_knowledge(data_copy).version
    assert before == KB.version
    _edit(data_copy, "zones.toml", 'ru = "Лоб"', 'ru = "Лоб (надбровье)"')
    assert load_knowledge(data_copy).version != before


def test_clinic_overlay_adds_a_product(tmp_path):
    overlay = tmp_path / "clinic"
    overlay.mkdir()
    (overlay / "products.toml").write_text(
        """
[[product]]
id = "product.clinic-ha-vit"
name = { en = "Clinic HA + vitamin C", ru = "ГК + витамин C клиники" }
composition = [
  { ingredient = "ingredient.hyaluronic-acid" },
  { ingredient = "ingredient.vitamin-c" },
]
sources = ["src.seed-001"]
evidence = "seed-text"
""",
        encoding="utf-8",
    )
    kb = load_knowledge(overlays=[overlay])
    assert "product.clinic-ha-vit" in kb.product
    assert kb.version != KB.version
    assert kb.origins["product.clinic-ha-vit"].endswith("products.toml")


def test_clinic_overlay_cannot_replace_a_cited_entry(tmp_path):
    overlay = tmp_path / "clinic"
    overlay.mkdir()
    (overlay / "zones.toml").write_text(
        '[[zone]]\nid = "zone.forehead"\nregion = "face"\n'
        'name = { en = "F", ru = "Лоб" }\nsources = ["src.seed-001"]\nevidence = "seed-text"\n',
        encoding="utf-8",
    )
    with pytest.raises(KnowledgeError, match="duplicate id"):
        load_knowledge(overlays=[overlay])


def test_missing_directory_is_an_error(tmp_path):
    with pytest.raises(KnowledgeError, match="not found"):
        load_knowledge(tmp_path / "nope")


def test_every_table_has_a_model_with_a_prefix():
    for table, (_model, prefix) in TABLES.items():
        assert table == "evidence_level" or prefix.endswith(".")
