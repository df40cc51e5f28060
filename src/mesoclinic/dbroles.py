"""Two PostgreSQL roles: the owner runs migrations, the application runs with DML only.

The role that owns a table may `ALTER TABLE ... DISABLE TRIGGER` or `TRUNCATE` it,
which would undo the database's guarantees (append-only audit log and stock ledger,
immutable signed records). So on PostgreSQL the application connects as a role
that may only SELECT, INSERT, UPDATE and DELETE (row triggers still refuse what they
refuse), and migrations run as the owner through `MIGRATE_DATABASE_URL`.

`mesoclinic dbroles --app-role NAME` prints the grants; `--apply` runs them as the
owner. Default privileges make the tables later migrations create readable and
writable by the application role too.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys

MIGRATE_URL = "MIGRATE_DATABASE_URL"


def _ident(name: str) -> str:
    """A quoted SQL identifier (role names come from the operator's command line)."""
    return '"' + name.replace('"', '""') + '"'


def dbroles_sql(*, app_role: str, owner: str, database: str, schema: str = "public") -> list[str]:
    """The statements that give `app_role` data access (no DDL, no TRUNCATE) to the schema."""
    app, own, sch = _ident(app_role), _ident(owner), _ident(schema)
    return [
        f"GRANT CONNECT ON DATABASE {_ident(database)} TO {app}",
        f"GRANT USAGE ON SCHEMA {sch} TO {app}",
        f"REVOKE CREATE ON SCHEMA {sch} FROM {app}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {sch} TO {app}",
        f"GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA {sch} TO {app}",
        f"ALTER DEFAULT PRIVILEGES FOR ROLE {own} IN SCHEMA {sch} "
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {app}",
        f"ALTER DEFAULT PRIVILEGES FOR ROLE {own} IN SCHEMA {sch} "
        f"GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO {app}",
    ]


def migrate_as_owner(verbosity: int = 1) -> None:
    """Run the migrations in a child process connected through MIGRATE_DATABASE_URL."""
    env = dict(os.environ)
    env["DATABASE_URL"] = env.pop(MIGRATE_URL)
    proc = subprocess.run(
        [sys.executable, "-m", "mesoclinic", "migrate", "-v", str(verbosity)], env=env
    )
    if proc.returncode != 0:
        from mesoclinic.cli import CliError

        raise CliError(f"migrations as the owner ({MIGRATE_URL}) failed")


def cmd_dbroles(args: argparse.Namespace) -> int:
    """Print (or, with --apply, run as the owner) the grants of the application role."""
    from mesoclinic.cli import CliError, _database_error, _setup_django

    if os.environ.get(MIGRATE_URL):
        # The grants are given by the owner: connect as the owner for this command.
        os.environ["DATABASE_URL"] = os.environ[MIGRATE_URL]
    _setup_django()
    from django.db import DatabaseError, connection

    if connection.vendor != "postgresql":
        raise CliError("database roles are a PostgreSQL feature; SQLite has no roles")
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_user, current_database()")
            owner, database = cursor.fetchone()
            statements = dbroles_sql(app_role=args.app_role, owner=owner, database=database)
            if args.apply:
                cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [args.app_role])
                if cursor.fetchone() is None:
                    raise CliError(
                        f"no role {args.app_role!r}: create it first, e.g. "
                        f"CREATE ROLE {_ident(args.app_role)} LOGIN PASSWORD '...'"
                    )
                for sql in statements:
                    cursor.execute(sql)
    except DatabaseError as exc:
        raise _database_error(exc) from exc
    for sql in statements:
        print(sql + ";")
    if args.apply:
        print(f"-- applied as {owner} to {database}")
    return 0


def register(add) -> None:
    """Add `mesoclinic dbroles` to the command's parser (`add` is build_parser's helper)."""
    p = add(
        "dbroles",
        cmd_dbroles,
        "PostgreSQL: grant an application role data access only (migrations stay with the owner).",
    )
    p.add_argument("--app-role", required=True, help="the role the application connects as")
    p.add_argument("--apply", action="store_true", help="run the grants (as the owner)")
