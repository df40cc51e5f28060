"""Table-driven tests: every contraindication and engine rule fires when it should,
at the level it should, and stays silent when it should."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from mesoclinic.core.screening import ENGINE_RULE_IDS
from tests.core.screening_data import KB, TODAY, clean_request, dca_request, mutate, run

AGO = lambda days: (TODAY - timedelta(days=days)).isoformat()  # noqa: E731
LOT_OK = {"number": "X-1", "expiry": "2027-01-31"}

# (case id, base, mutations [(path, value)], rule that must fire, its level)
FIRING = [
    ("pregnancy", clean_request, [("patient.pregnant", True)], "ci.pregnancy", "block"),
    (
        "breastfeeding",
        clean_request,
        [("patient.breastfeeding", True)],
        "ci.breastfeeding",
        "block",
    ),
    ("menstruation", clean_request, [("visit.menstruation", True)], "ci.menstruation", "postpone"),
    (
        "acute-infection",
        clean_request,
        [("visit.acute_infection", True)],
        "ci.acute-infection",
        "postpone",
    ),
    ("fever", clean_request, [("visit.fever", True)], "ci.acute-infection", "postpone"),
    (
        "site-infection",
        clean_request,
        [("visit.site_findings", [{"finding": "finding.infection", "zones": ["zone.cheeks"]}])],
        "ci.site-infection",
        "postpone",
    ),
    (
        "site-inflammation",
        clean_request,
        [("visit.site_findings", [{"finding": "finding.inflammation", "zones": ["zone.cheeks"]}])],
        "ci.site-inflammation",
        "postpone",
    ),
    (
        "active-herpes",
        clean_request,
        [
            (
                "visit.site_findings",
                [{"finding": "finding.active-herpes", "zones": ["zone.cheeks", "zone.perioral"]}],
            )
        ],
        "ci.active-herpes",
        "postpone",
    ),
    (
        "unhealed-skin",
        clean_request,
        [("visit.site_findings", [{"finding": "finding.unhealed-skin", "zones": ["zone.cheeks"]}])],
        "ci.unhealed-skin",
        "postpone",
    ),
    (
        "site-tumour",
        clean_request,
        [("visit.site_findings", [{"finding": "finding.tumour", "zones": ["zone.cheeks"]}])],
        "ci.site-tumour",
        "block",
    ),
    (
        "herpes-history-perioral",
        clean_request,
        [("patient.conditions", ["condition.herpes-history"]), ("plan.zones", ["zone.perioral"])],
        "ci.herpes-history",
        "warn",
    ),
    ("tumour", clean_request, [("patient.conditions", ["condition.tumour"])], "ci.tumour", "block"),
    (
        "keloid",
        clean_request,
        [("patient.conditions", ["condition.keloid-tendency"])],
        "ci.keloid-tendency",
        "block",
    ),
    (
        "allergy-ingredient",
        clean_request,
        [("patient.allergies", ["ingredient.vitamin-c"])],
        "ci.component-allergy",
        "block",
    ),
    (
        "allergy-group",
        clean_request,
        [("patient.allergies", ["allergen.metals"])],
        "ci.component-allergy",
        "block",
    ),
    (
        "allergy-excipient",
        clean_request,
        [("patient.allergies", ["ingredient.water-for-injection"])],
        "ci.component-allergy",
        "block",
    ),
    (
        "allergy-amide-lidocaine",
        clean_request,
        [
            ("patient.allergies", ["allergen.amide-anaesthetic"]),
            ("plan.products", [{"product": "product.ha-lidocaine", "volume_ml": 1, "lot": LOT_OK}]),
        ],
        "ci.component-allergy",
        "block",
    ),
    (
        "allergy-benzyl-alcohol",
        clean_request,
        [
            ("patient.allergies", ["allergen.benzyl-alcohol"]),
            (
                "plan.products",
                [{"product": "product.collagen-elastin-cocktail", "volume_ml": 1, "lot": LOT_OK}],
            ),
        ],
        "ci.component-allergy",
        "block",
    ),
    (
        "allergy-bovine",
        clean_request,
        [
            ("patient.allergies", ["allergen.bovine-protein"]),
            (
                "plan.products",
                [{"product": "product.collagen-elastin-cocktail", "volume_ml": 1, "lot": LOT_OK}],
            ),
        ],
        "ci.component-allergy",
        "block",
    ),
    (
        "severe-allergy",
        clean_request,
        [("patient.conditions", ["condition.anaphylaxis-history"])],
        "ci.severe-allergy-history",
        "block",
    ),
    (
        "allergic-disease",
        clean_request,
        [("patient.conditions", ["condition.allergic-disease"])],
        "ci.allergic-disease",
        "block",
    ),
    (
        "haemophilia",
        clean_request,
        [("patient.conditions", ["condition.haemophilia"])],
        "ci.bleeding-disorder",
        "block",
    ),
    (
        "thrombocytopenia",
        clean_request,
        [("patient.conditions", ["condition.thrombocytopenia"])],
        "ci.bleeding-disorder",
        "block",
    ),
    (
        "bleeding-disorder",
        clean_request,
        [("patient.conditions", ["condition.bleeding-disorder"])],
        "ci.bleeding-disorder",
        "block",
    ),
    (
        "anticoagulant",
        clean_request,
        [("patient.medications", [{"classes": ["medclass.anticoagulant"], "name": "Apixaban"}])],
        "ci.anticoagulant",
        "block",
    ),
    (
        "thrombolytic",
        clean_request,
        [("patient.medications", [{"classes": ["medclass.thrombolytic"]}])],
        "ci.anticoagulant",
        "block",
    ),
    (
        "antiplatelet",
        clean_request,
        [("patient.medications", [{"classes": ["medclass.antiplatelet"]}])],
        "ci.antiplatelet",
        "block",
    ),
    (
        "nsaid",
        clean_request,
        [("patient.medications", [{"classes": ["medclass.nsaid"]}])],
        "ci.nsaid",
        "warn",
    ),
    (
        "cardiovascular",
        clean_request,
        [("patient.conditions", ["condition.chronic-cardiovascular"])],
        "ci.chronic-cardiovascular",
        "block",
    ),
    (
        "renal-failure",
        clean_request,
        [("patient.conditions", ["condition.chronic-renal-failure"])],
        "ci.chronic-renal-failure",
        "block",
    ),
    (
        "autoimmune",
        clean_request,
        [("patient.conditions", ["condition.autoimmune-disease"])],
        "ci.autoimmune",
        "block",
    ),
    (
        "immunosuppression-condition",
        clean_request,
        [("patient.conditions", ["condition.immunosuppression"])],
        "ci.immunosuppression",
        "block",
    ),
    (
        "immunosuppressant-drug",
        clean_request,
        [("patient.medications", [{"classes": ["medclass.immunosuppressant"]}])],
        "ci.immunosuppression",
        "block",
    ),
    (
        "isotretinoin-current",
        clean_request,
        [("patient.medications", [{"classes": ["medclass.isotretinoin"]}])],
        "ci.isotretinoin",
        "postpone",
    ),
    (
        "isotretinoin-stopped-30d",
        clean_request,
        [
            (
                "patient.medications",
                [{"classes": ["medclass.isotretinoin"], "active": False, "last_dose": AGO(30)}],
            )
        ],
        "ci.isotretinoin",
        "postpone",
    ),
    (
        "dysphagia-dca",
        dca_request,
        [("patient.conditions", ["condition.dysphagia"])],
        "ci.dysphagia",
        "block",
    ),
    (
        "prior-dca-ulceration",
        dca_request,
        [("patient.conditions", ["condition.prior-dca-ulceration"])],
        "ci.prior-dca-ulceration",
        "block",
    ),
    (
        "dca-thyromegaly",
        dca_request,
        [("visit.site_findings", [{"finding": "finding.thyromegaly", "zones": ["zone.neck"]}])],
        "ci.dca-neck-findings",
        "postpone",
    ),
    (
        "dca-lymphadenopathy",
        dca_request,
        [("visit.site_findings", [{"finding": "finding.lymphadenopathy", "zones": ["zone.neck"]}])],
        "ci.dca-neck-findings",
        "postpone",
    ),
    (
        "recent-surgery",
        clean_request,
        [("patient.surgeries", [{"date": AGO(10)}])],
        "ci.recent-surgery",
        "postpone",
    ),
    (
        "surgery-in-zone",
        clean_request,
        [("patient.surgeries", [{"date": AGO(700), "zones": ["zone.cheeks"]}])],
        "ci.surgery-in-zone",
        "warn",
    ),
    ("minor", clean_request, [("patient.birth_date", "2010-01-01")], "ci.minor", "block"),
    (
        "pacemaker-electroporation",
        clean_request,
        [
            ("patient.implanted_devices", ["device.pacemaker"]),
            ("plan.technique", "technique.electroporation"),
            ("plan.depth_mm", None),
        ],
        "ci.implanted-device-electrical",
        "block",
    ),
    (
        "icd-iontophoresis",
        clean_request,
        [
            ("patient.implanted_devices", ["device.icd"]),
            ("plan.technique", "technique.iontophoresis"),
            ("plan.depth_mm", None),
        ],
        "ci.implanted-device-electrical",
        "block",
    ),
    (
        "device-sonophoresis",
        clean_request,
        [
            ("patient.implanted_devices", ["device.neurostimulator"]),
            ("plan.technique", "technique.sonophoresis"),
            ("plan.depth_mm", None),
        ],
        "ci.implanted-device-ultrasound",
        "warn",
    ),
    (
        "metal-implant-electrical",
        clean_request,
        [
            ("patient.implanted_devices", ["device.metal-implant"]),
            ("plan.technique", "technique.cryo-electroporation"),
            ("plan.depth_mm", None),
        ],
        "ci.metal-implant-electrical",
        "warn",
    ),
    (
        "device-any-technique",
        clean_request,
        [("patient.implanted_devices", ["device.pacemaker"])],
        "ci.implanted-device-general",
        "warn",
    ),
    (
        "cold-intolerance-cryo",
        clean_request,
        [
            ("patient.conditions", ["condition.cold-intolerance"]),
            ("plan.technique", "technique.cryo-electroporation"),
            ("plan.depth_mm", None),
        ],
        "ci.cold-intolerance",
        "block",
    ),
    ("dark-skin", clean_request, [("patient.skin_type", 5)], "ci.dark-skin-pih", "warn"),
    (
        "diabetes",
        clean_request,
        [("patient.conditions", ["condition.diabetes"])],
        "ci.diabetes",
        "warn",
    ),
    (
        "gallstones",
        clean_request,
        [("patient.conditions", ["condition.gallstones"])],
        "ci.gallstones",
        "warn",
    ),
    # Engine rules.
    (
        "interval-min",
        clean_request,
        [
            ("plan.session_number", 2),
            ("plan.previous_sessions", [{"date": AGO(5), "zones": ["zone.cheeks"]}]),
        ],
        "rule.interval-min",
        "postpone",
    ),
    (
        "interval-min-same-day",
        clean_request,
        [("plan.previous_sessions", [{"date": AGO(0), "zones": ["zone.cheeks"]}])],
        "rule.interval-min",
        "postpone",
    ),
    (
        "interval-max",
        clean_request,
        [
            ("plan.session_number", 3),
            ("plan.previous_sessions", [{"date": AGO(25), "zones": ["zone.cheeks"]}]),
        ],
        "rule.interval-max",
        "warn",
    ),
    (
        "product-interval-min",
        dca_request,
        [
            ("plan.session_number", 2),
            (
                "plan.previous_sessions",
                [{"date": AGO(20), "zones": ["zone.submental"], "products": ["product.dca-10"]}],
            ),
        ],
        "rule.product-interval-min",
        "postpone",
    ),
    (
        "product-sessions-max",
        dca_request,
        [
            ("plan.session_number", 7),
            (
                "plan.previous_sessions",
                [
                    {
                        "date": AGO(40 * k),
                        "zones": ["zone.submental"],
                        "products": ["product.dca-10"],
                    }
                    for k in range(1, 7)
                ],
            ),
        ],
        "rule.product-sessions-max",
        "block",
    ),
    (
        "session-volume",
        clean_request,
        [("plan.products.0.volume_ml", 25.0)],
        "rule.session-volume-max",
        "block",
    ),
    (
        "session-volume-no-protocol",
        clean_request,
        [("plan.protocol", None), ("plan.products.0.volume_ml", 21.0)],
        "rule.session-volume-max",
        "block",
    ),
    (
        "dca-session-volume",
        dca_request,
        [("plan.products.0.volume_ml", 12.0)],
        "rule.product-session-volume",
        "block",
    ),
    (
        "dca-session-volume-split-lots",
        dca_request,
        [
            (
                "plan.products",
                [
                    {
                        "product": "product.dca-10",
                        "volume_ml": 6.0,
                        "volume_per_injection_ml": 0.2,
                        "lot": LOT_OK,
                    },
                    {
                        "product": "product.dca-10",
                        "volume_ml": 6.0,
                        "volume_per_injection_ml": 0.2,
                        "lot": {"number": "X-2", "expiry": "2027-01-31"},
                    },
                ],
            )
        ],
        "rule.product-session-volume",
        "block",
    ),
    (
        "dca-per-injection",
        dca_request,
        [("plan.products.0.volume_per_injection_ml", 0.3)],
        "rule.product-injection-volume",
        "block",
    ),
    (
        "dca-per-injection-unknown",
        dca_request,
        [("plan.products.0.volume_per_injection_ml", None)],
        "rule.product-injection-volume-unknown",
        "warn",
    ),
    (
        "dca-off-label-zone",
        dca_request,
        [("plan.zones", ["zone.submental", "zone.abdomen"])],
        "rule.product-zone-label",
        "block",
    ),
    (
        "dca-wrong-technique",
        dca_request,
        [("plan.technique", "technique.point-by-point"), ("plan.depth_mm", 5)],
        "rule.product-technique-label",
        "block",
    ),
    (
        "regulatory-warning",
        clean_request,
        [
            (
                "plan.products",
                [{"product": "product.pc-dc-lipolytic", "volume_ml": 2, "lot": LOT_OK}],
            )
        ],
        "rule.product-regulatory",
        "warn",
    ),
    (
        "depth-unsupported",
        clean_request,
        [("plan.depth_mm", 5.0)],
        "rule.depth-unsupported",
        "block",
    ),
    (
        "depth-range-unsupported",
        clean_request,
        [("plan.depth_mm", [1.0, 4.5])],
        "rule.depth-unsupported",
        "block",
    ),
    (
        "depth-outside-default",
        clean_request,
        [("plan.technique", "technique.nappage"), ("plan.depth_mm", 3.0)],
        "rule.depth-outside-default",
        "warn",
    ),
    ("depth-missing", clean_request, [("plan.depth_mm", None)], "rule.depth-missing", "warn"),
    ("course-length", clean_request, [("plan.session_number", 11)], "rule.course-length", "warn"),
    (
        "course-planned-too-long",
        clean_request,
        [("plan.course_sessions_planned", 14)],
        "rule.course-length",
        "warn",
    ),
    (
        "protocol-zone",
        clean_request,
        [("plan.zones", ["zone.cheeks", "zone.scalp"])],
        "rule.protocol-zone",
        "warn",
    ),
    (
        "protocol-technique",
        clean_request,
        [("plan.technique", "technique.deep"), ("plan.depth_mm", 5.0)],
        "rule.protocol-technique",
        "warn",
    ),
    ("lot-missing", clean_request, [("plan.products.0.lot", None)], "rule.lot-missing", "block"),
    (
        "lot-no-expiry",
        clean_request,
        [("plan.products.0.lot", {"number": "A"})],
        "rule.lot-missing",
        "block",
    ),
    (
        "lot-blank-number",
        clean_request,
        [("plan.products.0.lot", {"number": "  ", "expiry": "2027-01-01"})],
        "rule.lot-missing",
        "block",
    ),
    (
        "lot-expired",
        clean_request,
        [("plan.products.0.lot.expiry", AGO(1))],
        "rule.lot-expired",
        "block",
    ),
    (
        "lot-recalled",
        clean_request,
        [("plan.products.0.lot.status", "recalled")],
        "rule.lot-recalled",
        "block",
    ),
    (
        "lot-quarantined",
        clean_request,
        [("plan.products.0.lot.status", "quarantined")],
        "rule.lot-quarantined",
        "block",
    ),
    (
        "lot-multi-dose",
        clean_request,
        [("plan.products.0.lot.multi_dose", True)],
        "rule.lot-multi-dose",
        "warn",
    ),
    (
        "practitioner-technique",
        clean_request,
        [("plan.practitioner.techniques", ["technique.nappage"])],
        "rule.practitioner-technique",
        "block",
    ),
    (
        "practitioner-physician-product",
        dca_request,
        [("plan.practitioner.physician", False)],
        "rule.practitioner-physician-product",
        "block",
    ),
    (
        "practitioner-not-physician",
        clean_request,
        [("plan.practitioner.physician", False)],
        "rule.practitioner-physician",
        "warn",
    ),
    ("age-over-65", clean_request, [("patient.birth_date", "1955-01-01")], "rule.age-band", "warn"),
    (
        "age-under-25",
        clean_request,
        [("patient.birth_date", "2004-01-01")],
        "rule.age-band",
        "warn",
    ),
    (
        "procedure-yesterday",
        clean_request,
        [("visit.recent_procedures", [{"procedure": "procedure.chemical-peel", "date": AGO(1)}])],
        "rule.procedure-gap-before",
        "postpone",
    ),
    (
        "procedure-today",
        clean_request,
        [("visit.recent_procedures", [{"procedure": "procedure.botulinum", "date": AGO(0)}])],
        "rule.procedure-gap-before",
        "postpone",
    ),
    (
        "procedure-tomorrow",
        clean_request,
        [("visit.recent_procedures", [{"procedure": "procedure.laser", "date": AGO(-1)}])],
        "rule.procedure-gap-after",
        "warn",
    ),
    (
        "bleeding-supplement",
        clean_request,
        [("patient.medications", [{"name": "Омакор 1000 мг"}])],
        "ci.bleeding-supplement",
        "warn",
    ),
    (
        "epilepsy-electrical",
        clean_request,
        [
            ("patient.condition_texts", ["эпилепсия"]),
            ("plan.technique", "technique.electroporation"),
            ("plan.depth_mm", None),
        ],
        "ci.epilepsy-electrical",
        "warn",
    ),
    (
        "medicine-unrecognised",
        clean_request,
        [("patient.medications", [{"name": "Травяной сбор №5"}])],
        "rule.medicine-unrecognised",
        "warn",
    ),
    (
        "condition-unrecognised",
        clean_request,
        [("patient.condition_texts", ["vampirism"])],
        "rule.condition-unrecognised",
        "warn",
    ),
    (
        "depth-zone-limit",
        clean_request,
        [
            ("plan.technique", "technique.point-by-point"),
            ("plan.zones", ["zone.forehead"]),
            ("plan.depth_mm", 5.0),
        ],
        "rule.depth-zone-limit",
        "block",
    ),
    (
        "protocol-missing",
        clean_request,
        [("plan.protocol", None)],
        "rule.protocol-missing",
        "warn",
    ),
    (
        "procedure-window",
        clean_request,
        [
            (
                "visit.recent_procedures",
                [{"procedure": "procedure.filler", "date": AGO(6), "zones": ["zone.perioral"]}],
            )
        ],
        "rule.procedure-window",
        "warn",
    ),
    (
        "anaesthetic-dose",
        clean_request,
        [
            ("patient.weight_kg", 50.0),
            (
                "plan.products",
                [{"product": "product.lidocaine-1", "volume_ml": 25.0, "lot": LOT_OK}],
            ),
        ],
        "rule.anaesthetic-dose",
        "block",
    ),
    (
        "anaesthetic-weight-missing",
        clean_request,
        [("plan.products", [{"product": "product.lidocaine-1", "volume_ml": 2.0, "lot": LOT_OK}])],
        "rule.anaesthetic-weight-missing",
        "warn",
    ),
]

# (case id, base, mutations, rule that must NOT fire)
SILENT = [
    (
        "finding-in-other-zone",
        clean_request,
        [("visit.site_findings", [{"finding": "finding.infection", "zones": ["zone.abdomen"]}])],
        "ci.site-infection",
    ),
    (
        "herpes-history-forehead",
        clean_request,
        [("patient.conditions", ["condition.herpes-history"]), ("plan.zones", ["zone.forehead"])],
        "ci.herpes-history",
    ),
    (
        "isotretinoin-stopped-200d",
        clean_request,
        [
            (
                "patient.medications",
                [{"classes": ["medclass.isotretinoin"], "active": False, "last_dose": AGO(200)}],
            )
        ],
        "ci.isotretinoin",
    ),
    (
        "anticoagulant-stopped",
        clean_request,
        [("patient.medications", [{"classes": ["medclass.anticoagulant"], "active": False}])],
        "ci.anticoagulant",
    ),
    (
        "surgery-40d-ago",
        clean_request,
        [("patient.surgeries", [{"date": AGO(40)}])],
        "ci.recent-surgery",
    ),
    (
        "surgery-other-zone",
        clean_request,
        [("patient.surgeries", [{"date": AGO(400), "zones": ["zone.abdomen"]}])],
        "ci.surgery-in-zone",
    ),
    (
        "procedure-3-days-ago",
        clean_request,
        [("visit.recent_procedures", [{"procedure": "procedure.laser", "date": AGO(3)}])],
        "rule.procedure-gap-before",
    ),
    (
        "procedure-in-3-days",
        clean_request,
        [("visit.recent_procedures", [{"procedure": "procedure.laser", "date": AGO(-3)}])],
        "rule.procedure-gap-after",
    ),
    (
        "lot-expires-today",
        clean_request,
        [("plan.products.0.lot.expiry", TODAY.isoformat())],
        "rule.lot-expired",
    ),
    (
        "interval-exactly-7",
        clean_request,
        [("plan.previous_sessions", [{"date": AGO(7), "zones": ["zone.cheeks"]}])],
        "rule.interval-min",
    ),
    (
        "interval-other-zone",
        clean_request,
        [("plan.previous_sessions", [{"date": AGO(2), "zones": ["zone.forehead"]}])],
        "rule.interval-min",
    ),
    (
        "interval-max-first-session",
        clean_request,
        [("plan.previous_sessions", [{"date": AGO(60), "zones": ["zone.cheeks"]}])],
        "rule.interval-max",
    ),
    (
        "dysphagia-ha",
        clean_request,
        [("patient.conditions", ["condition.dysphagia"])],
        "ci.dysphagia",
    ),
    (
        "pacemaker-needle",
        clean_request,
        [("patient.implanted_devices", ["device.pacemaker"])],
        "ci.implanted-device-electrical",
    ),
    (
        "cold-intolerance-needle",
        clean_request,
        [("patient.conditions", ["condition.cold-intolerance"])],
        "ci.cold-intolerance",
    ),
    (
        "dca-one-month-later",
        dca_request,
        [
            (
                "plan.previous_sessions",
                [
                    {
                        "date": "2026-02-02",
                        "zones": ["zone.submental"],
                        "products": ["product.dca-10"],
                    }
                ],
            )
        ],
        "rule.product-interval-min",
    ),
    (
        "dca-sixth-session",
        dca_request,
        [
            (
                "plan.previous_sessions",
                [
                    {
                        "date": AGO(40 * k),
                        "zones": ["zone.submental"],
                        "products": ["product.dca-10"],
                    }
                    for k in range(1, 6)
                ],
            )
        ],
        "rule.product-sessions-max",
    ),
    (
        "dca-exactly-10ml",
        dca_request,
        [("plan.products.0.volume_ml", 10.0)],
        "rule.product-session-volume",
    ),
    (
        "volume-exactly-20",
        clean_request,
        [("plan.products.0.volume_ml", 20.0)],
        "rule.session-volume-max",
    ),
    ("age-exactly-25", clean_request, [("patient.birth_date", "2001-03-02")], "rule.age-band"),
    ("age-18-today", clean_request, [("patient.birth_date", "2008-03-02")], "ci.minor"),
    ("skin-type-3", clean_request, [("patient.skin_type", 3)], "ci.dark-skin-pih"),
    (
        "needle-free-no-depth",
        clean_request,
        [("plan.technique", "technique.oxygen-infusion"), ("plan.depth_mm", None)],
        "rule.depth-missing",
    ),
]


def _build(base, mutations):
    data = base()
    for path, value in mutations:
        data = mutate(data, path, value)
    return data


def test_clean_requests_have_no_verdicts():
    for base in (clean_request, dca_request):
        result = run(base())
        assert result.level == "ok"
        assert result.verdicts == ()
        assert result.knowledge_version == KB.version


@pytest.mark.parametrize(
    ("base", "mutations", "rule_id", "level"),
    [pytest.param(*case[1:], id=case[0]) for case in FIRING],
)
def test_rule_fires_at_its_level(base, mutations, rule_id, level):
    result = run(_build(base, mutations))
    fired = [v for v in result.verdicts if v.rule_id == rule_id]
    assert fired, f"{rule_id} did not fire; got {[v.rule_id for v in result.verdicts]}"
    assert {v.level for v in fired} == {level}
    # The overall level is the strictest verdict.
    strictest = max(
        result.verdicts, key=lambda v: ("ok", "warn", "postpone", "block").index(v.level)
    )
    assert result.level == strictest.level
    for verdict in fired:
        assert verdict.sources, "every verdict cites its sources"
        assert verdict.message.en and verdict.message.ru
        assert "{" not in verdict.message.en + verdict.message.ru, "unfilled placeholder"
        if verdict.level == "postpone":
            assert verdict.until is not None or verdict.until_condition is not None


@pytest.mark.parametrize(
    ("base", "mutations", "rule_id"),
    [pytest.param(*case[1:], id=case[0]) for case in SILENT],
)
def test_rule_stays_silent(base, mutations, rule_id):
    result = run(_build(base, mutations))
    assert rule_id not in {v.rule_id for v in result.verdicts}


def test_table_covers_every_rule_and_contraindication():
    covered = {case[3] for case in FIRING}
    expected = set(KB.rule) | set(KB.contraindication)
    assert expected - covered == set(), "add a FIRING case for each"


def test_engine_rules_match_the_knowledge_base():
    assert set(ENGINE_RULE_IDS) == set(KB.rule)
    for rule_id in ENGINE_RULE_IDS:
        assert KB.rule[rule_id].sources


@pytest.mark.parametrize(
    ("mutations", "rule_id", "until"),
    [
        pytest.param(
            [("plan.previous_sessions", [{"date": AGO(5), "zones": ["zone.cheeks"]}])],
            "rule.interval-min",
            TODAY + timedelta(days=2),
            id="interval",
        ),
        pytest.param(
            [("patient.surgeries", [{"date": AGO(10)}])],
            "ci.recent-surgery",
            TODAY + timedelta(days=20),
            id="surgery",
        ),
        pytest.param(
            [("visit.recent_procedures", [{"procedure": "procedure.laser", "date": AGO(1)}])],
            "rule.procedure-gap-before",
            TODAY + timedelta(days=1),
            id="procedure",
        ),
    ],
)
def test_postpone_gives_the_date(mutations, rule_id, until):
    result = run(_build(clean_request, mutations))
    verdict = next(v for v in result.verdicts if v.rule_id == rule_id)
    assert verdict.until == until
    assert result.until == until


def test_label_interval_is_one_calendar_month():
    data = mutate(
        dca_request(),
        "plan.previous_sessions",
        [{"date": "2026-02-10", "zones": ["zone.submental"], "products": ["product.dca-10"]}],
    )
    verdict = next(v for v in run(data).verdicts if v.rule_id == "rule.product-interval-min")
    assert verdict.until == date(2026, 3, 10)
    assert verdict.evidence == "label"


def test_result_until_is_the_latest_postpone_date():
    data = _build(
        clean_request,
        [
            ("patient.surgeries", [{"date": AGO(10)}]),
            ("plan.previous_sessions", [{"date": AGO(5), "zones": ["zone.cheeks"]}]),
        ],
    )
    result = run(data)
    assert result.level == "postpone"
    assert result.until == TODAY + timedelta(days=20)


def test_marketing_only_interval_never_postpones():
    # protocol.local-fat takes its 21-28 day interval from clinic pages only.
    data = _build(
        clean_request,
        [
            ("plan.protocol", "protocol.local-fat"),
            ("plan.technique", "technique.deep"),
            ("plan.depth_mm", 6.0),
            ("plan.zones", ["zone.abdomen"]),
            ("plan.previous_sessions", [{"date": AGO(10), "zones": ["zone.abdomen"]}]),
        ],
    )
    verdict = next(v for v in run(data).verdicts if v.rule_id == "rule.interval-min")
    assert verdict.level == "warn"
    assert verdict.evidence == "marketing"


def test_allergy_names_the_component_and_product():
    data = mutate(clean_request(), "patient.allergies", ["allergen.metals"])
    verdict = next(v for v in run(data).verdicts if v.rule_id == "ci.component-allergy")
    assert "Trace elements" in verdict.message.en
    assert "Микроэлементы" in verdict.message.ru


def test_verdicts_are_ordered_by_severity_then_rule_id():
    data = _build(
        clean_request,
        [
            ("patient.pregnant", True),
            ("visit.menstruation", True),
            ("patient.medications", [{"classes": ["medclass.nsaid"]}]),
            ("plan.products.0.lot.status", "recalled"),
        ],
    )
    verdicts = run(data).verdicts
    order = ("ok", "warn", "postpone", "block")
    keys = [(-order.index(v.level), v.rule_id, v.subject or "") for v in verdicts]
    assert keys == sorted(keys)
    assert verdicts[0].level == "block"
