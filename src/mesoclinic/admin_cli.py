"""CLI subcommands for scripted installs: clinics and staff.

``cli.py`` calls ``register(subparsers)``; this module adds::

    mesoclinic clinic add --name NAME --time-zone ZONE [--hours SPEC ...] ...
    mesoclinic clinic list
    mesoclinic staff add --username U --email E --clinic NAME --role ROLE [--invite --url URL]
    mesoclinic staff list
    mesoclinic staff deactivate --username U
    mesoclinic staff role --username U --clinic NAME --role ROLE [--remove]

They call the same services as the owners' pages, as the operator (audited as "command
line"). Errors a user can fix exit 2 with one line on stderr.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import sys
from typing import Any

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DEFAULT_HOURS = ("mon-fri 09:00-19:00", "sat 10:00-16:00")
ROLES = ("owner", "practitioner", "nurse", "receptionist")
LOCALES = ("en-gb", "en-us", "ru")
HOURS_HELP = (
    "opening hours, repeatable: 'mon-fri 09:00-19:00', 'sat 10:00-16:00', "
    "a split day 'wed 09:00-13:00,14:00-19:00'; days not given are closed"
)

_SPEC = re.compile(r"^\s*([a-z]{3})(?:-([a-z]{3}))?\s+(.+?)\s*$")
_SPAN = re.compile(r"^(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})$")


class HoursSpecError(ValueError):
    """An opening-hours spec the CLI cannot read; the message says what is wrong."""


def hours_parse(specs: list[str] | tuple[str, ...]) -> dict[int, list[tuple[dt.time, dt.time]]]:
    """Read specs like 'mon-fri 09:00-19:00' into weekday (0 = Monday) -> spans.

    A later spec for the same day replaces an earlier one; 'closed' closes the days.
    """
    hours: dict[int, list[tuple[dt.time, dt.time]]] = {}
    for spec in specs:
        match = _SPEC.match(spec.lower())
        if (
            not match
            or match.group(1) not in WEEKDAYS
            or (match.group(2) and match.group(2) not in WEEKDAYS)
        ):
            raise HoursSpecError(
                f"--hours {spec!r}: start with a day or range of days (mon..sun), "
                "e.g. 'mon-fri 09:00-19:00'"
            )
        first = WEEKDAYS.index(match.group(1))
        last = WEEKDAYS.index(match.group(2) or match.group(1))
        if last < first:
            raise HoursSpecError(f"--hours {spec!r}: the range of days runs backwards")
        spans = []
        if match.group(3) != "closed":
            for part in match.group(3).split(","):
                m = _SPAN.match(part.strip())
                try:
                    if not m:
                        raise ValueError
                    a = dt.time(int(m.group(1)), int(m.group(2)))
                    b = dt.time(int(m.group(3)), int(m.group(4)))
                except ValueError as exc:
                    raise HoursSpecError(
                        f"--hours {spec!r}: {part.strip()!r} is not a period like 09:00-19:00"
                    ) from exc
                spans.append((a, b))
        for day in range(first, last + 1):
            hours[day] = list(spans)
    return hours


def _fail(message: str):
    from mesoclinic.cli import CliError

    return CliError(message)


def _errors(exc) -> Any:
    return _fail("; ".join(exc.messages))


def _organisation(name: str | None):
    from mesoclinic.accounts.models import Organisation

    if name:
        org = Organisation.objects.filter(name=name).first()
        if org is None:
            raise _fail(f"no organisation named {name!r}")
        return org
    orgs = list(Organisation.objects.all()[:2])
    if len(orgs) != 1:
        raise _fail(
            "there is no organisation yet: run createadmin first"
            if not orgs
            else "there are several organisations: name one with --organisation"
        )
    return orgs[0]


def _clinic(org, name: str):
    clinic = org.clinics.filter(name=name).first()
    if clinic is None:
        raise _fail(f"{org} has no clinic named {name!r}")
    return clinic


def _user(username: str):
    from mesoclinic.accounts.models import User

    user = User.objects.filter(username=username).first()
    if user is None:
        raise _fail(f"no user {username!r}")
    return user


def _hours_text(rows) -> str:
    by_day: dict[int, list[str]] = {}
    for r in rows:
        by_day.setdefault(r.weekday, []).append(f"{r.opens:%H:%M}-{r.closes:%H:%M}")
    return "; ".join(f"{WEEKDAYS[d]} {','.join(s)}" for d, s in sorted(by_day.items())) or (
        "no opening hours"
    )


def clinic_add_command(args: argparse.Namespace) -> int:
    from django.core.exceptions import ValidationError

    from mesoclinic.accounts.clinic_services import clinic_add

    try:
        hours = hours_parse(args.hours or DEFAULT_HOURS)
    except HoursSpecError as exc:
        raise _fail(str(exc)) from exc
    org = _organisation(args.organisation)
    try:
        clinic = clinic_add(
            scope=None,
            organisation=org,
            name=args.name,
            time_zone=args.time_zone,
            address=args.address,
            phone=args.phone,
            locale=args.locale,
            jurisdiction=args.jurisdiction,
            hours=hours,
        )
    except ValidationError as exc:
        raise _errors(exc) from exc
    print(
        f"Clinic {clinic} of {org} added ({clinic.time_zone}): "
        f"{_hours_text(clinic.opening_hours.all())}."
    )
    return 0


def clinic_list_command(args: argparse.Namespace) -> int:
    org = _organisation(args.organisation)
    for clinic in org.clinics.prefetch_related("opening_hours"):
        print(
            f"{clinic.name}\t{clinic.time_zone}\t{clinic.locale}\t{clinic.jurisdiction}\t"
            f"{_hours_text(clinic.opening_hours.all())}"
        )
    return 0


def _password(args: argparse.Namespace) -> str:
    import getpass

    if args.password_stdin:
        return sys.stdin.readline().rstrip("\n")
    return os.environ.get("MESOCLINIC_STAFF_PASSWORD") or getpass.getpass("Password: ")


def staff_add_command(args: argparse.Namespace) -> int:
    from django.core.exceptions import ValidationError

    from mesoclinic.accounts.models import Role
    from mesoclinic.accounts.staff_services import staff_add

    if args.invite and not args.url:
        raise _fail("--invite needs --url, the address staff open Mesoclinic at")
    org = _organisation(args.organisation)
    clinic = _clinic(org, args.clinic)
    password = None if args.invite else _password(args)
    try:
        user = staff_add(
            scope=None,
            organisation=org,
            username=args.username,
            email=args.email,
            display_name=args.name or "",
            language=args.language,
            memberships=[(clinic, Role(args.role))],
            password=password,
            invite_base_url=args.url,
        )
    except ValidationError as exc:
        raise _errors(exc) from exc
    how = f"an invitation went to {user.email}" if args.invite else "they can sign in"
    print(f"{user.username} is {args.role} at {clinic}; {how}.")
    return 0


def staff_list_command(args: argparse.Namespace) -> int:
    from mesoclinic.accounts.models import User

    org = _organisation(args.organisation)
    users = User.objects.filter(organisation=org).prefetch_related("memberships__clinic")
    for user in users.order_by("username"):
        roles = ", ".join(
            f"{m.role}@{m.clinic.name}"
            for m in sorted(user.memberships.all(), key=lambda m: (m.clinic.name, m.role))
        )
        if not user.is_active:
            status = "deactivated"
        elif not user.has_usable_password():
            status = "invited"
        else:
            status = "active"
        print(f"{user.username}\t{user.email}\t{status}\t{roles}")
    return 0


def staff_deactivate_command(args: argparse.Namespace) -> int:
    from django.core.exceptions import ValidationError

    from mesoclinic.accounts.staff_services import staff_deactivate

    user = _user(args.username)
    try:
        staff_deactivate(scope=None, user=user)
    except ValidationError as exc:
        raise _errors(exc) from exc
    print(f"{user.username} can no longer sign in; their records stay attributed to them.")
    return 0


def staff_role_command(args: argparse.Namespace) -> int:
    from django.core.exceptions import ValidationError

    from mesoclinic.accounts.models import Membership
    from mesoclinic.accounts.staff_services import staff_role_add, staff_role_remove

    user = _user(args.username)
    if user.organisation is None:
        raise _fail(f"{user.username} belongs to no organisation")
    clinic = _clinic(user.organisation, args.clinic)
    try:
        if args.remove:
            membership = Membership.objects.filter(user=user, clinic=clinic, role=args.role).first()
            if membership is None:
                raise _fail(f"{user.username} is not {args.role} at {clinic}")
            staff_role_remove(scope=None, membership=membership)
            print(f"{user.username} is no longer {args.role} at {clinic}.")
        else:
            staff_role_add(scope=None, user=user, clinic=clinic, role=args.role)
            print(f"{user.username} is now {args.role} at {clinic}.")
    except ValidationError as exc:
        raise _errors(exc) from exc
    return 0


def _with_django(func):
    def run(args: argparse.Namespace) -> int:
        from mesoclinic.cli import _database_error, _setup_django

        _setup_django()
        from django.db import DatabaseError

        try:
            return func(args)
        except DatabaseError as exc:
            raise _database_error(exc) from exc

    run.__doc__ = func.__doc__
    return run


def register(subparsers: Any) -> None:
    """Add the `clinic` and `staff` subcommands to cli.py's subparsers."""

    def add(group, name: str, func, help_: str, *, organisation: bool = True):
        p = group.add_parser(name, help=help_, description=help_)
        p.set_defaults(func=_with_django(func))
        if organisation:
            p.add_argument(
                "--organisation", help="the organisation's name (needed when there are several)"
            )
        return p

    clinic = subparsers.add_parser(
        "clinic", help="Add and list clinics.", description="Add and list clinics."
    )
    csub = clinic.add_subparsers(dest="clinic_command", metavar="ACTION", required=True)
    p = add(csub, "add", clinic_add_command, "Add a clinic with its time zone and hours.")
    p.add_argument("--name", required=True, help="the clinic's name")
    p.add_argument("--time-zone", required=True, help="e.g. Europe/Moscow")
    p.add_argument("--address", default="")
    p.add_argument("--phone", default="")
    p.add_argument("--locale", default="en-gb", choices=LOCALES, help="default en-gb")
    p.add_argument(
        "--jurisdiction",
        default="",
        choices=("RU", "GB", "US", "other"),
        help="whose law on medical records applies (default: as the locale suggests)",
    )
    p.add_argument(
        "--hours", action="append", help=HOURS_HELP + f" (default: {', '.join(DEFAULT_HOURS)})"
    )
    add(csub, "list", clinic_list_command, "List the clinics with their time zones and hours.")

    staff = subparsers.add_parser(
        "staff",
        help="Add, list and deactivate staff; give them roles.",
        description="Add, list and deactivate staff; give them roles.",
    )
    ssub = staff.add_subparsers(dest="staff_command", metavar="ACTION", required=True)
    p = add(ssub, "add", staff_add_command, "Add a member of staff with a role in one clinic.")
    p.add_argument("--username", required=True)
    p.add_argument("--email", required=True)
    p.add_argument("--name", help="their full name as staff and patients see it")
    p.add_argument("--clinic", required=True, help="the clinic's name")
    p.add_argument("--role", required=True, choices=ROLES)
    p.add_argument("--language", default="en", choices=("en", "ru"), help="default en")
    p.add_argument(
        "--invite",
        action="store_true",
        help="e-mail them a one-time link to set their password (needs --url)",
    )
    p.add_argument("--url", help="the address staff open Mesoclinic at, for the invitation link")
    p.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from standard input (else MESOCLINIC_STAFF_PASSWORD or a prompt)",
    )
    add(ssub, "list", staff_list_command, "List staff: username, e-mail, status, roles.")
    p = add(
        ssub,
        "deactivate",
        staff_deactivate_command,
        "Stop a member of staff signing in.",
        organisation=False,
    )
    p.add_argument("--username", required=True)
    p = add(
        ssub,
        "role",
        staff_role_command,
        "Give (or with --remove take away) a clinic role.",
        organisation=False,
    )
    p.add_argument("--username", required=True)
    p.add_argument("--clinic", required=True, help="the clinic's name")
    p.add_argument("--role", required=True, choices=ROLES)
    p.add_argument("--remove", action="store_true", help="take the role away")
