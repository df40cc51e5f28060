"""Dates from addresses, forms, files and the API: parsed in one place, within bounds.

A clinic's calendar has no use for the year 1 or 9999, and dates near those edges
overflow as soon as a week is added or a time zone applied. Every date a person or a
client sends is checked against `EARLIEST`..`LATEST` here: a query-string value out
of bounds is a 400 (`date_param`), a form value a field error (`BoundedDateField`),
an API value a 422 (`ApiDate`), a file value a row error (`date_check`).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated

from django import forms
from django.core.exceptions import BadRequest, ValidationError
from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from pydantic import Field

EARLIEST = dt.date(1900, 1, 1)
LATEST = dt.date(2999, 12, 31)

ApiDate = Annotated[dt.date, Field(ge=EARLIEST, le=LATEST)]


class BadDateParam(BadRequest):
    """A date in the address that is malformed or out of bounds; its message is for the user."""


def _out_of_bounds_message() -> str:
    return _("Give a date between %(earliest)s and %(latest)s.") % {
        "earliest": EARLIEST.isoformat(),
        "latest": LATEST.isoformat(),
    }


def date_check(day: dt.date, *, field: str | None = None) -> dt.date:
    """`day` itself, or ValidationError (keyed by `field` if given) when out of bounds."""
    if EARLIEST <= day <= LATEST:
        return day
    message = _out_of_bounds_message()
    raise ValidationError({field: message} if field else message)


def date_param(value: str | None, *, default: dt.date | None = None) -> dt.date | None:
    """A `YYYY-MM-DD` value from the query string; `default` when absent or empty.

    Raises BadDateParam (answered 400 with its message) when the value is not a date
    or is out of bounds: such an address was not made by the application's own links.
    """
    if not value:
        return default
    try:
        day = dt.date.fromisoformat(value.strip())
    except ValueError:
        message = _("%(value)s is not a date like 2026-12-31.") % {"value": value}
        raise BadDateParam(message) from None
    try:
        return date_check(day)
    except ValidationError:
        raise BadDateParam(_out_of_bounds_message()) from None


class BoundedDateField(forms.DateField):
    """A form date field that refuses dates outside `EARLIEST`..`LATEST`."""

    default_error_messages = {
        "out_of_bounds": gettext_lazy("Give a date between %(earliest)s and %(latest)s."),
    }

    def validate(self, value) -> None:
        super().validate(value)
        if value and not (EARLIEST <= value <= LATEST):
            raise ValidationError(
                self.error_messages["out_of_bounds"],
                code="out_of_bounds",
                params={"earliest": EARLIEST.isoformat(), "latest": LATEST.isoformat()},
            )


_ISO_DAY = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")


def iso_days_localised(text: str) -> str:
    """`text` with every ISO day (2026-12-01) written in the active language's short date
    format (01.12.2026, 01/12/2026): the clinical core writes its messages with ISO days,
    people read them in their own format."""

    def local(match: re.Match) -> str:
        try:
            day = dt.date(int(match[1]), int(match[2]), int(match[3]))
        except ValueError:
            return match[0]
        return formats.date_format(day, "SHORT_DATE_FORMAT")

    return _ISO_DAY.sub(local, text)
