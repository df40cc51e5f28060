"""`mesoclinic backup` and `mesoclinic restore`: the database and uploaded files, checked.

A backup is a folder holding the database (SQLite's online backup API, or `pg_dump`
in custom format taken in the same snapshot as the figures below), `media.tar` (every
file under MEDIA_ROOT) and `manifest.json`: the SHA-256 of each file, the row count of
every table, the applied migrations, and digests of the audit log and of the signed
records (sessions, their entries, the entries' points and addenda, consents).

`restore --verify` checks the checksums, restores into a new, empty scratch database,
and compares what it finds there with the manifest (and every consent's text with its
stored hash, every stock balance with the sum of its movements); it changes nothing.
`restore` without --verify restores into the configured database, which must be empty
unless --force is given; PostgreSQL restores in one transaction, and the media folder
is replaced only after the database restored and checked.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from pathlib import Path

FORMAT = 1
MANIFEST = "manifest.json"
MEDIA_TAR = "media.tar"
DB_FILES = {"sqlite": "database.sqlite3", "postgresql": "database.dump"}
_CHUNK = 1 << 20


class BackupError(Exception):
    """A backup that cannot be made, read or restored; the message says why."""


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _rows_digest(rows) -> str:
    digest = hashlib.sha256()
    for row in rows:
        digest.update(json.dumps(row, sort_keys=True, default=str).encode())
        digest.update(b"\n")
    return digest.hexdigest()


# --- what a database holds: the figures a backup records and a restore must match ---


def integrity_summary(alias: str = "default") -> dict:
    """Row counts, migrations, audit and signed-record digests, stock consistency of `alias`."""
    from django.apps import apps
    from django.db import connections
    from django.db.migrations.recorder import MigrationRecorder
    from django.db.models import Sum

    from mesoclinic.audit.models import AuditEvent
    from mesoclinic.charting.models import Addendum, ChartEntry, ChartPoint, TreatmentSession
    from mesoclinic.consultations.consent import text_sha256
    from mesoclinic.consultations.models import Consent
    from mesoclinic.inventory.models import StockBalance, StockMovement

    tables = {}
    for model in apps.get_models():
        if model._meta.managed and not model._meta.proxy:
            tables[model._meta.db_table] = model._default_manager.using(alias).count()
    migrations = sorted(
        f"{app}.{name}"
        for app, name in MigrationRecorder.Migration.objects.using(alias).values_list("app", "name")
    )
    audit = AuditEvent.objects.using(alias).order_by("id")
    signed = TreatmentSession.objects.using(alias).filter(status="signed").order_by("id")
    entries = ChartEntry.objects.using(alias).filter(session__status="signed").order_by("id")
    points = ChartPoint.objects.using(alias).filter(session__status="signed").order_by("id")
    addenda = Addendum.objects.using(alias).order_by("id")
    consents = Consent.objects.using(alias).order_by("id")
    bad_consents = [
        pk
        for pk, text, stored in consents.values_list("id", "text", "text_sha256").iterator()
        if text_sha256(text) != stored
    ]
    moved = {
        (row["lot_id"], row["clinic_id"]): row["total"]
        for row in StockMovement.objects.using(alias)
        .values("lot_id", "clinic_id")
        .annotate(total=Sum("quantity_ul"))
    }
    stock_mismatches = []
    for lot_id, clinic_id, quantity in StockBalance.objects.using(alias).values_list(
        "lot_id", "clinic_id", "quantity_ul"
    ):
        if moved.pop((lot_id, clinic_id), 0) != quantity:
            stock_mismatches.append(f"lot {lot_id} at clinic {clinic_id}")
    stock_mismatches += [f"lot {lot} at clinic {clinic}" for (lot, clinic), n in moved.items() if n]
    summary = {
        "tables": tables,
        "migrations": migrations,
        "audit": {
            "events": audit.count(),
            "sha256": _rows_digest(audit.values_list().iterator(chunk_size=5000)),
        },
        "signed": {
            "sessions": signed.count(),
            "entries": entries.count(),
            "addenda": addenda.count(),
            "consents": consents.count(),
            "sha256": _rows_digest(
                [("session", *r) for r in signed.values_list()]
                + [("entry", *r) for r in entries.values_list()]
                + [("addendum", *r) for r in addenda.values_list()]
                + [("consent", *r) for r in consents.values_list()]
            ),
            # Digested apart, so a backup made before points were recorded still verifies
            # on what it recorded (see summary_problems).
            "points": points.count(),
            "points_sha256": _rows_digest(points.values_list().iterator(chunk_size=5000)),
        },
        "consents_not_matching_their_hash": bad_consents,
        "stock_balances_not_matching_movements": stock_mismatches,
    }
    if connections[alias].vendor == "sqlite":
        with connections[alias].cursor() as cursor:
            cursor.execute("PRAGMA integrity_check")
            summary["sqlite_integrity"] = cursor.fetchone()[0]
    return summary


def summary_problems(expected: dict, found: dict) -> list[str]:
    """What differs between the manifest's figures and a restored database's (empty: intact)."""
    problems = []
    for table, count in sorted(expected["tables"].items()):
        if found["tables"].get(table) != count:
            problems.append(
                f"table {table}: {found['tables'].get(table)} rows, the backup had {count}"
            )
    if found["migrations"] != expected["migrations"]:
        problems.append("the applied migrations differ from the backup's")
    if found["audit"] != expected["audit"]:
        problems.append(
            f"audit log: {found['audit']['events']} events, the backup had "
            f"{expected['audit']['events']}, or their content differs"
        )
    # An older manifest has no points: compare what it recorded.
    if {k: found["signed"].get(k) for k in expected["signed"]} != expected["signed"]:
        problems.append(
            "signed sessions, entries, chart points, addenda or consents differ from the backup's"
        )
    if found["consents_not_matching_their_hash"]:
        bad = ", ".join(str(pk) for pk in found["consents_not_matching_their_hash"])
        problems.append(f"consents whose text no longer matches its hash: {bad}")
    if found["stock_balances_not_matching_movements"]:
        problems.append(
            "stock balances that differ from the sum of their movements: "
            + ", ".join(found["stock_balances_not_matching_movements"])
        )
    if found.get("sqlite_integrity", "ok") != "ok":
        problems.append(f"SQLite integrity check: {found['sqlite_integrity']}")
    return problems


class _ExtraDatabase:
    """A second Django connection to another database of the same server (or SQLite file).

    Registered as a connection only (not in the DATABASES setting), for this thread.
    """

    def __init__(self, name: str) -> None:
        from django.db import connections
        from django.db.utils import load_backend

        default = connections["default"]
        settings_dict = {**default.settings_dict, "NAME": name}
        if default.vendor == "sqlite":
            # Read the copy as it is: no switch to WAL, no writes.
            settings_dict["OPTIONS"] = {"init_command": "PRAGMA query_only=ON;"}
        self.alias = f"backup_{os.getpid()}_{id(self)}"
        backend = load_backend(settings_dict["ENGINE"])
        self.wrapper = backend.DatabaseWrapper(settings_dict, self.alias)
        connections[self.alias] = self.wrapper

    def __enter__(self) -> str:
        return self.alias

    def __exit__(self, *exc) -> None:
        from django.db import connections

        self.wrapper.close()
        del connections[self.alias]


# --- PostgreSQL tools ---


def _pg(tool: str, settings_dict: dict, *args: str, dbname: str | None = None) -> None:
    env = dict(os.environ)
    if settings_dict.get("PASSWORD"):
        env["PGPASSWORD"] = str(settings_dict["PASSWORD"])
    command = [tool, "--no-password"]
    for flag, key in (("--host", "HOST"), ("--port", "PORT"), ("--username", "USER")):
        if settings_dict.get(key):
            command += [flag, str(settings_dict[key])]
    command += [*args, "--dbname", dbname or settings_dict["NAME"]]
    if shutil.which(tool) is None:
        raise BackupError(f"{tool} is not installed (Debian: apt-get install postgresql-client)")
    proc = subprocess.run(command, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        first = (proc.stderr.strip().splitlines() or [f"exit code {proc.returncode}"])[0]
        raise BackupError(f"{tool} failed: {first}")


def _pg_execute(sql: str) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql)


def _pg_is_empty(alias: str = "default") -> bool:
    from django.db import connections

    with connections[alias].cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_tables WHERE schemaname = current_schema()")
        return cursor.fetchone()[0] == 0


def _sqlite_is_empty(path: Path) -> bool:
    if not path.exists() or path.stat().st_size == 0:
        return True
    with sqlite3.connect(path) as db:
        return (
            db.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()[0] == 0
        )


def _sqlite_copy(source: Path, target: Path, *, standalone: bool = False) -> None:
    """Copy a SQLite database with the online backup API (consistent while others write).

    `standalone`: the copy is one self-contained file (rollback journal, not WAL).
    """
    src = sqlite3.connect(source)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)
        if standalone:
            dst.execute("PRAGMA journal_mode=DELETE")
    finally:
        dst.close()
        src.close()


# --- backup ---


def _media_tar(media_root: Path, target: Path) -> dict[str, str]:
    files = {}
    with tarfile.open(target, "w") as tar:
        if media_root.is_dir():
            for path in sorted(p for p in media_root.rglob("*") if p.is_file()):
                rel = path.relative_to(media_root).as_posix()
                files[rel] = _sha256(path)
                tar.add(path, arcname=rel, recursive=False)
    return files


def backup_create(*, output: Path, now: dt.datetime, include_media: bool = True) -> Path:
    """Write a backup folder under `output`; returns its path. Nothing in the database changes."""
    from django.conf import settings
    from django.db import connection, transaction

    folder = output / f"mesoclinic-{now:%Y%m%d-%H%M%S}"
    if folder.exists():
        raise BackupError(f"{folder} already exists")
    folder.mkdir(parents=True)
    vendor = connection.vendor
    db_file = folder / DB_FILES[vendor]
    try:
        if vendor == "sqlite":
            connection.close()
            _sqlite_copy(Path(connection.settings_dict["NAME"]), db_file, standalone=True)
            # The figures come from the copy itself, so they describe exactly what it holds.
            with _ExtraDatabase(str(db_file)) as alias:
                summary = integrity_summary(alias)
        else:
            with transaction.atomic():
                with connection.cursor() as cursor:
                    cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                    cursor.execute("SELECT pg_export_snapshot()")
                    snapshot = cursor.fetchone()[0]
                # pg_dump reads the same snapshot the figures are computed in.
                _pg(
                    "pg_dump",
                    connection.settings_dict,
                    "--format=custom",
                    f"--snapshot={snapshot}",
                    "--file",
                    str(db_file),
                )
                summary = integrity_summary()
        media = _media_tar(Path(settings.MEDIA_ROOT), folder / MEDIA_TAR) if include_media else {}
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    files = {p.name: {"sha256": _sha256(p), "bytes": p.stat().st_size} for p in folder.iterdir()}
    manifest = {
        "format": FORMAT,
        "created_at": now.isoformat(),
        "database": vendor,
        "files": files,
        "media": media,
        "summary": summary,
    }
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True))
    return folder


# --- restore ---


def backup_read(path: Path) -> dict:
    """The manifest of the backup at `path`, after checking every file's checksum."""
    try:
        manifest = json.loads((path / MANIFEST).read_text())
    except FileNotFoundError as exc:
        raise BackupError(f"{path} is not a Mesoclinic backup (no {MANIFEST})") from exc
    except (ValueError, OSError) as exc:
        raise BackupError(f"{path / MANIFEST} cannot be read ({exc})") from exc
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{path} has backup format {manifest.get('format')!r}, not {FORMAT}")
    for name, expected in manifest["files"].items():
        file = path / name
        if not file.is_file():
            raise BackupError(f"the backup is incomplete: {name} is missing")
        if _sha256(file) != expected["sha256"]:
            raise BackupError(f"the backup is damaged: the checksum of {name} does not match")
    return manifest


