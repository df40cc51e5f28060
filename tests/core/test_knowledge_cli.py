"""The `knowledge check`, `knowledge show` and `screen` subcommands, called like a user would."""

from __future__ import annotations

import argparse
import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from mesoclinic import knowledge_cli
from mesoclinic.core.knowledge import DATA_DIR
from tests.core.screening_data import KB, clean_request, mutate

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "docs/examples/screening"


def call(*argv: str, stdin: str = "") -> tuple[int, str, str]:
    """Run a subcommand through a parser built exactly as cli.py builds it."""
    parser = argparse.ArgumentParser(prog="mesoclinic")
    knowledge_cli.register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    out, err = io.StringIO(), io.StringIO()
    if args.handler is knowledge_cli.screen_command:
        code = args.handler(args, out=out, err=err, stdin=io.StringIO(stdin))
    else:
        code = args.handler(args, out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def test_check_prints_version_and_counts():
    code, out, _ = call("knowledge", "check")
    assert code == 0
    assert KB.short_version in out
    assert "contraindication" in out and "seed-text" in out and "marketing" in out


def test_check_reports_a_malformed_file(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(DATA_DIR, data)
    path = data / "zones.toml"
    path.write_text(path.read_text().replace('ru = "Лоб"', 'ru = ""', 1))
    code, _, err = call("knowledge", "check", "--data", str(data))
    assert code == 2
    assert "zones.toml" in err and "zone.forehead" in err and "name.ru" in err


def test_show_prints_an_entry_with_citations():
    code, out, _ = call("knowledge", "show", "ci.pregnancy")
    assert code == 0
    entry = json.loads(out)
    assert entry["id"] == "ci.pregnancy"
    assert entry["file"] == "contraindications.toml"
    assert all("citation" in s for s in entry["sources"])


def test_show_unknown_id_suggests_close_ids():
    code, _, err = call("knowledge", "show", "ci.pregnant")
    assert code == 2
    assert "unknown id" in err


def test_screen_reads_stdin_and_exits_zero_even_on_block():
    request = mutate(clean_request(), "patient.pregnant", True)
    code, out, _ = call("screen", "-", "--today", "2026-03-02", stdin=json.dumps(request))
    assert code == 0
    result = json.loads(out)
    assert result["level"] == "block"
    assert result["knowledge_version"] == KB.version


def test_screen_bad_json_is_exit_2_with_the_field():
    code, out, err = call("screen", "-", stdin='{"patient": {"birth_date": "1990-01-01"}}')
    assert code == 2 and out == ""
    assert "plan" in err


def test_screen_unknown_code_is_exit_2_naming_it():
    request = mutate(clean_request(), "patient.conditions", ["condition.unknown"])
    code, _, err = call("screen", "-", "--today", "2026-03-02", stdin=json.dumps(request))
    assert code == 2
    assert "condition.unknown" in err


def test_screen_with_policy_file():
    request = mutate(
        clean_request(), "patient.medications", [{"classes": ["medclass.anticoagulant"]}]
    )
    code, out, _ = call(
        "screen",
        "-",
        "--today",
        "2026-03-02",
        "--policy",
        str(EXAMPLES / "policy/clinic-policy.json"),
        stdin=json.dumps(request),
    )
    assert code == 0
    assert json.loads(out)["level"] == "warn"


def test_screen_missing_file_is_exit_2():
    code, _, err = call("screen", "/nonexistent/request.json")
    assert code == 2 and "cannot read" in err


def test_screen_bad_date_is_rejected():
    with pytest.raises(SystemExit) as info:
        call("screen", "-", "--today", "02.03.2026")
    assert info.value.code == 2


def test_module_runs_as_a_program():
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "mesoclinic.knowledge_cli",
            "screen",
            str(EXAMPLES / "ok-face-session.json"),
            "--today",
            "2026-03-02",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["level"] == "ok"


def test_the_mesoclinic_command_registers_the_subcommands():
    cli = pytest.importorskip("mesoclinic.cli")
    if not hasattr(cli, "main"):
        pytest.skip("cli.py has no main yet")
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            "from mesoclinic.cli import main; raise SystemExit(main(['knowledge', 'check']))",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "knowledge base OK" in proc.stdout


def test_recognise_prints_each_typed_medicine_with_its_atc_code_and_classes():
    code, out, _ = call("knowledge", "recognise", "Ксарелто 20 мг; Plavix, зелёный чай")
    rows = json.loads(out)
    assert [r["text"] for r in rows] == ["Ксарелто 20 мг", "Plavix", "зелёный чай"]
    assert rows[0]["recognised"][0]["atc"] == ["B01AF01"]
    assert rows[1]["recognised"][0]["classes"] == ["medclass.antiplatelet"]
    assert rows[2]["recognised"] == []
    assert code == 1  # something was not recognised


def test_recognise_conditions_with_icd10():
    code, out, _ = call("knowledge", "recognise", "сахарный диабет", "--kind", "condition")
    assert code == 0
    assert json.loads(out)[0]["recognised"][0]["icd10"] == ["E14.9"]
