from __future__ import annotations

import datetime as dt

from django import forms
from django.utils.translation import gettext_lazy as _

from mesoclinic.core.knowledge import load_knowledge
from mesoclinic.web.dates import BoundedDateField


def technique_choices(language: str) -> list[tuple[str, str]]:
    kb = load_knowledge()
    return [("", _("— not a treatment session —"))] + [
        (tid, t.name.get(language)) for tid, t in kb.technique.items()
    ]


class BookingForm(forms.Form):
    patient = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=2**63 - 1)
    practitioner = forms.ModelChoiceField(queryset=None, label=_("Practitioner"))
    day = BoundedDateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    time = forms.TimeField(
        label=_("Start time"), widget=forms.TimeInput(attrs={"type": "time", "step": 300})
    )
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
    day = BoundedDateField(label=_("New date"), widget=forms.DateInput(attrs={"type": "date"}))
    time = forms.TimeField(
        label=_("New start time"), widget=forms.TimeInput(attrs={"type": "time", "step": 300})
    )
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