def _media_extract(path: Path, manifest: dict, target: Path) -> None:
    tar_path = path / MEDIA_TAR
    target.mkdir(parents=True)
    if tar_path.exists():
        with tarfile.open(tar_path) as tar:
            tar.extractall(target, filter="data")
    for rel, digest in manifest["media"].items():
        file = target / rel
        if not file.is_file() or _sha256(file) != digest:
            raise BackupError(f"the backup is damaged: media file {rel} does not match")


def _restore_database(path: Path, manifest: dict, *, name: str, clean: bool) -> None:
    from django.db import connection

    if manifest["database"] != connection.vendor:
        raise BackupError(
            f"this is a {manifest['database']} backup; the configured database is "
            f"{connection.vendor}"
        )
    db_file = path / DB_FILES[connection.vendor]
    if connection.vendor == "sqlite":
        connection.close()
        _sqlite_copy(db_file, Path(name))
        return
    args = ["--no-owner", "--no-privileges", "--single-transaction", "--exit-on-error"]
    if clean:
        args += ["--clean", "--if-exists"]
    _pg("pg_restore", connection.settings_dict, *args, str(db_file), dbname=name)


def backup_verify(*, path: Path) -> dict:
    """Restore the backup into a new empty scratch database and compare it with the manifest.

    Returns the manifest; raises BackupError naming every difference. The configured
    database and media folder are not touched.
    """
    from django.db import connection

    manifest = backup_read(path)
    with tempfile.TemporaryDirectory(prefix="mesoclinic-verify-") as tmp:
        _media_extract(path, manifest, Path(tmp) / "media")
        if connection.vendor == "sqlite":
            scratch = str(Path(tmp) / "restored.sqlite3")
            _restore_database(path, manifest, name=scratch, clean=False)
            with _ExtraDatabase(scratch) as alias:
                problems = summary_problems(manifest["summary"], integrity_summary(alias))
        else:
            scratch = f"{connection.settings_dict['NAME']}_verify_{os.getpid()}"[:63]
            _pg_execute(f'DROP DATABASE IF EXISTS "{scratch}"')
            _pg_execute(f'CREATE DATABASE "{scratch}"')
            try:
                _restore_database(path, manifest, name=scratch, clean=False)
                with _ExtraDatabase(scratch) as alias:
                    problems = summary_problems(manifest["summary"], integrity_summary(alias))
            finally:
                _pg_execute(f'DROP DATABASE IF EXISTS "{scratch}"')
    if problems:
        raise BackupError("the restored copy differs from the backup: " + "; ".join(problems))
    return manifest


