"""Form helpers shared by every app's views."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError

# What a date field accepts: ISO (what every browser's date picker submits) first, then
# the dates people type in English and Russian.
DATE_INPUT_FORMATS = ["%Y-%m-%d", "%d.%m.%Y", "%d/%m/%Y"]


class DateInput(forms.DateInput):
    """The project's one date input: a browser date picker whose value is always ISO.

    `<input type="date">` accepts only `YYYY-MM-DD`; a value in the page's language
    (`02.12.2026` in Russian) is dropped by the browser and the field shows empty. Only
    dates shown as text are localised.
    """

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class TimeInput(forms.TimeInput):
    """The project's one time input: a browser time picker with an `HH:MM` value."""

    input_type = "time"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%H:%M")


def form_add_validation_error(form: forms.Form, exc: ValidationError) -> None:
    """Show a service's ValidationError on a form: on the field it names, else form-wide.

    Services validate everything (views only parse); their errors name model or argument
    fields, which usually match the form's. Unknown names go to the top of the form so
    that no message is ever lost.
    """
    if hasattr(exc, "error_dict"):
        for name, errors in exc.error_dict.items():
            for error in errors:
                form.add_error(name if name in form.fields else None, error)
    else:
        for error in exc.error_list:
            form.add_error(None, error)
