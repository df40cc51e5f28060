"""Documentation tests: a setting, command or permission added without docs fails here."""

from __future__ import annotations

import re
from pathlib import Path

from mesoclinic.accounts.scope import PERMISSIONS
from tests.test_cli import commands

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"


def test_every_environment_variable_is_in_the_operator_guide():
    source = (ROOT / "src/mesoclinic/settings.py").read_text()
    names = set(re.findall(r'env(?:_bool|_list)?\(\s*"([A-Z_]+)"', source))
    names |= set(re.findall(r'os\.environ\.get\(\s*"([A-Z_]+)"', source))
    guide = (DOCS / "operator-guide.md").read_text()
    missing = sorted(n for n in names if f"`{n}`" not in guide)
    assert not missing, f"not documented in docs/operator-guide.md: {missing}"


def test_every_cli_command_is_documented():
    text = (DOCS / "cli.md").read_text()
    missing = [c for c in commands() if f"## `mesoclinic {c}" not in text]
    assert not missing, f"not documented in docs/cli.md: {missing}"


def test_every_permission_is_in_the_user_guide():
    guide = (DOCS / "user-guide.md").read_text()
    missing = [p for p in PERMISSIONS if f"`{p}`" not in guide]
    assert not missing, f"not documented in docs/user-guide.md: {missing}"


def test_readme_has_the_two_commands():
    readme = (ROOT / "README.md").read_text()
    assert "scripts/demo.sh" in readme
    assert "scripts/test.sh" in readme