def backup_restore(*, path: Path, force: bool = False) -> dict:
    """Restore the backup into the configured database and MEDIA_ROOT; returns the manifest.

    Refuses a database or media folder that is not empty unless `force`. The database
    is restored first (PostgreSQL: in one transaction) and compared with the manifest;
    the media folder is swapped in only then, so a failure leaves the old one in place.
    """
    from django.conf import settings
    from django.db import connection

    manifest = backup_read(path)
    media_root = Path(settings.MEDIA_ROOT)
    name = connection.settings_dict["NAME"]
    empty = _sqlite_is_empty(Path(name)) if connection.vendor == "sqlite" else _pg_is_empty()
    media_empty = not media_root.exists() or not any(media_root.iterdir())
    if not force and not (empty and media_empty):
        what = "database" if not empty else f"media folder {media_root}"
        raise BackupError(f"the {what} is not empty; restore into an empty one, or use --force")
    media_root.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".media-restore-", dir=media_root.parent))
    try:
        _media_extract(path, manifest, staging / "media")
        _restore_database(path, manifest, name=name, clean=not empty)
        connection.close()
        problems = summary_problems(manifest["summary"], integrity_summary())
        if problems:
            raise BackupError(
                "the restored database differs from the backup: " + "; ".join(problems)
            )
        if media_root.exists():
            shutil.rmtree(media_root)
        (staging / "media").rename(media_root)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return manifest


