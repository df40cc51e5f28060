"""Forms of the inventory pages: parsing only; rules live in services."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from mesoclinic.core.knowledge import load_knowledge
from mesoclinic.inventory.models import (
    Origin,
    PreparationType,
    Presentation,
    Product,
    RegulatoryStatus,
    Severity,
)
from mesoclinic.web.dates import BoundedDateField
from mesoclinic.web.forms import DateInput

DATE = DateInput()


def kb_product_choices(language: str) -> list[tuple[str, str]]:
    kb = load_knowledge()
    return [("", "—")] + [(pid, p.name.get(language)) for pid, p in kb.product.items()]


class ProductForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    code = forms.CharField(label=_("Code"), max_length=50, required=False)
    kb_product_id = forms.ChoiceField(
        label=_("Based on the knowledge-base product"),
        required=False,
        help_text=_(
            "Its composition and label limits are copied if you leave the composition empty."
        ),
    )
    composition = forms.CharField(
        label=_("Composition"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "One ingredient per line: its knowledge-base id, then the concentration, "
            "for example: ingredient.hyaluronic-acid 20 mg/mL"
        ),
    )
    preparation_type = forms.ChoiceField(
        label=_("Preparation type"),
        required=False,
        choices=[("", _("From the ingredients")), *PreparationType.choices],
    )
    origin = forms.ChoiceField(
        label=_("Origin"),
        required=False,
        choices=[("", _("From the ingredients")), *Origin.choices],
    )
    manufacturer = forms.CharField(label=_("Manufacturer"), max_length=200, required=False)
    registration_number = forms.CharField(
        label=_("Registration number"), max_length=100, required=False
    )
    regulatory_status = forms.ChoiceField(
        label=_("Regulatory status"), choices=RegulatoryStatus.choices
    )
    presentation = forms.ChoiceField(label=_("Presentation"), choices=Presentation.choices)
    volume_ml = forms.DecimalField(
        label=_("Volume per unit (mL)"),
        min_value=0.001,
        max_value=10_000,
        max_digits=8,
        decimal_places=3,
    )
    storage = forms.CharField(label=_("Storage"), max_length=200, required=False)
    per_injection_ml = forms.DecimalField(
        label=_("Label limit per injection (mL)"),
        required=False,
        min_value=0,
        max_value=10_000,
        max_digits=8,
        decimal_places=3,
    )
    per_session_ml = forms.DecimalField(
        label=_("Label limit per session (mL)"),
        required=False,
        min_value=0,
        max_value=10_000,
        max_digits=8,
        decimal_places=3,
    )
    max_sessions = forms.IntegerField(
        label=_("Label maximum sessions"), required=False, min_value=1, max_value=100
    )
    min_interval_days = forms.IntegerField(
        label=_("Label minimum interval (days)"), required=False, min_value=1, max_value=3650
    )
    discard_after_hours = forms.IntegerField(
        label=_("Discard an opened multi-dose vial after (hours)"),
        required=False,
        min_value=1,
        max_value=8760,
    )
    low_stock_ml = forms.DecimalField(
        label=_("Low-stock threshold (mL)"),
        required=False,
        min_value=0,
        max_value=100_000,
        max_digits=10,
        decimal_places=3,
    )

    def __init__(self, *args, language: str = "en", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kb_product_id"].choices = kb_product_choices(language)

    def clean_composition(self) -> list[tuple[str, str]]:
        lines = self.cleaned_data["composition"].splitlines()
        result = []
        for line in lines:
            parts = line.strip().split(None, 1)
            if parts:
                result.append((parts[0], parts[1] if len(parts) > 1 else ""))
        return result


class ReceiveForm(forms.Form):
    product = forms.ModelChoiceField(label=_("Product"), queryset=Product.objects.none())
    lot_number = forms.CharField(label=_("Lot number"), max_length=60)
    expiry_date = BoundedDateField(label=_("Expiry date"), widget=DATE)
    received_on = BoundedDateField(label=_("Received on"), widget=DATE)
    quantity_ml = forms.CharField(
        label=_("Quantity (mL)"),
        help_text=_("The total volume received, for example 10 ampoules of 2 mL: 20."),
    )
    supplier = forms.CharField(label=_("Supplier"), max_length=200, required=False)

    def __init__(self, *args, products=None, **kwargs):
        super().__init__(*args, **kwargs)
        if products is not None:
            self.fields["product"].queryset = products


class LotStatusForm(forms.Form):
    ACTIONS = [
        ("quarantine", _("Quarantine")),
        ("release", _("Release from quarantine")),
        ("recall", _("Recall")),
    ]
    action = forms.ChoiceField(label=_("Action"), choices=ACTIONS)
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}))


class MovementForm(forms.Form):
    KINDS = [
        ("waste", _("Write off (waste)")),
        ("adjust", _("Adjust after a count")),
        ("transfer", _("Transfer to another clinic")),
    ]
    kind = forms.ChoiceField(label=_("Movement"), choices=KINDS)
    quantity_ml = forms.CharField(
        label=_("Quantity (mL)"), help_text=_("An adjustment may be negative, e.g. -1.5.")
    )
    reason = forms.CharField(label=_("Reason"), required=False)
    to_clinic = forms.ChoiceField(label=_("To clinic"), required=False)

    def __init__(self, *args, clinics=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_clinic"].choices = [("", "—")] + [(c.pk, c.name) for c in clinics]


class PolicyForm(forms.Form):
    near_expiry_days = forms.IntegerField(
        label=_("Near expiry within (days)"), min_value=1, max_value=3650
    )
    low_stock_ml = forms.DecimalField(
        label=_("Low stock below (mL)"),
        min_value=0,
        max_value=100_000,
        max_digits=10,
        decimal_places=3,
    )
    vial_discard_hours = forms.IntegerField(
        label=_("Discard opened multi-dose vials after (hours)"), min_value=1, max_value=8760
    )
    cluster_threshold = forms.IntegerField(
        label=_("Adverse events of one kind from one lot that make a cluster"),
        min_value=2,
        max_value=1000,
    )


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("Delivery file (CSV)"),
        help_text=_(
            "Columns: product (code or name), lot_number, expiry_date (YYYY-MM-DD), "
            "quantity_ml; optional: supplier, received_on."
        ),
    )


class AdverseEventForm(forms.Form):
    lot = forms.ChoiceField(label=_("Lot"))
    kind = forms.ChoiceField(label=_("Side effect"))
    severity = forms.ChoiceField(label=_("Severity"), choices=Severity.choices)
    onset_on = BoundedDateField(label=_("Onset"), required=False, widget=DATE)
    note = forms.CharField(
        label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, lots=(), language: str = "en", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["lot"].choices = [(lot.pk, str(lot)) for lot in lots]
        kb = load_knowledge()
        self.fields["kind"].choices = [
            (sid, se.name.get(language)) for sid, se in kb.side_effect.items()
        ]


class LotFilterForm(forms.Form):
    """The lot list's filters, read from the address; an empty field filters nothing."""

    product = forms.TypedChoiceField(
        label=_("Product"), required=False, coerce=int, empty_value=None
    )
    status = forms.ChoiceField(label=_("Status"), required=False)
    expires_by = BoundedDateField(label=_("Expires by"), required=False, widget=DATE)

    def __init__(self, data=None, *, products):
        super().__init__(data)
        self.fields["product"].choices = [("", _("All"))] + [(p.pk, p.name) for p in products]
        self.fields["status"].choices = [
            ("", _("All")),
            ("available", _("Available")),
            ("quarantined", _("Quarantined")),
            ("recalled", _("Recalled")),
        ]
