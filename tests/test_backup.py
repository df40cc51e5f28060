# ruff: noqa: F811  (fixtures are imported, then requested by name)
"""`mesoclinic backup` and `mesoclinic restore` against the test database (SQLite and PostgreSQL).

The commands run for real: the database is copied with SQLite's backup API or pg_dump,
restored into an empty database, and compared with the manifest.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from mesoclinic.backup import MANIFEST, _ExtraDatabase
from mesoclinic.cli import main
from tests.charting.factories import NOW, charted, checked_in, make_day, row
from tests.scheduling.conftest import active_plan, clinic_setup  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def clinic_data(world, active_plan, settings, tmp_path):
    """A signed session (stock used, appointment done), a signed consent and an uploaded file."""
    from mesoclinic.charting.services import session_sign

    settings.MEDIA_ROOT = tmp_path / "media"
    (settings.MEDIA_ROOT / "photos").mkdir(parents=True)
    (settings.MEDIA_ROOT / "photos" / "before.jpg").write_bytes(b"\xff\xd8 photo \xff\xd9")
    day = make_day(world, active_plan)
    session = session_sign(scope=day.scope, session=charted(day), now=NOW)
    return {"day": day, "session": session}


def _backup(tmp_path, capsys) -> Path:
    assert main(["backup", "--output", str(tmp_path / "backups")]) == 0
    out = capsys.readouterr().out
    assert "Backup written to" in out and "1 signed sessions" in out
    (folder,) = (tmp_path / "backups").iterdir()
    return folder


def test_a_backup_restores_into_an_empty_database_with_audit_log_and_signed_records_intact(
    clinic_data, tmp_path, capsys
):
    folder = _backup(tmp_path, capsys)
    manifest = json.loads((folder / MANIFEST).read_text())
    assert set(manifest["files"]) == {
        "media.tar",
        "database.sqlite3" if connection.vendor == "sqlite" else "database.dump",
    }
    assert manifest["media"].keys() == {"photos/before.jpg"}
    assert manifest["summary"]["signed"]["consents"] == 1
    assert manifest["summary"]["audit"]["events"] > 0
    assert manifest["summary"]["stock_balances_not_matching_movements"] == []
    assert main(["restore", str(folder), "--verify"]) == 0
    assert "verified" in capsys.readouterr().out


def test_verify_refuses_a_damaged_file_and_a_backup_whose_content_differs(
    clinic_data, tmp_path, capsys
):
    folder = _backup(tmp_path, capsys)
    manifest_path = folder / MANIFEST
    manifest = json.loads(manifest_path.read_text())
    # A record the backup claims but the database file does not hold: the audit log differs.
    manifest["summary"]["audit"]["events"] += 1
    manifest_path.write_text(json.dumps(manifest))
    assert main(["restore", str(folder), "--verify"]) == 2
    assert "audit log" in capsys.readouterr().err
    media = folder / "media.tar"
    media.write_bytes(media.read_bytes()[:-1] + b"x")
    assert main(["restore", str(folder), "--verify"]) == 2
    assert "checksum of media.tar does not match" in capsys.readouterr().err


def _database_url(name: str) -> str:
    if connection.vendor == "sqlite":
        return f"sqlite:///{name}"
    s = connection.settings_dict
    password = f":{s['PASSWORD']}" if s.get("PASSWORD") else ""
    return f"postgres://{s['USER']}{password}@{s['HOST']}:{s['PORT'] or 5432}/{name}"


def _restore_cli(folder: Path, database: str, media: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "MEDIA_ROOT")}
    env.update(
        DATABASE_URL=_database_url(database),
        MEDIA_ROOT=str(media),
        DEBUG="true",
        MESOCLINIC_VAR=str(media.parent / "var"),
    )
    return subprocess.run(
        [sys.executable, "-m", "mesoclinic", "restore", str(folder)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_restore_fills_an_empty_database_and_media_folder_and_refuses_a_full_one(
    clinic_data, tmp_path, capsys
):
    from mesoclinic.charting.models import TreatmentSession
    from mesoclinic.consultations.models import Consent

    folder = _backup(tmp_path, capsys)
    media = tmp_path / "restored" / "media"
    if connection.vendor == "sqlite":
        target = str(tmp_path / "restored.sqlite3")
    else:
        target = f"{connection.settings_dict['NAME']}_restore"
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{target}"')
            cursor.execute(f'CREATE DATABASE "{target}"')
    try:
        proc = _restore_cli(folder, target, media)
        assert proc.returncode == 0, proc.stderr
        assert "Restored" in proc.stdout
        assert (media / "photos" / "before.jpg").read_bytes() == b"\xff\xd8 photo \xff\xd9"
        with _ExtraDatabase(target) as alias:
            signed = TreatmentSession.objects.using(alias).get(pk=clinic_data["session"].pk)
            assert signed.status == "signed" and signed.appointment_status == "done"
            assert Consent.objects.using(alias).count() == 1
        again = _restore_cli(folder, target, media)
        assert again.returncode == 2 and "not empty" in again.stderr
    finally:
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(f'DROP DATABASE IF EXISTS "{target}"')


def _lift_chart_point_triggers() -> None:
    """Let UPDATEs of signed chart points through, for the caller's transaction only: the
    damage a backup must detect is done outside the application."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("DROP TRIGGER charting_point_no_update")
        else:
            cursor.execute(
                "ALTER TABLE charting_chartpoint DISABLE TRIGGER charting_point_immutable"
            )


def test_a_changed_chart_point_of_a_signed_session_is_detected(world, active_plan):
    from django.db import transaction

    from mesoclinic.backup import integrity_summary, summary_problems
    from mesoclinic.charting.models import ChartPoint
    from mesoclinic.charting.services import PointForm, chart_save, session_sign

    day = make_day(world, active_plan)
    session = checked_in(day)
    session = chart_save(
        scope=day.scope,
        session=session,
        rows=[row("zone.cheeks", lot=day.lot, volume="")],
        points=[PointForm(row="0", canvas="face", x="0.3", y="0.5", volume="0.4", depth="1")],
        expected_version=session.version,
        save_token="",
        now=NOW,
    )
    session_sign(scope=day.scope, session=session, now=NOW)
    recorded = integrity_summary()
    assert recorded["signed"]["points"] == 1
    assert summary_problems(recorded, integrity_summary()) == []

    with transaction.atomic():
        _lift_chart_point_triggers()
        ChartPoint.objects.update(x="0.3100")
        problems = summary_problems(recorded, integrity_summary())
        transaction.set_rollback(True)
    assert problems == [
        "signed sessions, entries, chart points, addenda or consents differ from the backup's"
    ]

    # A manifest written before points were recorded is compared on what it recorded.
    older = json.loads(json.dumps(recorded))
    del older["signed"]["points"], older["signed"]["points_sha256"]
    assert summary_problems(older, integrity_summary()) == []
