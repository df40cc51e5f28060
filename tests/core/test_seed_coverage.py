"""Every indication, contraindication, course value, aftercare item and side effect
named in the seed texts is represented in the knowledge base, citing that seed;
the seeds' marketing claims are not encoded anywhere."""

from __future__ import annotations

import pytest

from mesoclinic.core.knowledge.models import Text
from tests.core.screening_data import KB

# (seed source, what the seed says, knowledge-base id)
SEED_ITEMS = [
    ("src.seed-001", "mimic wrinkles", "indication.mimic-wrinkles"),
    ("src.seed-001", "rejuvenation and prevention of skin aging", "indication.ageing-prevention"),
    (
        "src.seed-001",
        "deep moisturizing the skin, improving the complexion",
        "indication.dehydration",
    ),
    ("src.seed-001", "the need to correct the face oval", "indication.face-oval"),
    ("src.seed-001", "acne", "indication.acne"),
    ("src.seed-001", "scars", "indication.scars"),
    ("src.seed-001", "stretch marks after losing weight and pregnancy", "indication.stretch-marks"),
    ("src.seed-001", "couperose", "indication.couperose"),
    ("src.seed-001", "hyperpigmentation", "indication.hyperpigmentation"),
    (
        "src.seed-001",
        "after plastic surgery, peeling, laser resurfacing, dermabrasion",
        "indication.post-procedure-rehabilitation",
    ),
    (
        "src.seed-001",
        "preparation of the skin for plastic surgery",
        "indication.pre-surgery-preparation",
    ),
    ("src.seed-001", "cellulite", "indication.cellulite"),
    ("src.seed-001", "hair loss", "indication.hair-loss"),
    ("src.seed-001", "fat deposits", "indication.local-fat"),
    ("src.seed-003", "гиперпигментация", "indication.hyperpigmentation"),
    ("src.seed-003", "рубцы, растяжки", "indication.scars"),
    ("src.seed-003", "рубцы, растяжки", "indication.stretch-marks"),
    ("src.seed-003", "сниженный тонус и эластичность", "indication.tone-elasticity"),
    ("src.seed-003", "морщины, возрастные изменения", "indication.mimic-wrinkles"),
    ("src.seed-003", "целлюлит", "indication.cellulite"),
    ("src.seed-003", "локальное ожирение (живот, галифе, руки, плечи)", "indication.local-fat"),
    ("src.seed-003", "утрата волос", "indication.hair-loss"),
    (
        "src.seed-003",
        "агрессивное воздействие на кожу; осложнения после операции",
        "indication.post-procedure-rehabilitation",
    ),
    ("src.seed-003", "подготовка к пластической операции", "indication.pre-surgery-preparation"),
    ("src.seed-000", "wrinkles", "indication.mimic-wrinkles"),
    ("src.seed-000", "local fatty deposits", "indication.local-fat"),
    # Contraindications.
    ("src.seed-001", "pregnancy", "ci.pregnancy"),
    ("src.seed-001", "breast-feeding", "ci.breastfeeding"),
    ("src.seed-001", "menstruation", "ci.menstruation"),
    ("src.seed-001", "acute infectious and inflammatory diseases", "ci.acute-infection"),
    ("src.seed-001", "propensity to keloid scars", "ci.keloid-tendency"),
    (
        "src.seed-001",
        "individual intolerance to the components of the drug",
        "ci.component-allergy",
    ),
    ("src.seed-001", "allergic diseases", "ci.allergic-disease"),
    (
        "src.seed-001",
        "blood clotting disorders (hemophilia, thrombocytopenia)",
        "ci.bleeding-disorder",
    ),
    ("src.seed-001", "taking medications that dilute blood", "ci.anticoagulant"),
    ("src.seed-001", "taking medications that dilute blood", "ci.antiplatelet"),
    ("src.seed-001", "chronic cardiovascular pathology", "ci.chronic-cardiovascular"),
    ("src.seed-001", "tumors", "ci.tumour"),
    ("src.seed-001", "chronic renal failure", "ci.chronic-renal-failure"),
    ("src.seed-004", "menstruation", "ci.menstruation"),
    ("src.seed-004", "pregnancy", "ci.pregnancy"),
    ("src.seed-004", "ban on the procedure after surgery", "ci.recent-surgery"),
    # Course values, techniques, aftercare, side effects, age groups.
    (
        "src.seed-001",
        "4 to 10 procedures with an interval of 7-10 days",
        "protocol.face-rejuvenation",
    ),
    ("src.seed-004", "ten to twelve procedures; up to 20 cubes", "protocol.cellulite"),
    ("src.seed-002", "just 30 minutes", "protocol.face-rejuvenation"),
    ("src.seed-003", "one session a week", "rule.interval-min"),
    ("src.seed-004", "needle depth 3 to 4 millimeters", "technique.deep"),
    ("src.seed-004", "needle depth 3 to 4 millimeters", "technique.point-by-point"),
    ("src.seed-004", "up to 20 cubes per session", "rule.session-volume-max"),
    ("src.seed-002", "electroporation", "technique.electroporation"),
    ("src.seed-002", "cryotherapy with electroporation", "technique.cryo-electroporation"),
    ("src.seed-002", "sonophoresis", "technique.sonophoresis"),
    ("src.seed-002", "iontophoresis", "technique.iontophoresis"),
    ("src.seed-002", "oxygen infusion", "technique.oxygen-infusion"),
    ("src.seed-004", "homeopathy", "ingredient.homeopathic-complex"),
    ("src.seed-001", "collagen, hyaluronic acid, elastin", "ingredient.collagen"),
    ("src.seed-001", "collagen, hyaluronic acid, elastin", "ingredient.hyaluronic-acid"),
    ("src.seed-001", "collagen, hyaluronic acid, elastin", "ingredient.elastin"),
    ("src.seed-001", "vitamins, amino acids, microelements", "class.vitamin"),
    ("src.seed-001", "vitamins, amino acids, microelements", "class.amino-acid"),
    ("src.seed-001", "vitamins, amino acids, microelements", "class.trace-element"),
    (
        "src.seed-001",
        "no other cosmetic procedures on the day after",
        "aftercare.no-other-procedures",
    ),
    ("src.seed-001", "no decorative cosmetics for 12 to 24 hours", "aftercare.no-makeup"),
    ("src.seed-001", "no sauna, solarium for a few days", "aftercare.no-sauna-solarium"),
    ("src.seed-001", "limit active sports", "aftercare.limit-sport"),
    ("src.seed-001", "no other cosmetic procedures on the day after", "rule.procedure-gap-before"),
    ("src.seed-004", "redness", "se.redness"),
    ("src.seed-004", "traces of injections", "se.injection-marks"),
    ("src.seed-004", "some soreness", "se.soreness"),
    ("src.seed-001", "carried out in both 25 and 65 years", "rule.age-band"),
    ("src.seed-001", "young owners of problematic skin", "age.25-29"),
    ("src.seed-001", "women about 30 years", "age.30-39"),
    ("src.seed-001", "higher age category: oval, turgor", "age.40-65"),
]