# --- the commands ---


def _describe(manifest: dict) -> str:
    s = manifest["summary"]
    return (
        f"{s['audit']['events']} audit events, {s['signed']['sessions']} signed sessions, "
        f"{s['signed']['consents']} consents, {len(manifest['media'])} media files"
    )


def _owner_connection() -> None:
    # Backups and restores run as the owner role when the roles are separated (dbroles).
    if os.environ.get("MIGRATE_DATABASE_URL"):
        os.environ["DATABASE_URL"] = os.environ["MIGRATE_DATABASE_URL"]


def cmd_backup(args: argparse.Namespace) -> int:
    from mesoclinic.cli import CliError, _database_error, _setup_django

    _owner_connection()
    _setup_django()
    from django.conf import settings
    from django.db import DatabaseError

    output = Path(args.output) if args.output else Path(settings.VAR_DIR) / "backups"
    try:
        folder = backup_create(
            output=output, now=dt.datetime.now(dt.UTC), include_media=not args.no_media
        )
    except (BackupError, OSError) as exc:
        raise CliError(str(exc)) from exc
    except DatabaseError as exc:
        raise _database_error(exc) from exc
    manifest = json.loads((folder / MANIFEST).read_text())
    print(f"Backup written to {folder} ({_describe(manifest)}).")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    from mesoclinic.cli import CliError, _database_error, _setup_django

    _owner_connection()
    _setup_django()
    from django.db import DatabaseError

    path = Path(args.backup)
    try:
        if args.verify:
            manifest = backup_verify(path=path)
            print(
                f"Backup {path} verified: checksums match; it restores into an empty "
                f"{manifest['database']} database with every table's rows, the audit log "
                f"and the signed records intact, stock balances equal to their movements "
                f"({_describe(manifest)})."
            )
        else:
            manifest = backup_restore(path=path, force=args.force)
            print(f"Restored {path} ({_describe(manifest)}).")
    except (BackupError, OSError) as exc:
        raise CliError(str(exc)) from exc
    except DatabaseError as exc:
        raise _database_error(exc) from exc
    return 0


def register(add) -> None:
    """Add `mesoclinic backup` and `mesoclinic restore` (`add` is build_parser's helper)."""
    p = add("backup", cmd_backup, "Back up the database and uploaded files, with checksums.")
    p.add_argument("--output", help="folder to write into (default: $MESOCLINIC_VAR/backups)")
    p.add_argument("--no-media", action="store_true", help="leave out MEDIA_ROOT")
    p = add("restore", cmd_restore, "Restore a backup, or prove with --verify that it restores.")
    p.add_argument("backup", help="the backup folder (as printed by mesoclinic backup)")
    p.add_argument(
        "--verify",
        action="store_true",
        help="restore into a scratch database and compare; change nothing",
    )
    p.add_argument(
        "--force", action="store_true", help="replace a database or media folder that is not empty"
    )
