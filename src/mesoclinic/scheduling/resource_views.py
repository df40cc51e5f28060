"""Owners' page for a clinic's scheduling resources, and a patient's availability."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from mesoclinic.accounts.locales import current_language
from mesoclinic.accounts.models import Weekday
from mesoclinic.audit.models import AuditAction
from mesoclinic.audit.services import audit_record
from mesoclinic.core.knowledge import load_knowledge
from mesoclinic.patients.selectors import patient_get
from mesoclinic.scheduling.models import (
    Absence,
    Credential,
    Device,
    Holiday,
    PatientAvailability,
    PractitionerBreak,
    PractitionerLimit,
    Room,
    RoomFeature,
    WorkingHours,
)
from mesoclinic.scheduling.selectors import clinic_practitioners
from mesoclinic.scheduling.services import (
    absence_create,
    credential_grant,
    device_create,
    holiday_create,
    patient_availability_set,
    practitioner_break_add,
    practitioner_limit_set,
    room_create,
    working_hours_set,
)
from mesoclinic.web.dates import BoundedDateField, date_check
from mesoclinic.web.forms import DateInput, form_add_validation_error


def _techniques(*, needle_free_only: bool = False) -> list[tuple[str, str]]:
    kb = load_knowledge()
    return [
        (tid, t.name.get(current_language()))
        for tid, t in kb.technique.items()
        if not needle_free_only or t.kind == "needle-free"
    ]


class RoomForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Room name"), max_length=100)
    features = forms.MultipleChoiceField(
        label=gettext_lazy("Equipment"),
        choices=RoomFeature.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy(
            "A course that needs one of these is only booked here if it has it."
        ),
    )
    cleaning_buffer_min = forms.IntegerField(
        label=gettext_lazy("Cleaning between sessions (minutes)"),
        min_value=0,
        max_value=120,
        required=False,
    )


class DeviceForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Device name"), max_length=100)
    technique_ids = forms.MultipleChoiceField(
        label=gettext_lazy("Techniques it delivers"), widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["technique_ids"].choices = _techniques(needle_free_only=True)


class CredentialForm(forms.Form):
    practitioner = forms.ModelChoiceField(queryset=None, label=gettext_lazy("Practitioner"))
    technique_id = forms.ChoiceField(label=gettext_lazy("Technique"))

    def __init__(self, *args, practitioners, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["practitioner"].queryset = practitioners
        self.fields["technique_id"].choices = _techniques()


class AbsenceForm(forms.Form):
    practitioner = forms.ModelChoiceField(queryset=None, label=gettext_lazy("Practitioner"))
    first_day = BoundedDateField(label=gettext_lazy("First day"), widget=DateInput())
    last_day = BoundedDateField(label=gettext_lazy("Last day"), widget=DateInput())
    starts = forms.TimeField(
        label=gettext_lazy("Away from (part of the day only)"),
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}),
    )
    ends = forms.TimeField(
        label=gettext_lazy("Away until"),
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}),
        help_text=gettext_lazy("Leave both times empty for whole days."),
    )
    reason = forms.CharField(label=gettext_lazy("Reason"), required=False, max_length=200)

    def __init__(self, *args, practitioners, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["practitioner"].queryset = practitioners


class BreakForm(forms.Form):
    practitioner = forms.ModelChoiceField(queryset=None, label=gettext_lazy("Practitioner"))
    weekday = forms.TypedChoiceField(
        label=gettext_lazy("Weekday"), choices=Weekday.choices, coerce=int
    )
    starts = forms.TimeField(
        label=gettext_lazy("Break from"), widget=forms.TimeInput(attrs={"type": "time"})
    )
    ends = forms.TimeField(
        label=gettext_lazy("Break until"), widget=forms.TimeInput(attrs={"type": "time"})
    )

    def __init__(self, *args, practitioners, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["practitioner"].queryset = practitioners


class LimitForm(forms.Form):
    practitioner = forms.ModelChoiceField(queryset=None, label=gettext_lazy("Practitioner"))
    max_sessions_per_day = forms.IntegerField(
        label=gettext_lazy("At most sessions a day"), required=False, min_value=1, max_value=50
    )
    max_minutes_per_day = forms.IntegerField(
        label=gettext_lazy("At most minutes of sessions a day"),
        required=False,
        min_value=15,
        max_value=24 * 60,
        help_text=gettext_lazy("Leave both empty for no daily maximum."),
    )

    def __init__(self, *args, practitioners, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["practitioner"].queryset = practitioners


class HolidayForm(forms.Form):
    day = BoundedDateField(label=gettext_lazy("Date"), widget=DateInput())
    name = forms.CharField(label=gettext_lazy("Name"), required=False, max_length=100)


class HoursForm(forms.Form):
    practitioner = forms.ModelChoiceField(queryset=None, label=gettext_lazy("Practitioner"))

    def __init__(self, *args, practitioners, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["practitioner"].queryset = practitioners
        for day in Weekday:
            self.fields[f"from_{day.value}"] = forms.TimeField(
                label=f"{day.label}: " + str(gettext_lazy("from")),
                required=False,
                widget=forms.TimeInput(attrs={"type": "time"}),
            )
            self.fields[f"until_{day.value}"] = forms.TimeField(
                label=f"{day.label}: " + str(gettext_lazy("until")),
                required=False,
                widget=forms.TimeInput(attrs={"type": "time"}),
            )

    def hours(self) -> dict[int, tuple[dt.time, dt.time] | None]:
        out: dict[int, tuple[dt.time, dt.time] | None] = {}
        for day in Weekday:
            a = self.cleaned_data.get(f"from_{day.value}")
            b = self.cleaned_data.get(f"until_{day.value}")
            if (a is None) != (b is None):
                raise ValidationError({f"until_{day.value}": _("Give both times or neither.")})
            out[day.value] = (a, b) if a is not None else None
        return out


FORMS = {
    "room": RoomForm,
    "device": DeviceForm,
    "credential": CredentialForm,
    "absence": AbsenceForm,
    "holiday": HolidayForm,
    "hours": HoursForm,
    "break": BreakForm,
    "limit": LimitForm,
}


@login_required
def resources_view(request):
    scope = request.scope
    scope.require("clinic.manage")
    clinic = request.clinic
    practitioners = clinic_practitioners(scope=scope, clinic=clinic)
    needs_practitioners = {"credential", "absence", "hours", "break", "limit"}

    def make(kind, data=None):
        kwargs = {"practitioners": practitioners} if kind in needs_practitioners else {}
        return FORMS[kind](data, prefix=kind, **kwargs)

    forms_ = {kind: make(kind) for kind in FORMS}
    if request.method == "POST":
        kind = request.POST.get("action")
        if kind in FORMS:
            form = forms_[kind] = make(kind, request.POST)
            if form.is_valid():
                d = form.cleaned_data
                try:
                    if kind == "room":
                        room_create(
                            scope=scope,
                            clinic=clinic,
                            name=d["name"],
                            features=d["features"],
                            cleaning_buffer_min=d["cleaning_buffer_min"] or 0,
                            request=request,
                        )
                    elif kind == "break":
                        practitioner_break_add(
                            scope=scope,
                            clinic=clinic,
                            practitioner=d["practitioner"],
                            weekday=d["weekday"],
                            starts=d["starts"],
                            ends=d["ends"],
                            request=request,
                        )
                    elif kind == "limit":
                        practitioner_limit_set(
                            scope=scope,
                            clinic=clinic,
                            practitioner=d["practitioner"],
                            max_sessions_per_day=d["max_sessions_per_day"],
                            max_minutes_per_day=d["max_minutes_per_day"],
                            request=request,
                        )
                    elif kind == "device":
                        device_create(
                            scope=scope,
                            clinic=clinic,
                            name=d["name"],
                            technique_ids=d["technique_ids"],
                            request=request,
                        )
                    elif kind == "credential":
                        credential_grant(
                            scope=scope,
                            practitioner=d["practitioner"],
                            technique_id=d["technique_id"],
                        )
                    elif kind == "absence":
                        absence_create(
                            scope=scope,
                            practitioner=d["practitioner"],
                            first_day=d["first_day"],
                            last_day=d["last_day"],
                            starts=d["starts"],
                            ends=d["ends"],
                            reason=d["reason"],
                            request=request,
                        )
                    elif kind == "holiday":
                        holiday_create(
                            scope=scope,
                            clinic=clinic,
                            day=d["day"],
                            name=d["name"],
                            request=request,
                        )
                    elif kind == "hours":
                        working_hours_set(
                            scope=scope,
                            clinic=clinic,
                            practitioner=d["practitioner"],
                            hours=form.hours(),
                            request=request,
                        )
                except ValidationError as exc:
                    form_add_validation_error(form, exc)
                else:
                    messages.success(request, _("Saved."))
                    return redirect("scheduling:resources")
    technique_names = dict(_techniques())
    context = {
        "clinic": clinic,
        "forms": forms_,
        "rooms": Room.objects.filter(clinic=clinic),
        "feature_names": dict(RoomFeature.choices),
        "devices": [
            (d, [technique_names.get(t, t) for t in d.technique_ids])
            for d in Device.objects.filter(clinic=clinic)
        ],
        "people": [
            {
                "user": p,
                "credentials": [
                    technique_names.get(t, t)
                    for t in Credential.objects.filter(practitioner=p).values_list(
                        "technique_id", flat=True
                    )
                ],
                "hours": WorkingHours.objects.filter(practitioner=p, clinic=clinic),
                "absences": Absence.objects.filter(practitioner=p).order_by("-first_day")[:5],
                "breaks": PractitionerBreak.objects.filter(practitioner=p, clinic=clinic),
                "limit": PractitionerLimit.objects.filter(practitioner=p, clinic=clinic).first(),
            }
            for p in practitioners
        ],
        "holidays": Holiday.objects.filter(clinic=clinic).order_by("day"),
    }
    return render(request, "scheduling/resources.html", context)


class AvailabilityForm(forms.Form):
    preferred_weekdays = forms.TypedMultipleChoiceField(
        label=gettext_lazy("Preferred weekdays"),
        choices=Weekday.choices,
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    preferred_from = forms.TimeField(
        label=gettext_lazy("Preferably from"),
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}),
    )
    preferred_until = forms.TimeField(
        label=gettext_lazy("Preferably until"),
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}),
    )
    available_weekdays = forms.TypedMultipleChoiceField(
        label=gettext_lazy("Can only come on"),
        choices=Weekday.choices,
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy("Never booked on other days. Leave empty if any day will do."),
    )
    available_from = forms.TimeField(
        label=gettext_lazy("Can only come from"),
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}),
    )
    available_until = forms.TimeField(
        label=gettext_lazy("Can only come until"),
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}),
        help_text=gettext_lazy(
            "Never booked outside these hours. Leave empty if any time will do."
        ),
    )
    unavailable_dates = forms.CharField(
        label=gettext_lazy("Dates the patient cannot come"),
        required=False,
        help_text=gettext_lazy("One date per line or separated by commas, e.g. 2026-12-31."),
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def clean_unavailable_dates(self) -> list[dt.date]:
        out = []
        for raw in self.cleaned_data["unavailable_dates"].replace(",", "\n").split():
            try:
                out.append(date_check(dt.date.fromisoformat(raw.strip())))
            except (ValueError, ValidationError) as exc:
                raise ValidationError(
                    _("%(value)s is not a date like 2026-12-31.") % {"value": raw}
                ) from exc
        return out


@login_required
def availability_view(request, patient_id: int):
    scope = request.scope
    patient = patient_get(scope=scope, patient_id=patient_id)
    audit_record(
        action=AuditAction.READ, request=request, obj=patient, detail={"view": "availability"}
    )
    current = PatientAvailability.objects.filter(patient=patient).first()
    initial = {}
    if current:
        initial = {
            "preferred_weekdays": current.preferred_weekdays,
            "preferred_from": current.preferred_from,
            "preferred_until": current.preferred_until,
            "unavailable_dates": "\n".join(current.unavailable_dates),
            "available_weekdays": current.available_weekdays,
            "available_from": current.available_from,
            "available_until": current.available_until,
        }
    form = AvailabilityForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            patient_availability_set(
                scope=scope, patient=patient, request=request, **form.cleaned_data
            )
        except ValidationError as exc:
            form_add_validation_error(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("scheduling:patient", patient_id=patient.pk)
    return render(request, "scheduling/availability.html", {"form": form, "patient": patient})
