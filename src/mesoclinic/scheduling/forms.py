from __future__ import annotations

import datetime as dt

from django import forms
from django.utils.translation import gettext_lazy as _

from mesoclinic.core.knowledge import load_knowledge
from mesoclinic.web.dates import BoundedDateField
from mesoclinic.web.forms import DATE_INPUT_FORMATS, DateInput, TimeInput


def technique_choices(language: str) -> list[tuple[str, str]]:
    kb = load_knowledge()
    return [("", _("— not a treatment session —"))] + [
        (tid, t.name.get(language)) for tid, t in kb.technique.items()
    ]


class BookingForm(forms.Form):
    # The patient is not a field: the page sends it once, from the chosen patient or the
    # picker, and the view reads it (a hidden field here would send a second, empty one).
    practitioner = forms.ModelChoiceField(queryset=None, label=_("Practitioner"))
    day = BoundedDateField(label=_("Date"), widget=DateInput(), input_formats=DATE_INPUT_FORMATS)
    time = forms.TimeField(label=_("Start time"), widget=TimeInput(attrs={"step": 300}))
    duration = forms.IntegerField(
        label=_("Duration (minutes)"), min_value=5, max_value=480, initial=30
    )
    technique_id = forms.ChoiceField(label=_("Technique"), required=False)
    notes = forms.CharField(label=_("Notes"), required=False, max_length=500)

    def __init__(self, *args, practitioners, language: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["practitioner"].queryset = practitioners
        self.fields["technique_id"].choices = technique_choices(language)


class RescheduleForm(forms.Form):
    day = BoundedDateField(
        label=_("New date"), widget=DateInput(), input_formats=DATE_INPUT_FORMATS
    )
    time = forms.TimeField(label=_("New start time"), widget=TimeInput(attrs={"step": 300}))
    practitioner = forms.ModelChoiceField(queryset=None, label=_("Practitioner"))
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0, max_value=2**31 - 1)

    def __init__(self, *args, practitioners, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["practitioner"].queryset = practitioners


class StatusForm(forms.Form):
    status = forms.CharField(widget=forms.HiddenInput)
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0, max_value=2**31 - 1)
    reason = forms.CharField(label=_("Reason"), required=False, max_length=300)


def combine(day: dt.date, time: dt.time, zone) -> dt.datetime:
    return dt.datetime.combine(day, time, tzinfo=zone)
