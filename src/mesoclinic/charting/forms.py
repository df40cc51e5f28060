"""Forms of the session day. The check-in form is built from the knowledge base's questions."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from mesoclinic.charting import screening as sc
from mesoclinic.charting.models import SideEffectOutcome, SideEffectPhase, SideEffectSeverity
from mesoclinic.core.knowledge.lexicon import names_for_autocomplete
from mesoclinic.patients.widgets import DatalistInput
from mesoclinic.web.dates import BoundedDateField
from mesoclinic.web.forms import DateInput

_NAME_TABLES = {"medication": "medicine", "condition": "condition"}
YES_NO = [("no", _("No")), ("yes", _("Yes"))]


def _key(qid: str) -> str:
    return qid.replace(".", "_").replace("-", "_")


class CheckinForm(forms.Form):
    """One yes/no per visit question (all required); a yes may need a coded detail."""

    def __init__(self, *args, questions, kb, language: str, zones=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.questions = questions
        # Where a finding is: the planned zones and the zones next to them (a finding
        # near the site counts); where another procedure was: any zone.
        near = list(dict.fromkeys([*zones, *(a for z in zones for a in kb.zone[z].adjacent)]))
        zone_names = {zid: z.name.get(language) for zid, z in kb.zone.items()}
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
            if q.fact in ("visit.site_findings", "visit.recent_procedures"):
                options = near if q.fact == "visit.site_findings" else list(kb.zone)
                self.fields[f"{key}__zones"] = forms.MultipleChoiceField(
                    label=_("Where (zones; none chosen: the planned zones)")
                    if q.fact == "visit.site_findings"
                    else _("Where (zones; none chosen: counts for every zone)"),
                    required=False,
                    choices=[(z, zone_names[z]) for z in options],
                    widget=forms.SelectMultiple(attrs={"size": 4}),
                )
                details.append(f"{key}__zones")
            if kind in ("surgery", "procedure"):
                self.fields[f"{key}__date"] = BoundedDateField(
                    label=_("Date"), required=False, widget=DateInput()
                )
                details.append(f"{key}__date")
            if kind in ("medication", "condition"):
                # Typed names are recognised by the knowledge base (brand or generic,
                # Latin or Cyrillic); the list only suggests, any text is accepted.
                self.fields[f"{key}__text"] = forms.CharField(
                    label=_("Or type its name"),
                    required=False,
                    max_length=200,
                    widget=DatalistInput(
                        options=names_for_autocomplete(
                            kb, "medicine" if kind == "medication" else "condition"
                        ),
                        list_id=f"{key}-names",
                    ),
                )
                details.append(f"{key}__text")
            elif kind == "surgery":
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
                and not (data.get(f"{key}__text") or "").strip()
            ):
                message = (
                    _("Choose what it is from the list or type its name.")
                    if f"{key}__text" in self.fields and sc.detail_kind(q) != "surgery"
                    else _("Choose what it is from the list.")
                )
                self.add_error(f"{key}__code", message)
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
                zones=tuple(self.cleaned_data.get(f"{key}__zones") or ()),
            )
        return out


class OverrideForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for going ahead despite the screening"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
    )


class ScreeningSettingsForm(forms.Form):
    override_cosign_required = forms.BooleanField(
        label=_("An override needs a second clinician's co-signature"), required=False
    )
    off_label_by_physician = forms.BooleanField(
        label=_(
            "A physician may use a label-restricted product outside its labelled zones "
            "(recorded as a warning)"
        ),
        required=False,
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
    onset_on = BoundedDateField(label=_("Onset"), widget=DateInput())
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
