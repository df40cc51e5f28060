"""The `mesoclinic` command: the front door for clinicians' IT and operators.

Every sub-command has --help. Errors a user can cause (bad configuration, an
unreachable database, a bad file) print one line naming what to fix and exit 2.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from collections.abc import Callable, Sequence

EXIT_USAGE = 2


class CliError(Exception):
    """An error the user can fix; its message is printed as is."""


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mesoclinic.settings")
    from django.core.exceptions import ImproperlyConfigured

    try:
        import django

        django.setup()
    except ImproperlyConfigured as exc:
        raise CliError(f"configuration: {exc}") from exc


def _database_error(exc: Exception) -> CliError:
    from django.conf import settings

    db = settings.DATABASES["default"]
    where = (
        db.get("NAME")
        if db["ENGINE"].endswith("sqlite3")
        else f"{db.get('HOST') or 'localhost'}:{db.get('PORT') or 5432}/{db.get('NAME')}"
    )
    first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return CliError(
        f"cannot use the database {where} ({first_line}). Check DATABASE_URL and that the "
        "server is running and reachable."
    )


def _migrate(verbosity: int = 1) -> None:
    from django.core.management import call_command
    from django.db import DatabaseError

    if os.environ.get("MIGRATE_DATABASE_URL"):  # the owner role migrates (docs: dbroles)
        from mesoclinic.dbroles import migrate_as_owner

        return migrate_as_owner(verbosity)

    try:
        call_command("migrate", interactive=False, verbosity=verbosity)
    except DatabaseError as exc:
        raise _database_error(exc) from exc


def _prepare_static() -> None:
    from django.conf import settings
    from django.core.management import call_command

    if settings.STATIC_MANIFEST:
        call_command("collectstatic", interactive=False, verbosity=0)


def cmd_migrate(args: argparse.Namespace) -> int:
    _setup_django()
    _migrate(verbosity=args.verbosity)
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    _setup_django()
    if args.migrate:
        _migrate(verbosity=0)
    _prepare_static()
    argv = [
        sys.executable,
        "-m",
        "gunicorn",
        "mesoclinic.wsgi:application",
        "--bind",
        args.bind,
        "--workers",
        str(args.workers),
        "--threads",
        str(args.threads),
        "--access-logfile",
        "-",
        "--forwarded-allow-ips",
        os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1"),
    ]
    print(f"Mesoclinic is serving at http://{args.bind}/  (Ctrl+C stops it)", flush=True)
    os.execv(sys.executable, argv)  # noqa: S606  (replaces this process with gunicorn)
    return 0  # pragma: no cover  (execv does not return)


def cmd_worker(args: argparse.Namespace) -> int:
    _setup_django()
    if args.migrate:
        _migrate(verbosity=0)
    from django.core.management import call_command
    from django.core.management.base import CommandError
    from django.db import DatabaseError

    options = {
        "queue_name": args.queue,
        "interval": args.interval,
        "batch": args.batch,
        "max_tasks": args.max_tasks,
        "requeue_after": args.requeue_after,
        "keep_days": args.keep_days,
        "verbosity": args.verbosity,
    }
    if not args.batch:
        print(f"Mesoclinic worker running queue(s) {args.queue} (Ctrl+C stops it)", flush=True)
    try:
        call_command("jobs_worker", **options)
    except CommandError as exc:
        raise CliError(str(exc)) from exc
    except DatabaseError as exc:
        raise _database_error(exc) from exc
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    os.environ.setdefault("DEBUG", "true")
    _setup_django()
    _migrate(verbosity=0)
    from mesoclinic.demo import DEMO_PASSWORD, DEMO_USERS, demo_load

    created = demo_load()
    print("Demo data " + ("loaded." if created else "already present."))
    print(f"\nDemo logins (password for all: {DEMO_PASSWORD}):")
    for user in DEMO_USERS:
        print(f"  {user['username']:<10} {user['role_label']}")
    if args.no_serve:
        return 0
    args.migrate = False
    return cmd_serve(args)


def cmd_createadmin(args: argparse.Namespace) -> int:
    _setup_django()
    from django.core.exceptions import ValidationError
    from django.db import DatabaseError, transaction

    from mesoclinic.accounts.clinic_services import admin_audit
    from mesoclinic.accounts.models import Organisation, Role
    from mesoclinic.accounts.services import clinic_create, organisation_create, user_create
    from mesoclinic.admin_cli import DEFAULT_HOURS, HoursSpecError, hours_parse
    from mesoclinic.audit.models import AuditAction

    try:
        hours = {} if args.no_hours else hours_parse(args.hours or DEFAULT_HOURS)
    except HoursSpecError as exc:
        raise CliError(str(exc)) from exc

    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = os.environ.get("MESOCLINIC_ADMIN_PASSWORD") or getpass.getpass("Password: ")
    from django.contrib.auth.password_validation import validate_password

    try:
        validate_password(password)
        with transaction.atomic():
            org = Organisation.objects.filter(name=args.organisation).first()
            if org is None:
                org = organisation_create(name=args.organisation)
            # A new clinic opens with default hours, so bookings work right after install.
            clinic = org.clinics.filter(name=args.clinic).first()
            if clinic is None:
                clinic = clinic_create(
                    organisation=org, name=args.clinic, time_zone=args.time_zone, hours=hours
                )
                admin_audit(
                    action=AuditAction.CREATE,
                    scope=None,
                    organisation_id=org.pk,
                    obj=clinic,
                    detail={"time_zone": clinic.time_zone},
                )
            owner = user_create(
                organisation=org,
                username=args.username,
                email=args.email,
                password=password,
                language=args.language,
                memberships=[(clinic, Role.OWNER)],
            )
            admin_audit(
                action=AuditAction.CREATE,
                scope=None,
                organisation_id=org.pk,
                obj=owner,
                detail={"roles": [[clinic.pk, Role.OWNER.value]]},
            )
    except ValidationError as exc:
        raise CliError("; ".join(exc.messages)) from exc
    except DatabaseError as exc:
        raise _database_error(exc) from exc
    print(f"Owner {args.username} of {args.organisation} ({args.clinic}) created.")
    return 0


def cmd_reminders(args: argparse.Namespace) -> int:
    import datetime as dt

    _setup_django()
    from mesoclinic.outcomes.tasks import followup_reminders_enqueue
    from mesoclinic.scheduling.tasks import reminders_enqueue

    try:
        day = dt.date.fromisoformat(args.date) if args.date else None
    except ValueError as exc:
        raise CliError(f"--date {args.date!r} is not a date like 2026-12-01") from exc
    if day is None:
        # Each clinic's own tomorrow: clinics in different time zones differ at night.
        queued = reminders_enqueue(now=dt.datetime.now(dt.UTC))
        print(f"{len(queued)} reminder(s) for each clinic's tomorrow queued.")
    else:
        queued = reminders_enqueue(day=day)
        print(f"{len(queued)} reminder(s) for {day.isoformat()} queued.")
    # Follow-ups fall due on a day (a course's end, its six-month visit): one e-mail each.
    followups = followup_reminders_enqueue(day=day or dt.datetime.now(dt.UTC).date())
    print(f"{len(followups)} follow-up reminder(s) queued.")
    return 0


def cmd_apitoken(args: argparse.Namespace) -> int:
    _setup_django()
    if args.list:
        return _apitoken_list(args)
    if args.revoke:
        return _apitoken_revoke(args)
    from django.core.exceptions import ValidationError

    from mesoclinic.accounts.models import Clinic, User
    from mesoclinic.api.services import api_token_create

    missing = [f"--{n}" for n in ("username", "clinic", "name") if not getattr(args, n)]
    if missing:
        raise CliError(f"creating a token needs {', '.join(missing)} (or use --list / --revoke)")
    user = User.objects.filter(username=args.username).first()
    if user is None:
        raise CliError(f"no user {args.username!r}")
    clinic = Clinic.objects.filter(organisation_id=user.organisation_id, name=args.clinic).first()
    if clinic is None:
        raise CliError(f"{args.username} has no clinic named {args.clinic!r}")
    try:
        _token, raw = api_token_create(user=user, clinic=clinic, name=args.name)
    except ValidationError as exc:
        raise CliError("; ".join(exc.messages)) from exc
    print("API token (shown once; store it in your integration's secret store):")
    print(raw)
    return 0


def _apitoken_list(args: argparse.Namespace) -> int:
    from mesoclinic.api.models import ApiToken

    tokens = ApiToken.objects.select_related("user", "clinic", "organisation").order_by(
        "organisation__name", "user__username", "created_at"
    )
    if args.username:
        tokens = tokens.filter(user__username=args.username)
    print("prefix        user            clinic          name / status")
    for t in tokens:
        status = f"revoked {t.revoked_at:%Y-%m-%d %H:%M} UTC" if t.revoked_at else "active"
        used = f"last used {t.last_used_at:%Y-%m-%d}" if t.last_used_at else "never used"
        print(
            f"{t.prefix:<13} {t.user.username:<15} {t.clinic.name:<15} {t.name} — {status}, {used}"
        )
    return 0


def _apitoken_revoke(args: argparse.Namespace) -> int:
    from django.utils import timezone

    from mesoclinic.api.models import ApiToken
    from mesoclinic.api.services import api_token_withdraw

    prefix = args.revoke.removeprefix("mc_").split("_")[0]
    token = ApiToken.objects.filter(prefix=prefix).first()
    if token is None:
        raise CliError(f"no API token beginning mc_{prefix} (see mesoclinic apitoken --list)")
    if token.revoked_at is not None:
        print(f"Token {prefix} ({token.name}) was already revoked.")
        return 0
    api_token_withdraw(token=token, now=timezone.now(), reason="revoked by the operator")
    print(f"Token {prefix} ({token.name}, {token.user.username}) revoked.")
    return 0


def cmd_plan(args: argparse.Namespace) -> int:
    import datetime as dt

    _setup_django()
    from mesoclinic.accounts.models import Clinic, Membership
    from mesoclinic.accounts.scope import scope_for
    from mesoclinic.scheduling.clinic_plans import clinic_plan
    from mesoclinic.scheduling.courses import message_text

    clinic = Clinic.objects.filter(name=args.clinic).first()
    if clinic is None:
        raise CliError(f"no clinic named {args.clinic!r}")
    owner = (
        Membership.objects.filter(organisation_id=clinic.organisation_id, role="owner")
        .select_related("user")
        .first()
    )
    if owner is None:
        raise CliError(f"{clinic} has no owner to plan as")
    scope = scope_for(owner.user, clinic_id=clinic.pk)
    result = clinic_plan(
        scope=scope,
        clinic=clinic,
        today=dt.datetime.now(clinic.zone).date(),
        weeks=args.weeks,
        time_limit_s=args.time_limit,
    )
    print(
        f"{len(result.plans)} unbooked course(s), {result.total_sessions} session(s) to place, "
        f"upper bound {result.bound}"
    )
    print(
        f"CP-SAT placed {len(result.cpsat.placements)} in {result.cpsat.solve_time_s:.1f} s; "
        f"first free slot placed {len(result.first_fit.placements)}"
    )
    for u in result.cpsat.unplaced:
        print(f"  course {u.course_id} session {u.session_index}: {message_text(u)}")
    print("Nothing was booked: book courses from the Clinic planner page.")
    return 0


def cmd_manage(args: argparse.Namespace) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mesoclinic.settings")
    from django.core.management import execute_from_command_line

    _setup_django()
    execute_from_command_line(["mesoclinic manage", *args.rest])
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mesoclinic",
        description="Mesoclinic: software for clinics that perform mesotherapy.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def add(name: str, func: Callable[[argparse.Namespace], int], help_: str):
        p = sub.add_parser(name, help=help_, description=help_)
        p.set_defaults(func=func)
        return p

    def add_serve_options(p: argparse.ArgumentParser) -> None:
        p.add_argument("--bind", default="127.0.0.1:8000", help="address:port to listen on")
        p.add_argument("--workers", type=int, default=2, help="worker processes (default 2)")
        p.add_argument("--threads", type=int, default=4, help="threads per worker (default 4)")

    p = add("serve", cmd_serve, "Serve Mesoclinic with gunicorn (production server).")
    add_serve_options(p)
    p.add_argument("--no-migrate", dest="migrate", action="store_false", help="skip migrations")

    p = add(
        "worker",
        cmd_worker,
        "Run background work (reminders, imports, e-mails, planner runs) from the database "
        "queue; run one or more beside the app servers.",
    )
    p.add_argument("--queue", default="default", help="comma-separated queues (default: default)")
    p.add_argument(
        "--interval", type=float, default=1.0, help="seconds between looks when idle (default 1)"
    )
    p.add_argument("--batch", action="store_true", help="run what is due, then stop (for cron)")
    p.add_argument("--max-tasks", type=int, default=None, help="stop after this many tasks")
    p.add_argument(
        "--requeue-after",
        type=int,
        default=None,
        metavar="MINUTES",
        help="at start, queue again tasks a stopped worker left running longer than this",
    )
    p.add_argument(
        "--keep-days",
        type=int,
        default=90,
        help="delete finished work older than this many days (default 90; 0 keeps all)",
    )
    p.add_argument("--migrate", action="store_true", help="migrate the database first")
    p.add_argument("-v", "--verbosity", type=int, default=1, choices=[0, 1, 2, 3])

    p = add("demo", cmd_demo, "Migrate, load demo data (idempotent) and serve, with DEBUG on.")
    add_serve_options(p)
    p.add_argument("--no-serve", action="store_true", help="load the data and stop")

    p = add("migrate", cmd_migrate, "Create or update the database schema.")
    p.add_argument("-v", "--verbosity", type=int, default=1, choices=[0, 1, 2, 3])

    p = add("createadmin", cmd_createadmin, "Create an organisation owner (and the organisation).")
    p.add_argument("--username", required=True)
    p.add_argument("--email", required=True)
    p.add_argument("--organisation", required=True, help="organisation name (created if new)")
    p.add_argument("--clinic", required=True, help="first clinic name (created if new)")
    p.add_argument("--time-zone", default="UTC", help="the clinic's time zone, e.g. Europe/Moscow")
    p.add_argument(
        "--hours",
        action="append",
        help="the new clinic's opening hours, repeatable: 'mon-fri 09:00-19:00', "
        "'wed 09:00-13:00,14:00-19:00'; other days closed "
        "(default: mon-fri 09:00-19:00 and sat 10:00-16:00)",
    )
    p.add_argument("--no-hours", action="store_true", help="create the clinic with no hours")
    p.add_argument("--language", default="en", choices=("en", "ru"), help="the owner's language")
    p.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from standard input (else MESOCLINIC_ADMIN_PASSWORD or a prompt)",
    )

    p = add("reminders", cmd_reminders, "E-mail patients a reminder of the next day's visits.")
    p.add_argument("--date", help="the day of the appointments (default: tomorrow), YYYY-MM-DD")

    p = add(
        "apitoken",
        cmd_apitoken,
        "Create an API token acting as a user in one clinic; list or revoke tokens.",
    )
    p.add_argument("--username", help="the user the token acts as (with --list: only theirs)")
    p.add_argument("--clinic", help="the clinic's name")
    p.add_argument("--name", help="what uses the token, e.g. 'booking website'")
    action = p.add_mutually_exclusive_group()
    action.add_argument("--list", action="store_true", help="list tokens instead of creating one")
    action.add_argument("--revoke", metavar="PREFIX", help="revoke the token beginning with PREFIX")

    p = add("plan", cmd_plan, "Plan a clinic's unbooked courses with CP-SAT (a dry run).")
    p.add_argument("--clinic", required=True, help="the clinic's name")
    p.add_argument("--weeks", type=int, default=16, help="planning horizon (default 16)")
    p.add_argument("--time-limit", type=float, default=60.0, help="seconds (default 60)")

    from mesoclinic import backup, dbroles

    dbroles.register(add)
    backup.register(add)
    from mesoclinic.interop import cli as interop_cli

    interop_cli.register(add)

    p = add("manage", cmd_manage, "Run a Django management command, e.g. 'check --deploy'.")
    p.add_argument("rest", nargs=argparse.REMAINDER)

    from mesoclinic import admin_cli

    admin_cli.register(sub)

    try:
        from mesoclinic import knowledge_cli
    except ImportError:  # pragma: no cover  (the knowledge base ships with the package)
        knowledge_cli = None
    if knowledge_cli is not None:
        knowledge_cli.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except CliError as exc:
        print(f"mesoclinic: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
