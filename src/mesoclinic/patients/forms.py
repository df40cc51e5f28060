"""Forms of the patient record: parse and present; the rules live in services."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from mesoclinic.accounts.locales import current_language
from mesoclinic.core.knowledge import load_knowledge
from mesoclinic.patients.models import FactKind, Fitzpatrick, Sex
from mesoclinic.patients.widgets import DatalistInput, medicine_and_condition_names
from mesoclinic.web.dates import BoundedDateField
from mesoclinic.web.forms import DATE_INPUT_FORMATS, DateInput


class PatientForm(forms.Form):
    family_name = forms.CharField(label=_("Family name"), max_length=150)
    given_name = forms.CharField(label=_("Given name"), max_length=150)
    middle_name = forms.CharField(
        label=_("Middle name or patronymic"), max_length=150, required=False
    )
    birth_date = BoundedDateField(
        label=_("Date of birth"), widget=DateInput(), input_formats=DATE_INPUT_FORMATS
    )
    sex = forms.ChoiceField(label=_("Sex"), choices=Sex.choices, initial=Sex.UNKNOWN)
    phone = forms.CharField(label=_("Phone"), max_length=40, required=False)
    email = forms.EmailField(label=_("Email"), required=False)
    preferred_language = forms.ChoiceField(
        label=_("Preferred language"), choices=settings.LANGUAGES, initial="en"
    )
    fitzpatrick = forms.TypedChoiceField(
        label=_("Fitzpatrick skin type"),
        choices=[("", "—"), *Fitzpatrick.choices],
        coerce=int,
        empty_value=None,
        required=False,
    )
    weight_kg = forms.DecimalField(
        label=_("Body weight (kg)"),
        required=False,
        max_digits=5,
        decimal_places=1,
        min_value=1,
        max_value=400,
    )
    weight_date = BoundedDateField(
        label=_("Weighed on"),
        required=False,
        widget=DateInput(),
        input_formats=DATE_INPUT_FORMATS,
        help_text=_("Local-anaesthetic doses are checked against the weight."),
    )
    data_consent = forms.BooleanField(
        label=_("Consents to processing of personal data"), required=False
    )


class PatientCreateForm(PatientForm):
    """Registration: consent to data processing is required, to the current privacy notice."""

    confirm_different = forms.BooleanField(
        label=_("This is a different person: register anyway"), required=False
    )

    def __init__(self, *args, language: str = "en", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["preferred_language"].initial = language
        consent = self.fields["data_consent"]
        consent.required = True
        consent.label = _(
            "The patient consents to the processing of personal data "
            "(privacy notice, version %(version)s)"
        ) % {"version": settings.PRIVACY_NOTICE_VERSION}
        consent.error_messages["required"] = _(
            "Registration needs the patient's consent to the processing of personal data."
        )


def _code_choices(kb, language: str) -> list:
    groups = [
        (_("Conditions"), kb.condition),
        (_("Allergy: ingredients"), kb.ingredient),
        (_("Allergy: allergy groups"), kb.allergy_group),
        (_("Medication classes"), kb.medication_class),
        (_("Implanted devices"), kb.device),
        (_("Cosmetic procedures"), kb.procedure),
    ]
    choices: list = [("", "—")]
    for title, table in groups:
        choices.append((title, [(code, e.name.get(language)) for code, e in table.items()]))
    return choices


def zone_choices(language: str | None = None) -> list[tuple[str, str]]:
    kb = load_knowledge()
    language = language or current_language()
    return [(z.id, z.name.get(language)) for z in kb.zone.values()]


class HistoryFactForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=FactKind.choices)
    code = forms.ChoiceField(
        label=_("From the knowledge base"),
        required=False,
        help_text=_("Pick the condition, allergen, medication class, device or procedure."),
    )
    label = forms.CharField(
        label=_("Description"),
        max_length=300,
        required=False,
        help_text=_(
            "The medication's name, the surgery, or an allergy not in the list "
            "(kept as text and flagged for coding)."
        ),
    )
    present = forms.BooleanField(
        label=_("Yes (for pregnancy and breastfeeding: the patient's answer)"),
        required=False,
        initial=True,
    )
    on_date = BoundedDateField(
        label=_("Date"),
        required=False,
        widget=DateInput(),
        input_formats=DATE_INPUT_FORMATS,
        help_text=_("Surgery or procedure date; last dose; the day pregnancy was asked."),
    )
    zones = forms.MultipleChoiceField(
        label=_("Zones"), required=False, widget=forms.CheckboxSelectMultiple
    )
    note = forms.CharField(
        label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        language = current_language()
        kb = load_knowledge()
        self.fields["code"].choices = _code_choices(kb, language)
        self.fields["label"].widget = DatalistInput(
            options=medicine_and_condition_names(kb), list_id="history-names"
        )
        self.fields["zones"].choices = zone_choices(language)


class RetractForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=300)
