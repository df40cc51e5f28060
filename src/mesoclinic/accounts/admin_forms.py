"""Forms of the owners' administration pages: clinics, opening hours, closures, staff."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from mesoclinic.accounts.models import ClinicLocale, Jurisdiction, Role, Weekday
from mesoclinic.web.dates import BoundedDateField
from mesoclinic.web.forms import DateInput

DATE = DateInput()


def _time_zones() -> list[tuple[str, str]]:
    return [(z, z) for z in sorted(zoneinfo.available_timezones()) if "/" in z or z == "UTC"]


class ClinicForm(forms.Form):
    name = forms.CharField(label=_("Clinic name"), max_length=200)
    address = forms.CharField(label=_("Address"), max_length=400, required=False)
    phone = forms.CharField(label=_("Phone"), max_length=40, required=False)
    time_zone = forms.ChoiceField(
        label=_("Time zone"),
        help_text=_("Every time the clinic's staff see is in this zone."),
    )
    locale = forms.ChoiceField(
        label=_("Language and formats"),
        choices=ClinicLocale.choices,
        help_text=_("The default language of its new patients and of their documents."),
    )
    jurisdiction = forms.ChoiceField(
        label=_("Law on medical records"),
        choices=[("", _("As the language and formats suggest")), *Jurisdiction.choices],
        required=False,
        help_text=_(
            "The country whose rules set how long the clinic's records are kept after a "
            "patient asks for erasure."
        ),
    )

    def __init__(self, *args, booked_ahead: int = 0, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["time_zone"].choices = _time_zones()
        if booked_ahead:
            # Shown only to an owner editing a clinic with appointments ahead: they keep
            # their moment, so their clock times in the clinic move with the zone.
            self.fields["confirm_zone_change"] = forms.BooleanField(
                label=_("Change the time zone although appointments are booked"),
                help_text=_(
                    "%(count)s appointments are booked from now on. They keep their moment "
                    "in time, so their clock times in the clinic will change with the zone."
                )
                % {"count": booked_ahead},
                required=False,
            )


# One row per weekday: up to two periods, so a day may be split by a break; a day with
# no times is closed.
PERIODS = (
    ("opens", "closes", _("%(day)s: opens"), _("%(day)s: closes")),
    ("opens2", "closes2", _("%(day)s: opens after a break"), _("%(day)s: closes after a break")),
)


class OpeningHoursForm(forms.Form):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for day in Weekday:
            for start, end, start_label, end_label in PERIODS:
                for name, label in ((start, start_label), (end, end_label)):
                    self.fields[f"d{day.value}_{name}"] = forms.TimeField(
                        label=label % {"day": day.label},
                        required=False,
                        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
                    )

    @staticmethod
    def initial_from(rows) -> dict[str, dt.time]:
        """Initial values from a clinic's OpeningHours rows."""
        initial: dict[str, dt.time] = {}
        seen: dict[int, int] = {}
        for row in sorted(rows, key=lambda r: (r.weekday, r.opens)):
            n = seen.get(row.weekday, 0)
            seen[row.weekday] = n + 1
            if n < len(PERIODS):
                initial[f"d{row.weekday}_{PERIODS[n][0]}"] = row.opens
                initial[f"d{row.weekday}_{PERIODS[n][1]}"] = row.closes
        return initial

    def rows(self) -> list[dict]:
        """The fields grouped by weekday, for the template's table."""
        return [
            {
                "day": day,
                "fields": [
                    self[f"d{day.value}_{name}"]
                    for start, end, *_l in PERIODS
                    for name in (start, end)
                ],
            }
            for day in Weekday
        ]

    def clean(self):
        data = super().clean()
        for day in Weekday:
            for start, end, *_labels in PERIODS:
                a, b = data.get(f"d{day.value}_{start}"), data.get(f"d{day.value}_{end}")
                if (a is None) != (b is None) and not self.errors.get(f"d{day.value}_{start}"):
                    self.add_error(
                        f"d{day.value}_{end}" if b is None else f"d{day.value}_{start}",
                        _("%(day)s: give both times or neither.") % {"day": day.label},
                    )
                elif a is not None and b is not None and not a < b:
                    self.add_error(
                        f"d{day.value}_{end}",
                        _("%(day)s: the clinic must open before it closes.") % {"day": day.label},
                    )
        return data

    def hours(self) -> dict[int, list[tuple[dt.time, dt.time]]]:
        out: dict[int, list[tuple[dt.time, dt.time]]] = {}
        for day in Weekday:
            spans = []
            for start, end, *_labels in PERIODS:
                a = self.cleaned_data.get(f"d{day.value}_{start}")
                b = self.cleaned_data.get(f"d{day.value}_{end}")
                if a is not None and b is not None:
                    spans.append((a, b))
            out[day.value] = spans
        return out


class ClosureForm(forms.Form):
    first_day = BoundedDateField(label=_("Closed from"), widget=DATE)
    last_day = BoundedDateField(
        label=_("Closed until"),
        widget=DATE,
        required=False,
        help_text=_("Leave empty to close a single day."),
    )
    name = forms.CharField(label=_("Why (shown in the calendar)"), max_length=100, required=False)


class PasswordPairForm(forms.Form):
    password1 = forms.CharField(
        label=_("Password"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password2 = forms.CharField(
        label=_("Password again"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password_required = True

    def clean(self):
        data = super().clean()
        if self.password_required:
            for name in ("password1", "password2"):
                if not data.get(name) and name not in self.errors:
                    self.add_error(name, _("Type the password in both boxes."))
        if data.get("password1") and data.get("password1") != data.get("password2"):
            self.add_error("password2", _("The two passwords differ."))
        return data


class StaffAddForm(PasswordPairForm):
    INVITE, PASSWORD = "invite", "password"

    display_name = forms.CharField(label=_("Full name"), max_length=200)
    username = forms.CharField(
        label=_("Username"),
        max_length=150,
        help_text=_("What they type to sign in, e.g. anna.petrova."),
    )
    email = forms.EmailField(label=_("E-mail"))
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)
    clinic = forms.ModelChoiceField(queryset=None, label=_("Clinic"))
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)
    access = forms.ChoiceField(
        label=_("How they get their password"),
        choices=[
            (INVITE, _("E-mail them a link to set it")),
            (PASSWORD, _("Set it now and tell them")),
        ],
        initial=INVITE,
        widget=forms.RadioSelect,
    )
    field_order = [
        "display_name",
        "username",
        "email",
        "language",
        "clinic",
        "role",
        "access",
        "password1",
        "password2",
    ]

    def __init__(self, *args, clinics, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["clinic"].queryset = clinics
        self.fields["password1"].help_text = _("Only if you set it now.")

    def clean(self):
        self.password_required = self.data.get(self.add_prefix("access")) == self.PASSWORD
        return super().clean()


class RoleForm(forms.Form):
    clinic = forms.ModelChoiceField(queryset=None, label=_("Clinic"))
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)

    def __init__(self, *args, clinics, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["clinic"].queryset = clinics


class CredentialForm(forms.Form):
    technique_id = forms.ChoiceField(label=_("Technique"))
    trained_on = BoundedDateField(label=_("Date of training"), widget=DATE)
    evidence = forms.CharField(
        label=_("Evidence of training"),
        max_length=300,
        help_text=_("The course, certificate or supervised sessions that qualify them."),
    )

    def __init__(self, *args, techniques, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["technique_id"].choices = techniques
