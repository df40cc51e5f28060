"""Forms of the photographs pages: the photo consent, its withdrawal, the capture."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from mesoclinic.photos.models import PhotoConsentScope


class PhotoConsentForm(forms.Form):
    use = forms.ChoiceField(
        label=_("The photographs may be used for"),
        choices=PhotoConsentScope.choices,
        initial=PhotoConsentScope.RECORD,
        widget=forms.RadioSelect,
    )
    signer_name = forms.CharField(label=_("Name of the person signing"), max_length=300)
    signature = forms.CharField(widget=forms.HiddenInput, required=False)


class WithdrawForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason (as the patient gives it)"), max_length=500, required=False
    )


class CaptureForm(forms.Form):
    zone = forms.ChoiceField(label=_("Zone"))
    view = forms.ChoiceField(label=_("View"))
    session = forms.TypedChoiceField(
        label=_("Session (optional)"), required=False, coerce=int, empty_value=None
    )
    image = forms.FileField(
        label=_("Photograph"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/*", "capture": "environment"}),
    )

    def __init__(self, *args, zones, views, sessions, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["zone"].choices = zones
        self.fields["view"].choices = views
        self.fields["session"].choices = [("", "—"), *sessions]
