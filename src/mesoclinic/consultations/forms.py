"""Forms for consultations and plans: parsing only; services hold the rules."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from mesoclinic.accounts.locales import current_language
from mesoclinic.consultations.engine import kb
from mesoclinic.patients.forms import DATE_INPUT_FORMATS, DateInput
from mesoclinic.web.dates import BoundedDateField

PRODUCT_ROWS = 4


def _choices(table: str, language: str) -> list[tuple[str, str]]:
    return [(code, e.name.get(language)) for code, e in kb().tables[table].items()]


class ConsultationForm(forms.Form):
    examination = forms.CharField(
        label=_("Examination"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    concerns = forms.CharField(
        label=_("Patient's concerns"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    indications = forms.MultipleChoiceField(
        label=_("Indications"), widget=forms.CheckboxSelectMultiple
    )
    zones = forms.MultipleChoiceField(label=_("Zones"))
    findings = forms.MultipleChoiceField(
        label=_("Findings on examination (in the chosen zones)"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        lang = current_language()
        self.fields["indications"].choices = _choices("indication", lang)
        self.fields["zones"].choices = _choices("zone", lang)
        self.fields["findings"].choices = _choices("finding", lang)


class PlanForm(forms.Form):
    protocol_id = forms.CharField(widget=forms.HiddenInput, required=False)
    zones = forms.MultipleChoiceField(label=_("Zones"))
    technique_ids = forms.MultipleChoiceField(
        label=_("Techniques"), widget=forms.CheckboxSelectMultiple
    )
    sessions = forms.IntegerField(label=_("Number of sessions"), min_value=1, max_value=50)
    interval_min_days = forms.IntegerField(
        label=_("Minimum interval (days)"), min_value=1, max_value=365
    )
    interval_max_days = forms.IntegerField(
        label=_("Maximum interval (days)"), min_value=1, max_value=365
    )
    preferred_interval_days = forms.IntegerField(
        label=_("Preferred interval (days)"), min_value=1, max_value=365, required=False
    )
    target_start = BoundedDateField(
        label=_("Target start"), widget=DateInput(), input_formats=DATE_INPUT_FORMATS
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        lang = current_language()
        self.fields["zones"].choices = _choices("zone", lang)
        self.fields["technique_ids"].choices = _choices("technique", lang)
        products = [("", "—"), *_choices("product", lang)]
        for i in range(1, PRODUCT_ROWS + 1):
            self.fields[f"product_{i}"] = forms.ChoiceField(
                label=_("Product %(n)s") % {"n": i}, choices=products, required=False
            )
            self.fields[f"dose_{i}"] = forms.DecimalField(
                label=_("Dose per session (mL) %(n)s") % {"n": i},
                min_value=0.01,
                max_digits=6,
                decimal_places=2,
                required=False,
            )

    def clean(self):
        data = super().clean()
        for i in range(1, PRODUCT_ROWS + 1):
            if data.get(f"product_{i}") and not data.get(f"dose_{i}"):
                self.add_error(f"dose_{i}", _("Give the dose for this product."))
        return data

    def product_rows(self):
        return [(self[f"product_{i}"], self[f"dose_{i}"]) for i in range(1, PRODUCT_ROWS + 1)]

    def plan_kwargs(self) -> dict:
        data = self.cleaned_data
        products = [
            (data[f"product_{i}"], data[f"dose_{i}"])
            for i in range(1, PRODUCT_ROWS + 1)
            if data.get(f"product_{i}")
        ]
        return {
            "zones": data["zones"],
            "technique_ids": data["technique_ids"],
            "products": products,
            "sessions": data["sessions"],
            "interval_min_days": data["interval_min_days"],
            "interval_max_days": data["interval_max_days"],
            "preferred_interval_days": data.get("preferred_interval_days"),
            "target_start": data["target_start"],
        }


class ConsentForm(forms.Form):
    signer_name = forms.CharField(label=_("Name of the person signing"), max_length=300)
    signature = forms.CharField(widget=forms.HiddenInput, required=False)


class WalkinPlanForm(PlanForm):
    """A one-session plan for a walk-in: zones, techniques and cocktail; no course fields."""

    COURSE_FIELDS = (
        "sessions",
        "interval_min_days",
        "interval_max_days",
        "preferred_interval_days",
        "target_start",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in self.COURSE_FIELDS:
            del self.fields[name]

    def plan_kwargs(self) -> dict:
        data = self.cleaned_data
        products = [
            (data[f"product_{i}"], data[f"dose_{i}"])
            for i in range(1, PRODUCT_ROWS + 1)
            if data.get(f"product_{i}")
        ]
        return {
            "zones": data["zones"],
            "technique_ids": data["technique_ids"],
            "products": products,
        }
