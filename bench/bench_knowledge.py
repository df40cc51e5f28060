"""Benchmark: knowledge-base load time and screening latency with the full base.

Run: .venv/bin/python bench/bench_knowledge.py [--runs N] [--no-write]

Prints the numbers and (unless --no-write) replaces the "Knowledge base and
screening" section of docs/benchmarks.md. Targets: load < 300 ms, one
screening < 1 ms median. Never used as a timed test.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from mesoclinic.core.knowledge import DATA_DIR, load_knowledge  # noqa: E402
from mesoclinic.core.screening import ScreeningRequest, screen  # noqa: E402

TODAY = date(2026, 3, 2)
HEADING = "## Knowledge base and screening"

# A realistic, busy request: every section used, several verdicts fire.
FULL_REQUEST = {
    "patient": {
        "birth_date": "1983-07-09",
        "sex": "female",
        "conditions": [
            "condition.herpes-history",
            "condition.allergic-disease",
            "condition.diabetes",
        ],
        "allergies": ["allergen.amide-anaesthetic", "ingredient.vitamin-c"],
        "medications": [
            {"classes": ["medclass.antiplatelet", "medclass.nsaid"], "name": "Aspirin 100 mg"},
            {"classes": ["medclass.isotretinoin"], "active": False, "last_dose": "2025-12-01"},
        ],
        "implanted_devices": ["device.metal-implant"],
        "surgeries": [{"date": "2025-06-01", "zones": ["zone.jawline"]}],
        "skin_type": 4,
    },
    "visit": {
        "menstruation": False,
        "site_findings": [{"finding": "finding.inflammation", "zones": ["zone.cheeks"]}],
        "recent_procedures": [{"procedure": "procedure.chemical-peel", "date": "2026-03-01"}],
    },
    "plan": {
        "protocol": "protocol.face-rejuvenation",
        "technique": "technique.papule",
        "zones": ["zone.cheeks", "zone.perioral", "zone.jawline", "zone.neck"],
        "depth_mm": [1.0, 2.5],
        "session_number": 4,
        "course_sessions_planned": 8,
        "products": [
            {
                "product": "product.ha-lidocaine",
                "volume_ml": 2.0,
                "lot": {"number": "HL-1", "expiry": "2026-09-30"},
            },
            {
                "product": "product.revitalising-cocktail",
                "volume_ml": 5.0,
                "lot": {"number": "RC-2", "expiry": "2026-02-28", "multi_dose": True},
            },
        ],
        "previous_sessions": [
            {
                "date": d,
                "zones": ["zone.cheeks", "zone.neck"],
                "products": ["product.revitalising-cocktail"],
            }
            for d in ("2026-02-01", "2026-02-09", "2026-02-24")
        ],
        "practitioner": {"id": "dr-x", "physician": True, "techniques": ["technique.papule"]},
    },
}
CLEAN_REQUEST = {
    "patient": {"birth_date": "1990-06-15"},
    "plan": {
        "technique": "technique.papule",
        "zones": ["zone.cheeks"],
        "depth_mm": 1.5,
        "products": [
            {
                "product": "product.ha-skinbooster",
                "volume_ml": 1,
                "lot": {"number": "A", "expiry": "2027-01-01"},
            }
        ],
        "practitioner": {"physician": True, "techniques": ["technique.papule"]},
    },
}


def timings(func: Callable[[], object], runs: int) -> list[float]:
    """Per-call wall times in microseconds."""
    func()  # warm-up
    out = []
    for _ in range(runs):
        start = time.perf_counter_ns()
        func()
        out.append((time.perf_counter_ns() - start) / 1000)
    return out


def summary(values: list[float]) -> tuple[float, float]:
    ordered = sorted(values)
    return statistics.median(ordered), ordered[int(0.95 * (len(ordered) - 1))]


def fresh_process_ms() -> float:
    code = (
        "import time; t=time.perf_counter();"
        "from mesoclinic.core.knowledge import load_knowledge; load_knowledge();"
        "print((time.perf_counter()-t)*1000)"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    )
    return float(proc.stdout.strip())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5000, help="screenings per measurement")
    parser.add_argument("--loads", type=int, default=20, help="cold knowledge-base loads")
    parser.add_argument("--no-write", action="store_true", help="do not update docs/benchmarks.md")
    args = parser.parse_args()

    kb = load_knowledge()
    # Passing the path bypasses the lru_cache: every call parses and validates all files.
    load_ms = [t / 1000 for t in timings(lambda: load_knowledge(DATA_DIR), args.loads)]
    fresh = sorted(fresh_process_ms() for _ in range(3))[1]

    full_json = json.dumps(FULL_REQUEST)
    full = ScreeningRequest.model_validate_json(full_json)
    clean = ScreeningRequest.model_validate(CLEAN_REQUEST)
    verdicts = len(screen(full, kb=kb, today=TODAY).verdicts)
    rows = [
        (
            "baseline: validate request JSON only",
            timings(lambda: ScreeningRequest.model_validate_json(full_json), args.runs),
        ),
        (
            "screen, clean request (0 verdicts)",
            timings(lambda: screen(clean, kb=kb, today=TODAY), args.runs),
        ),
        (
            f"screen, full request ({verdicts} verdicts)",
            timings(lambda: screen(full, kb=kb, today=TODAY), args.runs),
        ),
        (
            "validate JSON + screen full request",
            timings(
                lambda: screen(ScreeningRequest.model_validate_json(full_json), kb=kb, today=TODAY),
                args.runs,
            ),
        ),
    ]
    load_median, load_p95 = summary(load_ms)
    counts = kb.counts_by_kind()
    entries = sum(n for k, n in counts.items() if k != "evidence_level")
    n_files = len(list(DATA_DIR.glob("*.toml")))
    lines = [
        HEADING,
        "",
        f"Measured by `bench/bench_knowledge.py` on {time.strftime('%Y-%m-%d')}; "
        f"{platform.python_implementation()} {platform.python_version()}, {platform.machine()}, "
        f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at the start "
        "(other jobs were running; numbers are wall-clock).",
        f"Knowledge base {kb.short_version}: {entries} entries in {n_files} files, "
        f"{len(kb.contraindication)} contraindications, {len(kb.rule)} engine rules.",
        "",
        "| Measurement | Median | p95 | Target |",
        "|---|---|---|---|",
        f"| Knowledge base load, in process, cold ({args.loads} loads) "
        f"| {load_median:.1f} ms | {load_p95:.1f} ms | < 300 ms |",
        f"| Import + first load in a fresh interpreter (median of 3) | {fresh:.0f} ms | | |",
    ]
    for name, values in rows:
        median, p95 = summary(values)
        target = "< 1 ms" if name.startswith("screen, full") else ""
        lines.append(f"| {name} ({args.runs} runs) | {median:.0f} µs | {p95:.0f} µs | {target} |")
    lines += [
        "",
        "The baseline row is pydantic validation of the same request with no screening;",
        "the API pays it once per call on top of the screening itself.",
        "",
    ]
    section = "\n".join(lines)
    print(section)
    if not args.no_write:
        write_section(ROOT / "docs/benchmarks.md", section)
        print("written to docs/benchmarks.md")
    return 0


def write_section(path: Path, section: str, heading: str = HEADING) -> None:
    """Replace one benchmark's section (heading to next '## ') and leave the rest alone."""
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n\n"
    start = text.find(heading)
    if start == -1:
        text = text.rstrip("\n") + "\n\n" + section
    else:
        end = text.find("\n## ", start + len(heading))
        tail = text[end + 1 :] if end != -1 else ""
        text = text[:start] + section + ("\n" + tail if tail else "")
    path.write_text(text.rstrip("\n") + "\n", encoding="utf-8")


if __name__ == "__main__":
    raise SystemExit(main())
