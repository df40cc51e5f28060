"""`mesoclinic fhir export|import` and `mesoclinic retention` (see docs/cli.md)."""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path


def _user_scope(username: str, clinic_name: str | None = None):
    from mesoclinic.accounts.models import Clinic, User
    from mesoclinic.accounts.scope import scope_for
    from mesoclinic.cli import CliError

    user = User.objects.filter(username=username, is_active=True).first()
    if user is None or user.organisation_id is None:
        raise CliError(f"no active member of staff {username!r}")
    clinic_id = None
    if clinic_name:
        clinic = Clinic.objects.filter(organisation_id=user.organisation_id, name=clinic_name)
        clinic_id = clinic.values_list("pk", flat=True).first()
        if clinic_id is None:
            raise CliError(f"{username} has no clinic named {clinic_name!r}")
    scope = scope_for(user, clinic_id=clinic_id)
    if scope is None:
        raise CliError(
            f"{username} works in no clinic" + (f" {clinic_name!r}" if clinic_name else "")
        )
    return user, scope


def cmd_fhir(args: argparse.Namespace) -> int:
    from mesoclinic.cli import CliError, _setup_django

    _setup_django()
    if args.action == "export":
        return _export(args)
    if args.action == "import":
        return _import(args)
    raise CliError("say export or import")


def _export(args: argparse.Namespace) -> int:
    from django.core.exceptions import PermissionDenied
    from django.http import Http404
    from django.utils import timezone

    from mesoclinic.cli import CliError

    if bool(args.patient) == bool(args.all):
        raise CliError("give --patient ID or --all")
    _user, scope = _user_scope(args.username, args.clinic)
    if args.patient:
        from mesoclinic.interop.services import patient_export
        from mesoclinic.patients.selectors import patient_get

        try:
            patient = patient_get(scope=scope, patient_id=int(args.patient))
            body = patient_export(scope=scope, patient=patient, now=timezone.now(), channel="cli")
        except ValueError as exc:
            raise CliError(f"--patient {args.patient!r} is not a patient number") from exc
        except Http404 as exc:
            raise CliError(f"no patient {args.patient} in {args.username}'s organisation") from exc
        except PermissionDenied as exc:
            raise CliError(f"{args.username} may not see clinical records") from exc
        text = json.dumps(body, ensure_ascii=False, indent=1)
        if args.output:
            Path(args.output).write_text(text, encoding="utf-8")
            print(f"{body['total']} resources written to {args.output}")
        else:
            print(text)
        return 0
    from mesoclinic.interop.models import BulkExport
    from mesoclinic.interop.services import bulk_export_run

    if not args.output:
        raise CliError("--all needs --output FOLDER (one NDJSON file per resource type)")
    try:
        scope.require("clinic.manage")
    except PermissionDenied as exc:
        raise CliError(
            f"only an owner may export the whole organisation, not {args.username}"
        ) from exc
    from mesoclinic.audit.models import AuditAction
    from mesoclinic.audit.services import audit_record

    export = BulkExport.objects.create(
        organisation_id=scope.organisation_id,
        requested_by_id=scope.user_id,
        requested_at=timezone.now(),
    )
    audit_record(
        action=AuditAction.EXPORT, scope=scope, obj=export, detail={"fhir": "$export", "via": "cli"}
    )
    export = bulk_export_run(export.pk)
    folder = Path(args.output)
    folder.mkdir(parents=True, exist_ok=True)
    for f in export.files.all():
        with f.open() as source, (folder / f"{f.resource_type}.ndjson").open("wb") as target:
            shutil.copyfileobj(source, target)
        print(f"{f.resource_type}.ndjson: {f.count}")
    return 0


def _import(args: argparse.Namespace) -> int:
    from django.core.exceptions import PermissionDenied, ValidationError
    from django.utils import timezone

    from mesoclinic.cli import CliError
    from mesoclinic.interop.services import BundleRefused, bundle_import

    _user, scope = _user_scope(args.username, args.clinic)
    try:
        data = Path(args.file).read_bytes()
    except OSError as exc:
        raise CliError(f"cannot read {args.file}: {exc.strerror}") from exc
    try:
        patient = bundle_import(
            scope=scope,
            data=data,
            now=timezone.now(),
            today=timezone.localdate(),
            allow_duplicate=args.allow_duplicate,
        )
    except BundleRefused as exc:
        raise CliError(f"{args.file} refused, nothing imported: {exc}") from exc
    except PermissionDenied as exc:
        raise CliError(f"{args.username} may not record clinical facts") from exc
    except ValidationError as exc:
        raise CliError(f"{args.file} refused, nothing imported: {'; '.join(exc.messages)}") from exc
    facts = patient.imported_facts.count()
    print(f"patient {patient.pk} registered; {facts} reported fact(s) wait for a clinician")
    return 0


def cmd_retention(args: argparse.Namespace) -> int:
    import datetime as dt

    from mesoclinic.cli import CliError, _setup_django

    _setup_django()
    from mesoclinic.interop.services import retention_run

    try:
        now = (
            dt.datetime.combine(dt.date.fromisoformat(args.date), dt.time(12), tzinfo=dt.UTC)
            if args.date
            else dt.datetime.now(dt.UTC)
        )
    except ValueError as exc:
        raise CliError(f"--date {args.date!r} is not a date like 2026-12-01") from exc
    done = retention_run(now=now)
    print(f"{len(done)} patient record(s) anonymised at the end of their retention period.")
    return 0


def register(add) -> None:
    """Add `mesoclinic fhir` and `mesoclinic retention` (`add` is build_parser's helper)."""
    p = add("fhir", cmd_fhir, "Export or import FHIR R4 (a patient's bundle, the organisation).")
    p.add_argument("action", choices=("export", "import"))
    p.add_argument("file", nargs="?", help="import: the Bundle file (JSON)")
    p.add_argument("--username", required=True, help="the member of staff acting (audited)")
    p.add_argument("--clinic", help="the clinic they act in (import: the patient's home clinic)")
    p.add_argument("--patient", help="export: one patient's number, as a Bundle ($everything)")
    p.add_argument("--all", action="store_true", help="export: the organisation, as NDJSON")
    p.add_argument("--output", help="export: a file (--patient) or a folder (--all)")
    p.add_argument(
        "--allow-duplicate",
        action="store_true",
        help="import: register even if a patient with the same name and birth date exists",
    )
    p = add(
        "retention",
        cmd_retention,
        "Anonymise patients whose erasure waited for the end of a retention period (daily).",
    )
    p.add_argument("--date", help="act as of this day (default: today), YYYY-MM-DD")
