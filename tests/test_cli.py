"""The `mesoclinic` command, tested like an API: every command has help and works."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from mesoclinic.cli import build_parser


def commands() -> list[str]:
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    return sorted(sub.choices)


def run(*args: str, stdin: str | None = None, **env: str) -> subprocess.CompletedProcess:
    full_env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DEBUG")}
    full_env.update(env)
    return subprocess.run(
        [sys.executable, "-m", "mesoclinic", *args],
        env=full_env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_required_commands_exist():
    assert {"serve", "demo", "migrate", "createadmin", "knowledge", "screen"} <= set(commands())


@pytest.mark.parametrize("command", commands())
def test_every_command_has_help(command):
    proc = run(command, "--help")
    assert proc.returncode == 0
    assert "usage: mesoclinic" in proc.stdout
    assert len(proc.stdout.strip().splitlines()) >= 3


def test_demo_loads_an_organisation_with_two_clinics_staff_and_patients(tmp_path):
    first = run("demo", "--no-serve", MESOCLINIC_VAR=str(tmp_path))
    assert first.returncode == 0, first.stderr
    assert "Demo data loaded." in first.stdout
    for username in ("owner", "anna", "james", "nina", "maria"):
        assert f"  {username} " in first.stdout
    again = run("demo", "--no-serve", MESOCLINIC_VAR=str(tmp_path))
    assert again.returncode == 0
    assert "already present" in again.stdout
    count = run(
        "manage",
        "shell",
        "-c",
        "from mesoclinic.patients.models import Patient as P; from mesoclinic.accounts.models "
        "import Clinic as C; print(P.objects.count(), C.objects.count(), "
        "P.objects.filter(family_name__regex='[А-Яа-я]').count())",
        MESOCLINIC_VAR=str(tmp_path),
        DEBUG="true",
    )
    assert count.stdout.strip().splitlines()[-1].split() == ["12", "2", "6"]


def test_createadmin_creates_an_owner_and_refuses_a_weak_password(tmp_path):
    env = {"MESOCLINIC_VAR": str(tmp_path), "DEBUG": "true"}
    assert run("migrate", "-v", "0", **env).returncode == 0
    args = [
        "createadmin",
        "--username",
        "boss",
        "--email",
        "boss@example.test",
        "--organisation",
        "Clinic Chain",
        "--clinic",
        "Centre",
        "--time-zone",
        "Europe/Moscow",
        "--password-stdin",
    ]
    weak = run(*args, stdin="123\n", **env)
    assert weak.returncode == 2
    assert "too short" in weak.stderr
    ok = run(*args, stdin="a-long-admin-passphrase\n", **env)
    assert ok.returncode == 0, ok.stderr
    assert "Owner boss of Clinic Chain (Centre) created." in ok.stdout


def test_unknown_command_is_a_usage_error():
    proc = run("frobnicate")
    assert proc.returncode == 2
    assert "invalid choice" in proc.stderr
