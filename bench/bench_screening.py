"""Benchmark: second-generation screening (typed medicines and conditions, weight,
zone-aware limits) and medicine-text recognition.

Run: .venv/bin/python bench/bench_screening.py [--runs N] [--no-write]

Prints the numbers and (unless --no-write) replaces the "Screening with typed
medicines" section of docs/benchmarks.md. Targets: a full screening request
< 1 ms median; recognising a typed list of 10 medicines < 1 ms median. The
baseline rows are the same work without recognition (classes given as codes).
Never used as a timed test. Word keys are cached (names recur across patients),
so after the warm-up these rows measure the steady state of a running server; the
"cold" row clears the cache before every call.
"""

from __future__ import annotations

import argparse
import copy
import os
import platform
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

from bench_knowledge import FULL_REQUEST, summary, timings, write_section  # noqa: E402

from mesoclinic.core.knowledge import load_knowledge  # noqa: E402
from mesoclinic.core.knowledge.lexicon import (  # noqa: E402
    medicines_find,
    medicines_split,
    text_keys,
    word_key,
)
from mesoclinic.core.screening import ScreeningRequest, screen  # noqa: E402

TODAY = date(2026, 3, 2)
HEADING = "## Screening with typed medicines"

TEN_MEDICINES = (
    "Ксарелто 20 мг; Aspirin Cardio 100 mg, Нурофен форте\n"
    "Роаккутан 20 мг капсулы; metformin 850mg; Эутирокс 50 мкг\n"
    "Omacor 1000 mg, гинкго билоба; Преднизолон 5 мг; Zyrtec 10 mg"
)


def typed_request() -> dict:
    """The busy request of bench_knowledge with medicines and conditions typed, plus
    weight, a lidocaine product and findings and procedures with zones."""
    data = copy.deepcopy(FULL_REQUEST)
    data["patient"]["medications"] = [{"name": part} for part in medicines_split(TEN_MEDICINES)] + [
        {"name": "Травяной сбор", "active": True}
    ]
    data["patient"]["condition_texts"] = ["сахарный диабет 2 типа", "келоидные рубцы", "мигрень"]
    data["patient"]["weight_kg"] = 58.0
    data["patient"]["weight_date"] = "2026-02-20"
    data["visit"]["recent_procedures"] = [
        {"procedure": "procedure.filler", "date": "2026-02-25", "zones": ["zone.perioral"]}
    ]
    data["plan"]["products"].append(
        {
            "product": "product.lidocaine-1",
            "volume_ml": 2.0,
            "lot": {"number": "LD", "expiry": "2027-01-01"},
        }
    )
    return data


def coded_request() -> dict:
    """The same request with every medicine given only as its classes (no recognition)."""
    kb = load_knowledge()
    data = typed_request()
    meds = []
    for med in data["patient"]["medications"]:
        found = medicines_find(kb, med["name"])
        classes = sorted({c for m in found for c in m.classes}) or ["medclass.other"]
        meds.append({"classes": classes})
    data["patient"]["medications"] = meds
    data["patient"]["condition_texts"] = []
    return data


def recognise(kb, text: str) -> list:
    """Split a typed list and recognise each medicine."""
    return [medicines_find(kb, part) for part in medicines_split(text)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3000)
    parser.add_argument("--no-write", action="store_true", help="do not update docs/benchmarks.md")
    args = parser.parse_args()

    kb = load_knowledge()
    typed = ScreeningRequest.model_validate(typed_request())
    coded = ScreeningRequest.model_validate(coded_request())
    verdicts = len(screen(typed, kb=kb, today=TODAY).verdicts)
    parts = medicines_split(TEN_MEDICINES)
    assert len(parts) == 10
    found = sum(len(medicines_find(kb, p)) for p in parts)
    rows = [
        (
            "baseline: screen, medicines given as classes",
            timings(lambda: screen(coded, kb=kb, today=TODAY), args.runs),
            "",
        ),
        (
            f"screen, full request with typed medicines and conditions ({verdicts} verdicts)",
            timings(lambda: screen(typed, kb=kb, today=TODAY), args.runs),
            "< 1 ms",
        ),
        (
            "baseline: split a typed list of 10 medicines",
            timings(lambda: medicines_split(TEN_MEDICINES), args.runs),
            "",
        ),
        (
            f"recognise a typed list of 10 medicines ({found} found)",
            timings(
                lambda: [medicines_find(kb, p) for p in medicines_split(TEN_MEDICINES)], args.runs
            ),
            "< 1 ms",
        ),
        (
            "recognise a typed list of 10 medicines, cold key cache",
            timings(
                lambda: (
                    text_keys.cache_clear(),
                    word_key.cache_clear(),
                    recognise(kb, TEN_MEDICINES),
                ),
                args.runs,
            ),
            "",
        ),
    ]
    sizes = (
        f"{len(kb.medicine)} medicines with "
        f"{sum(len(m.names) for m in kb.medicine.values())} names, "
        f"{len(kb.condition)} conditions with "
        f"{sum(len(c.synonyms) for c in kb.condition.values())} synonyms, "
        f"{len(kb.depth_limit)} zone x technique depth limits, "
        f"{sum(1 for c in kb.medication_class.values() if c.washout)} wash-out periods, "
        f"{len(kb.procedure_window)} procedure windows"
    )
    lines = [
        HEADING,
        "",
        f"Measured by `bench/bench_screening.py` on {time.strftime('%Y-%m-%d')}; "
        f"{platform.python_implementation()} {platform.python_version()}, {platform.machine()}, "
        f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at the start "
        "(other jobs were running; numbers are wall-clock).",
        f"Knowledge base {kb.short_version}: {sizes}.",
        "",
        "| Measurement | Median | p95 | Target |",
        "|---|---|---|---|",
    ]
    for name, values, target in rows:
        median, p95 = summary(values)
        lines.append(f"| {name} ({args.runs} runs) | {median:.0f} µs | {p95:.0f} µs | {target} |")
    lines.append("")
    section = "\n".join(lines)
    print(section)
    if not args.no_write:
        write_section(ROOT / "docs/benchmarks.md", section, heading=HEADING)
        print("written to docs/benchmarks.md")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
