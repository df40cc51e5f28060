"""Form helpers shared by every app's views."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError


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
