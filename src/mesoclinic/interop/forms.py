from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class ErasureForm(forms.Form):
    reason = forms.CharField(
        label=_("How the patient asked, and anything to note"),
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=1000,
    )
    confirm = forms.BooleanField(
        label=_("I have checked the patient's identity and they ask for erasure"),
    )
