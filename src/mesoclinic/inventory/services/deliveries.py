"""Delivery CSV import: validation first, then all rows or none."""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from mesoclinic.accounts.models import User
from mesoclinic.accounts.scope import Scope, scope_for
from mesoclinic.audit.models import AuditAction
from mesoclinic.audit.services import audit_record
from mesoclinic.inventory.models import (
    DeliveryImport,
    ImportStatus,
    Product,
    ul_to_ml,
)
from mesoclinic.inventory.services.common import _clinic_of, ml_to_ul
from mesoclinic.inventory.services.lots import _lot_errors, lot_receive, normalise_lot_number
from mesoclinic.jobs.services import job_progress
from mesoclinic.web.dates import EARLIEST, LATEST

IMPORT_REQUIRED = ("product", "lot_number", "expiry_date", "quantity_ml")


IMPORT_OPTIONAL = ("supplier", "received_on")


@dataclass(frozen=True)
class ImportRow:
    row: int
    product: Product
    lot_number: str
    expiry_date: dt.date
    quantity_ml: Decimal
    supplier: str
    received_on: dt.date


def _parse_date(text: str) -> dt.date | None:
    text = text.strip()
    for fmt in ("%Y-%m-%d", "%d.%m.%Y", "%d/%m/%Y"):
        try:
            day = dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
        # A date outside the bounds every page uses is a typing error, not a delivery.
        return day if EARLIEST <= day <= LATEST else None
    return None


def delivery_validate(
    *, scope: Scope, content: str, today: dt.date, progress=None
) -> tuple[list[ImportRow], list[dict]]:
    """Check every row of a delivery CSV; returns the good rows and one error per row and field.

    Rows are numbered as a spreadsheet shows them (the header is row 1). `progress`,
    if given, is called with the number of rows checked so far.
    """
    errors: list[dict] = []
    reader = csv.DictReader(io.StringIO(content.lstrip("\ufeff")))
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    missing = [c for c in IMPORT_REQUIRED if c not in header]
    unknown = [c for c in header if c not in IMPORT_REQUIRED + IMPORT_OPTIONAL]
    if missing or unknown:
        if missing:
            errors.append(
                {
                    "row": 1,
                    "field": ", ".join(missing),
                    "message": _("Missing column(s): %(cols)s. Expected columns: %(expected)s.")
                    % {
                        "cols": ", ".join(missing),
                        "expected": ", ".join(IMPORT_REQUIRED + IMPORT_OPTIONAL),
                    },
                }
            )
        if unknown:
            errors.append(
                {
                    "row": 1,
                    "field": ", ".join(unknown),
                    "message": _("Unknown column(s): %(cols)s.") % {"cols": ", ".join(unknown)},
                }
            )
        return [], errors
    reader.fieldnames = header
    products = list(Product.objects.filter(organisation_id=scope.organisation_id, active=True))
    by_code = {p.code.lower(): p for p in products if p.code}
    by_name = {p.name.lower(): p for p in products}
    good: list[ImportRow] = []
    seen: dict[tuple[int, str], int] = {}
    rows = list(reader)
    if not rows:
        errors.append({"row": 2, "field": "", "message": _("The file has no delivery rows.")})
    for index, raw in enumerate(rows):
        row_no = index + 2
        row_errors: list[dict] = []

        def err(field: str, message: str, row_no=row_no, row_errors=row_errors) -> None:
            row_errors.append({"row": row_no, "field": field, "message": message})

        if None in raw:
            err("", _("This row has more values than the header has columns."))
        values = {k: (raw.get(k) or "").strip() for k in header}
        key = values["product"].lower()
        product = by_code.get(key) or by_name.get(key)
        if product is None:
            err(
                "product",
                _("Unknown product %(value)s: use a product code or name from the catalogue.")
                % {"value": repr(values["product"])},
            )
        lot_number = normalise_lot_number(values["lot_number"])
        expiry = _parse_date(values["expiry_date"])
        if expiry is None:
            err(
                "expiry_date",
                _("%(value)s is not a date; write it as YYYY-MM-DD.")
                % {"value": repr(values["expiry_date"])},
            )
        received_on = today
        if values.get("received_on"):
            received_on = _parse_date(values["received_on"])
            if received_on is None:
                err(
                    "received_on",
                    _("%(value)s is not a date; write it as YYYY-MM-DD.")
                    % {"value": repr(values["received_on"])},
                )
        quantity = None
        try:
            quantity_ul = ml_to_ul(values["quantity_ml"])
            quantity = ul_to_ml(quantity_ul)
        except ValidationError as exc:
            message = exc.message_dict["quantity_ml"][0]
            if values["quantity_ml"].lstrip().startswith("-"):
                message = _("%(value)s is negative; a delivery adds stock.") % {
                    "value": repr(values["quantity_ml"])
                }
            err("quantity_ml", message)
        if received_on is not None:
            field_errors = _lot_errors(
                product=product,
                lot_number=lot_number,
                expiry_date=expiry,
                received_on=received_on,
                today=today,
            )
            for field, message in field_errors.items():
                err(field, message)
        if product is not None and lot_number:
            first = seen.get((product.pk, lot_number))
            if first is not None:
                err(
                    "lot_number",
                    _("Lot %(lot)s of this product is already in row %(row)s of this file.")
                    % {"lot": lot_number, "row": first},
                )
            else:
                seen[(product.pk, lot_number)] = row_no
        if row_errors:
            errors.extend(row_errors)
        else:
            good.append(
                ImportRow(
                    row=row_no,
                    product=product,
                    lot_number=lot_number,
                    expiry_date=expiry,
                    quantity_ml=quantity,
                    supplier=values.get("supplier", ""),
                    received_on=received_on,
                )
            )
        if progress is not None:
            progress(index + 1)
    return good, errors


