"""Portal forms: sign-in, the invitation's password, the questionnaire and the booking."""

from __future__ import annotations

from django import forms
from django.contrib.auth import password_validation
from django.utils.translation import gettext_lazy as _

from mesoclinic.accounts.locales import current_language
from mesoclinic.core.knowledge import load_knowledge
from mesoclinic.core.knowledge.lexicon import names_for_autocomplete
from mesoclinic.patients.widgets import DatalistInput
from mesoclinic.photos.models import PhotoConsentScope
from mesoclinic.web.dates import BoundedDateField
from mesoclinic.web.forms import DateInput


class SigninForm(forms.Form):
    email = forms.EmailField(label=_("E-mail address"))
    password = forms.CharField(label=_("Password"), widget=forms.PasswordInput)


class CodeRequestForm(forms.Form):
    email = forms.EmailField(label=_("E-mail address"))


class CodeForm(forms.Form):
    email = forms.EmailField(widget=forms.HiddenInput)
    code = forms.RegexField(
        label=_("Code from the e-mail"),
        regex=r"^\s*\d{6}\s*$",
        error_messages={"invalid": _("The code has six digits.")},
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}),
    )


class SetPasswordForm(forms.Form):
    password1 = forms.CharField(
        label=_("New password"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html(),
    )
    password2 = forms.CharField(
        label=_("New password again"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self):
        data = super().clean()
        if data.get("password1") and data.get("password1") != data.get("password2"):
            self.add_error("password2", _("The two passwords differ."))
        return data


YES_NO = [("no", _("No")), ("yes", _("Yes"))]


def _name(entry) -> str:
    return entry.name.get(current_language()) if hasattr(entry.name, "get") else str(entry.name)


class QuestionnaireForm(forms.Form):
    """Built from the knowledge base: its conditions, procedures, medicine dictionary and
    the visit questions the patient answers about themself (pregnancy, breastfeeding)."""

    conditions = forms.MultipleChoiceField(
        label=_("Do you have, or have you had, any of these?"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    other_conditions = forms.CharField(
        label=_("Other illnesses or conditions"), required=False, max_length=300
    )
    allergies = forms.CharField(
        label=_("Allergies (to medicines, foods, anything)"),
        required=False,
        max_length=300,
        help_text=_("Separate several with commas. Leave empty if none."),
    )
    medicines = forms.CharField(
        label=_("Medicines you take (including the pill, aspirin, supplements)"),
        required=False,
        max_length=500,
        help_text=_("Start typing to pick from the list; separate several with commas."),
    )
    pregnant = forms.ChoiceField(widget=forms.RadioSelect, choices=YES_NO)
    breastfeeding = forms.ChoiceField(widget=forms.RadioSelect, choices=YES_NO)
    procedure = forms.ChoiceField(
        label=_("A cosmetic procedure in the last months (peel, laser, filler…)"),
        required=False,
    )
    procedure_date = BoundedDateField(
        label=_("When was it (approximately)?"), required=False, widget=DateInput
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        kb = load_knowledge()
        lang = current_language()
        self.fields["conditions"].choices = sorted(
            ((code, _name(entry)) for code, entry in kb.tables["condition"].items()),
            key=lambda c: c[1].casefold(),
        )
        self.fields["procedure"].choices = [("", _("None"))] + [
            (code, _name(entry)) for code, entry in kb.tables["procedure"].items()
        ]
        self.fields["medicines"].widget = DatalistInput(
            options=names_for_autocomplete(kb, "medicine"), list_id="medicine-names"
        )
        questions = {q.fact: q for q in kb.visit_question.values() if q.asked_by == "patient"}
        for field, fact in (
            ("pregnant", "patient.pregnant"),
            ("breastfeeding", "patient.breastfeeding"),
        ):
            question = questions.get(fact)
            self.fields[field].label = question.question.get(lang) if question else fact

    def clean(self):
        data = super().clean()
        if data.get("procedure") and not data.get("procedure_date"):
            self.add_error("procedure_date", _("Give the date (approximate if need be)."))
        return data


class SessionDateForm(forms.Form):
    """One proposed date of a series the patient may move within its window."""

    day = BoundedDateField(label=_("Date"), widget=DateInput)
    time = forms.TimeField(label=_("Time"), widget=forms.TimeInput(attrs={"type": "time"}))


class SignatureForm(forms.Form):
    signer_name = forms.CharField(label=_("Your full name"), max_length=300)
    signature = forms.CharField(widget=forms.HiddenInput, required=False)
    agree = forms.BooleanField(
        label=_("I have read the text above and agree to the treatment."),
        error_messages={"required": _("Tick the box to confirm you agree.")},
    )


class PhotoConsentSignForm(forms.Form):
    use = forms.ChoiceField(
        label=_("The photographs may be used for"),
        choices=PhotoConsentScope.choices,
        initial=PhotoConsentScope.RECORD,
        widget=forms.RadioSelect,
    )
    signer_name = forms.CharField(label=_("Your full name"), max_length=300)
    signature = forms.CharField(widget=forms.HiddenInput, required=False)
    agree = forms.BooleanField(
        label=_("I have read the text above and agree to clinical photographs."),
        error_messages={"required": _("Tick the box to confirm you agree.")},
    )


class PhotoConsentWithdrawForm(forms.Form):
    reason = forms.CharField(label=_("Reason (optional)"), max_length=500, required=False)


class PortalSettingsForm(forms.Form):
    booking_enabled = forms.BooleanField(label=_("Online booking open"), required=False)
    lead_time_hours = forms.IntegerField(
        label=_("Patients book at least this many hours ahead"), min_value=0, max_value=1440
    )
    change_until_hours = forms.IntegerField(
        label=_("Patients may cancel up to this many hours before"), min_value=0, max_value=1440
    )
    share_outcomes = forms.BooleanField(
        label=_("Share outcome scores and photos with patients in the portal"),
        required=False,
        help_text=_(
            "Patients then see their own scores and the photographs taken under a current "
            "photo consent on My treatments."
        ),
    )


class OnlineServiceForm(forms.Form):
    name = forms.CharField(label=_("Name shown to patients"), max_length=200)
    kind = forms.ChoiceField(label=_("Kind"), choices=[])
    protocol_id = forms.ChoiceField(label=_("Protocol (courses)"), required=False)
    technique_id = forms.ChoiceField(label=_("Technique"), required=False)
    product_id = forms.ChoiceField(label=_("Product"), required=False)
    zones = forms.MultipleChoiceField(
        label=_("Zones"), required=False, widget=forms.CheckboxSelectMultiple
    )
    sessions = forms.IntegerField(
        label=_("Sessions (courses)"), min_value=1, max_value=20, initial=1
    )
    duration_min = forms.IntegerField(
        label=_("Duration of a visit (minutes)"), min_value=5, max_value=480, initial=30
    )
    practitioner = forms.ModelChoiceField(label=_("Practitioner"), queryset=None)

    def __init__(self, *args, clinic, **kwargs):
        from mesoclinic.accounts.models import Role, User
        from mesoclinic.portal.models import ServiceKind

        super().__init__(*args, **kwargs)
        kb = load_knowledge()
        self.fields["kind"].choices = ServiceKind.choices
        none = [("", "—")]
        self.fields["protocol_id"].choices = none + [(k, _name(v)) for k, v in kb.protocol.items()]
        self.fields["technique_id"].choices = none + [
            (k, _name(v)) for k, v in kb.technique.items()
        ]
        self.fields["product_id"].choices = none + [(k, _name(v)) for k, v in kb.product.items()]
        self.fields["zones"].choices = [(k, _name(v)) for k, v in kb.zone.items()]
        self.fields["practitioner"].queryset = User.objects.filter(
            memberships__clinic=clinic, memberships__role=Role.PRACTITIONER, is_active=True
        ).distinct()


class ErasureRequestForm(forms.Form):
    reason = forms.CharField(
        label=_("Anything you would like the clinic to know (optional)"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=1000,
        required=False,
    )
    confirm = forms.BooleanField(
        label=_("I understand what will be erased and what the clinic must keep"),
        error_messages={"required": _("Please tick the box to confirm.")},
    )


class RegistrationForm(forms.Form):
    """A new patient on a clinic's public booking page."""

    family_name = forms.CharField(label=_("Family name"), max_length=150)
    given_name = forms.CharField(label=_("Given name"), max_length=150)
    birth_date = BoundedDateField(label=_("Date of birth"), widget=DateInput)
    email = forms.EmailField(label=_("E-mail address"))
    phone = forms.CharField(
        label=_("Mobile phone (for reminders)"),
        max_length=40,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
    )
    consent = forms.BooleanField(
        label=_(
            "I agree that the clinic keeps and processes my personal and health data to "
            "treat me, as its privacy notice describes."
        ),
        error_messages={"required": _("Tick the box to agree, or register at the clinic.")},
    )

    def clean_birth_date(self):
        import datetime as dt

        born = self.cleaned_data["birth_date"]
        today = dt.date.today()
        if born > today:
            raise forms.ValidationError(_("The date of birth cannot be in the future."))
        if born < today.replace(year=today.year - 130):
            raise forms.ValidationError(_("Check the date of birth: it is over 130 years ago."))
        return born

    def clean_phone(self):
        phone = self.cleaned_data["phone"].strip()
        if phone and sum(c.isdigit() for c in phone) < 7:
            raise forms.ValidationError(_("Give the whole number, with its code."))
        return phone


class RegistrationCodeForm(forms.Form):
    code = forms.RegexField(
        label=_("Code from the e-mail"),
        regex=r"^\s*\d{6}\s*$",
        error_messages={"invalid": _("The code has six digits.")},
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}),
    )