@pytest.mark.parametrize(
    ("source", "entry_id"),
    [pytest.param(s, e, id=f"{e}<-{s}:{what}") for s, what, e in SEED_ITEMS],
)
def test_seed_item_is_represented_citing_the_seed(source, entry_id):
    entry = KB.get(entry_id)
    assert source in entry.sources
    assert KB.source[source].evidence == "seed-text"


def test_every_seed_indication_and_contraindication_is_listed():
    listed = {e for _s, _w, e in SEED_ITEMS}
    seeded_indications = {
        i.id for i in KB.indication.values() if any(s.startswith("src.seed-") for s in i.sources)
    }
    assert seeded_indications <= listed
    seeded_cis = {
        c.id
        for c in KB.contraindication.values()
        if any(s.startswith("src.seed-") for s in c.sources)
    }
    assert seeded_cis <= listed


def test_seed_contraindications_stop_the_session():
    for _s, _w, entry_id in SEED_ITEMS:
        if entry_id.startswith("ci."):
            assert KB.contraindication[entry_id].level in ("block", "postpone"), entry_id


FORBIDDEN_CLAIMS = [
    "completely safe",
    "kidney stone",
    "stones from the kidneys",
    "strengthen the immune",
    "no age restriction",
    "completely painless",
    "полностью безопас",
    "никакого вреда",
    "камни из почек",
]


def test_marketing_claims_of_the_seeds_are_not_encoded():
    for _table, entry in KB.entries():
        for value in entry.__dict__.values():
            if isinstance(value, Text):
                text = (value.en + " " + value.ru).lower()
                for claim in FORBIDDEN_CLAIMS:
                    assert claim not in text, f"{entry.id}: {claim!r}"