@transaction.atomic
def delivery_import_create(
    *, scope: Scope, filename: str, content: str, today: dt.date, request=None
) -> DeliveryImport:
    """Store an uploaded delivery CSV to be checked and imported (by `delivery_import_run`)."""
    scope.require("inventory.manage")
    clinic = _clinic_of(scope)
    job = DeliveryImport.objects.create(
        organisation_id=scope.organisation_id,
        clinic=clinic,
        created_by_id=scope.user_id,
        filename=filename[:200],
        content=content,
        today=today,
        total_rows=max(0, len(content.strip().splitlines()) - 1),
    )
    audit_record(action=AuditAction.CREATE, request=request, scope=scope, obj=job)
    return job


def delivery_import_run(*, import_id: int, now: dt.datetime | None = None) -> DeliveryImport:
    """Check every row, then import all of them in one transaction, or none.

    Runs as a background task (or in-process): progress is saved as rows are
    checked, so the upload page's progress bar can follow it. Any error in any row
    means no lot is created and no stock changes.
    """
    job = DeliveryImport.objects.get(pk=import_id)
    user = User.objects.get(pk=job.created_by_id)
    scope = scope_for(user, clinic_id=job.clinic_id)
    now = now or timezone.now()
    DeliveryImport.objects.filter(pk=job.pk).update(status=ImportStatus.RUNNING)
    step = max(1, job.total_rows // 50)

    def progress(done: int) -> None:
        if done % step == 0 or done == job.total_rows:
            DeliveryImport.objects.filter(pk=job.pk).update(processed_rows=done)
            job_progress(done / job.total_rows if job.total_rows else 1.0)

    # Messages of the report are written in the language of whoever uploaded the file.
    with translation.override(user.language or "en"):
        errors, created = _delivery_apply(job=job, scope=scope, now=now, progress=progress)
    DeliveryImport.objects.filter(pk=job.pk).update(
        status=ImportStatus.FAILED if errors else ImportStatus.DONE,
        processed_rows=job.total_rows,
        errors=errors,
        lots_created=created,
        finished_at=timezone.now(),
    )
    job.refresh_from_db()
    return job


def _delivery_apply(*, job, scope, now, progress) -> tuple[list[dict], int]:
    good, errors = delivery_validate(
        scope=scope, content=job.content, today=job.today, progress=progress
    )
    created = 0
    if not errors:
        try:
            with transaction.atomic():
                for row in good:
                    try:
                        lot_receive(
                            scope=scope,
                            product=row.product,
                            lot_number=row.lot_number,
                            expiry_date=row.expiry_date,
                            received_on=row.received_on,
                            quantity_ml=row.quantity_ml,
                            supplier=row.supplier,
                            now=now,
                        )
                    except ValidationError as exc:
                        for field, messages in exc.message_dict.items():
                            errors.extend(
                                {"row": row.row, "field": field, "message": m} for m in messages
                            )
                        raise
                    created += 1
        except ValidationError:
            created = 0
    return errors, created
