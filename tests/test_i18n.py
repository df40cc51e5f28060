"""Every visible string is translated into Russian, and the catalogues are up to date."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "mesoclinic"
CATALOGUES = sorted(PACKAGE.glob("**/locale/ru/LC_MESSAGES/django.po"))


def _messages_module():
    spec = importlib.util.spec_from_file_location("messages", ROOT / "scripts" / "messages.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_app_has_a_russian_catalogue():
    apps = _messages_module().app_dirs(PACKAGE)
    missing = [a.name for a in apps if not (a / "locale/ru/LC_MESSAGES/django.po").exists()]
    assert not missing, f"apps without a Russian catalogue: {missing} (run scripts/messages.py)"


@pytest.mark.parametrize("po", CATALOGUES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_catalogue_has_no_untranslated_or_fuzzy_entries(po):
    proc = subprocess.run(
        ["msgfmt", "--check", "--statistics", "-o", os.devnull, str(po)],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr
    assert "fuzzy" not in proc.stderr, proc.stderr
    assert "untranslated" not in proc.stderr, proc.stderr


def test_every_string_in_code_and_templates_is_in_a_catalogue(tmp_path):
    copy = tmp_path / "mesoclinic"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__", "*.mo"))
    for po in copy.glob("**/locale/ru/LC_MESSAGES/django.po"):
        po.unlink()
    fresh = _messages_module().extract(copy)
    problems = []
    for fresh_po in fresh:
        ours = PACKAGE / fresh_po.relative_to(copy)
        if not ours.exists():
            problems.append(f"{ours.relative_to(ROOT)} is missing")
            continue
        # msgcmp DEF REF fails if a msgid of the fresh extraction (REF) is missing in DEF.
        proc = subprocess.run(
            ["msgcmp", "--use-untranslated", str(ours), str(fresh_po)],
            capture_output=True,
            text=True,
        )
        if proc.returncode != 0:
            problems.append(proc.stderr.replace(str(copy), "src/mesoclinic"))
    assert not problems, "run scripts/messages.py and translate:\n" + "\n".join(problems)


def test_russian_is_served_for_a_russian_user(world):
    from django.test import Client

    from mesoclinic.accounts.services import user_language_set

    user_language_set(user=world.users["owner"], language="ru")
    client = Client()
    client.force_login(world.users["owner"])
    page = client.get("/").content.decode()
    assert 'lang="ru"' in page
    assert "Журнал аудита" in page
    assert "Audit trail" not in page
