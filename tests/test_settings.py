"""Configuration from the environment: bad values get one clear message; deploy check is clean."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def run_python(code: str, **env: str) -> subprocess.CompletedProcess:
    full_env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DEBUG")}
    full_env.update(DJANGO_SETTINGS_MODULE="mesoclinic.settings", **env)
    return subprocess.run(
        [sys.executable, "-c", code], env=full_env, capture_output=True, text=True, timeout=120
    )


def run_cli(*args: str, **env: str) -> subprocess.CompletedProcess:
    full_env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DEBUG")}
    full_env.update(env)
    return subprocess.run(
        [sys.executable, "-m", "mesoclinic", *args],
        env=full_env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_missing_secret_key_in_production_names_the_variable(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "SECRET_KEY"}
    env.update(DJANGO_SETTINGS_MODULE="mesoclinic.settings", DEBUG="false")
    env.pop("DATABASE_URL", None)
    proc = subprocess.run(
        [sys.executable, "-m", "mesoclinic", "migrate"], env=env, capture_output=True, text=True
    )
    assert proc.returncode == 2
    assert "SECRET_KEY is not set" in proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize(
    "url",
    ["not-a-url", "mysql2://x@y/z", "postgres//missing-colon"],
)
def test_malformed_database_url_is_named(url, tmp_path):
    proc = run_cli("migrate", DATABASE_URL=url, MESOCLINIC_VAR=str(tmp_path))
    assert proc.returncode == 2
    assert "DATABASE_URL" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_unreachable_database_gets_one_clear_message(tmp_path):
    proc = run_cli(
        "migrate",
        DATABASE_URL="postgres://postgres@127.0.0.1:1/nowhere",
        MESOCLINIC_VAR=str(tmp_path),
    )
    assert proc.returncode == 2
    assert "cannot use the database 127.0.0.1:1/nowhere" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_non_boolean_debug_is_refused(tmp_path):
    proc = run_cli("migrate", DEBUG="maybe", MESOCLINIC_VAR=str(tmp_path))
    assert proc.returncode == 2
    assert "DEBUG='maybe' is not a yes/no value" in proc.stderr


def test_check_deploy_is_clean_with_production_settings(tmp_path):
    proc = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        env={
            "PATH": os.environ["PATH"],
            "SECRET_KEY": "a-production-like-secret-" + "q7Zp2" * 10,
            "ALLOWED_HOSTS": "clinic.example.org",
            "DEBUG": "false",
            "MESOCLINIC_VAR": str(tmp_path),
        },
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "no issues" in proc.stdout


def test_sqlite_database_lives_under_var_by_default(tmp_path):
    proc = run_python(
        "import django; django.setup(); from django.conf import settings; "
        "print(settings.DATABASES['default']['NAME'])",
        MESOCLINIC_VAR=str(tmp_path),
    )
    assert proc.stdout.strip() == str(tmp_path / "mesoclinic.sqlite3")
