"""Forms of the session day. The check-in form is built from the knowledge base's questions."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from mesoclinic.charting import screening as sc
from mesoclinic.charting.models import SideEffectOutcome, SideEffectPhase, SideEffectSeverity
from mesoclinic.web.dates import BoundedDateField

YES_NO = [("no", _("No")), ("yes", _("Yes"))]


def _key(qid: str) -> str:
    return qid.replace(".", "_").replace("-", "_")


class CheckinForm(forms.Form):
    """One yes/no per visit question (all required); a yes may need a coded detail."""

    def __init__(self, *args, questions, kb, language: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.questions = questions
        self.rows = []
        for q in questions:
            key = _key(q.id)
            self.fields[key] = forms.ChoiceField(
                label=q.question.get(language), choices=YES_NO, widget=forms.RadioSelect
            )
            kind = sc.detail_kind(q)
            details = []
            if kind in ("medication", "allergy", "condition", "procedure"):
                self.fields[f"{key}__code"] = forms.ChoiceField(
                    label=_("Which one"),
                    required=False,
                    choices=[("", "—"), *sc.detail_choices(kb=kb, kind=kind, language=language)],
                )
                details.append(f"{key}__code")
            if kind in ("surgery", "procedure"):
                self.fields[f"{key}__date"] = BoundedDateField(
                    label=_("Date"), required=False, widget=forms.DateInput(attrs={"type": "date"})
                )
                details.append(f"{key}__date")
            if kind in ("medication", "surgery"):
                self.fields[f"{key}__text"] = forms.CharField(
                    label=_("Name or description"), required=False, max_length=200
                )
                details.append(f"{key}__text")
            self.rows.append(
                {
                    "question": q,
                    "field": self[key],
                    "details": [self[d] for d in details],
                    "by_clinician": q.asked_by == "clinician",
                }
            )

    def clean(self):
        data = super().clean()
        for q in self.questions:
            key = _key(q.id)
            if (
                data.get(key) == "yes"
                and f"{key}__code" in self.fields
                and not data.get(f"{key}__code")
            ):
                self.add_error(f"{key}__code", _("Choose what it is from the list."))
        return data

    def answers(self) -> dict[str, sc.Answer]:
        out = {}
        for q in self.questions:
            key = _key(q.id)
            out[q.id] = sc.Answer(
                yes=self.cleaned_data[key] == "yes",
                code=self.cleaned_data.get(f"{key}__code") or "",
                on_date=self.cleaned_data.get(f"{key}__date"),
                text=self.cleaned_data.get(f"{key}__text") or "",
            )
        return out


class OverrideForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for going ahead despite the screening"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
    )


class AddendumForm(forms.Form):
    text = forms.CharField(
        label=_("Addendum"), widget=forms.Textarea(attrs={"rows": 3}), max_length=5000
    )


class SideEffectForm(forms.Form):
    kind = forms.ChoiceField(label=_("Side effect"))
    zone_id = forms.ChoiceField(label=_("Zone"), required=False)
    phase = forms.ChoiceField(label=_("Seen"), choices=SideEffectPhase.choices)
    severity = forms.ChoiceField(label=_("Severity"), choices=SideEffectSeverity.choices)
    pain_score = forms.IntegerField(
        label=_("Pain score (0-10)"), required=False, min_value=0, max_value=10
    )
    outcome = forms.ChoiceField(label=_("Outcome"), choices=SideEffectOutcome.choices)
    serious = forms.BooleanField(label=_("Serious"), required=False)
    onset_on = BoundedDateField(label=_("Onset"), widget=forms.DateInput(attrs={"type": "date"}))
    note = forms.CharField(
        label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, kb, zones, language: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [(k, v.name.get(language)) for k, v in kb.side_effect.items()]
        self.fields["zone_id"].choices = [("", _("Whole session"))] + [
            (z, kb.zone[z].name.get(language)) for z in zones
        ]


MAX_AFTERCARE_HOURS = 2160  # 90 days: longer is a different kind of instruction


class AftercareDurationsForm(forms.Form):
    """The clinic's own duration, in hours, for every aftercare instruction that has one.

    Blank keeps the knowledge base's default. One field per instruction, named after
    its id; `rows` pairs each field with the base's default and the reported range.
    """

    def __init__(self, *args, kb, current: dict[str, float], language: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.items = [item for item in kb.aftercare.values() if item.default_hours is not None]
        for item in self.items:
            self.fields[_key(item.id)] = forms.DecimalField(
                label=item.name.get(language),
                required=False,
                min_value=Decimal("0.5"),
                max_value=MAX_AFTERCARE_HOURS,
                decimal_places=1,
                initial=current.get(item.id),
                widget=forms.NumberInput(
                    attrs={"step": "0.5", "placeholder": f"{item.default_hours:g}"}
                ),
            )

    @property
    def rows(self):
        for item in self.items:
            reported = item.reported_hours
            yield {
                "field": self[_key(item.id)],
                "default": item.default_hours,
                "reported": (reported.min, reported.max) if reported else None,
            }

    def hours(self) -> dict[str, float]:
        values = {item.id: self.cleaned_data.get(_key(item.id)) for item in self.items}
        return {k: float(v) for k, v in values.items() if v is not None}
