"""Forms of outcomes: a score (scale and level in one choice), and the report's filters."""

from __future__ import annotations

from django import forms
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from mesoclinic.outcomes.models import Rater, Timepoint
from mesoclinic.web.dates import BoundedDateField
from mesoclinic.web.forms import DateInput

LEVEL_SEP = ":"


def level_choices(kb, language: str) -> list:
    """Every scale's levels, grouped under the scale's name: `<scale id>:<value>`."""
    groups = []
    for scale in kb.scale.values():
        short = scale.short.get(language)
        groups.append(
            (
                scale.name.get(language),
                [
                    (
                        f"{scale.id}{LEVEL_SEP}{lv.value}",
                        f"{short} {lv.value} — {lv.label.get(language)}",
                    )
                    for lv in scale.levels
                ],
            )
        )
    return groups


def photo_choices(rows: list[dict]) -> list[tuple[int, str]]:
    """(id, label with its thumbnail) of photographs as `photos.selectors.photo_rows` gives them."""
    return [
        (
            row["pk"],
            format_html(
                '<img src="{}" alt="" width="96" loading="lazy" data-zone="{}"> {} · {}, {}',
                row["thumb_url"],
                row["zone_id"],
                row["zone_name"],
                row["view_name"],
                row["day"],
            ),
        )
        for row in reversed(rows)  # newest first: usually the one just taken
    ]


class ScoreForm(forms.Form):
    level = forms.ChoiceField(label=_("Scale and score"))
    rater = forms.ChoiceField(label=_("Scored by"), choices=Rater.choices, widget=forms.RadioSelect)
    zone_id = forms.ChoiceField(label=_("Zone"), required=False)
    timepoint = forms.ChoiceField(label=_("When"))
    plan = forms.TypedChoiceField(label=_("Course"), coerce=int, required=False, empty_value=None)
    scored_on = BoundedDateField(label=_("Date"), widget=DateInput())
    photo = forms.TypedChoiceField(
        label=_("Photograph scored"),
        coerce=int,
        required=False,
        empty_value=None,
        widget=forms.RadioSelect(attrs={"class": "photo-picker"}),
    )
    note = forms.CharField(
        label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(
        self, *args, kb, language: str, zones, plans=None, at_session=False, photos=None, **kwargs
    ):
        # Its own ids: on a session's page it sits next to the side-effect form.
        kwargs.setdefault("auto_id", "score_%s")
        super().__init__(*args, **kwargs)
        self.fields["level"].choices = [("", "—"), *level_choices(kb, language)]
        self.fields["zone_id"].choices = [("", _("Whole treated area"))] + [
            (z, kb.zone[z].name.get(language)) for z in zones if z in kb.zone
        ]
        if photos:
            # Thumbnails as the choices' labels: the picture is what the user recognises.
            self.fields["photo"].choices = [("", _("No photograph")), *photo_choices(photos)]
        else:
            del self.fields["photo"]
        if at_session:
            # At a session the time point and the course are the session's own.
            del self.fields["timepoint"]
            del self.fields["plan"]
        else:
            self.fields["timepoint"].choices = [
                c for c in Timepoint.choices if c[0] != Timepoint.SESSION
            ]
            self.fields["plan"].choices = [("", _("No course"))] + [
                (p.pk, str(p)) for p in (plans or [])
            ]

    def clean_level(self):
        value = self.cleaned_data["level"]
        scale_id, _sep, level = value.partition(LEVEL_SEP)
        return scale_id, level


class ReportForm(forms.Form):
    first = BoundedDateField(label=_("Courses starting from"), required=False, widget=DateInput())
    last = BoundedDateField(label=_("to"), required=False, widget=DateInput())
    practitioner = forms.TypedChoiceField(
        label=_("Practitioner"), coerce=int, required=False, empty_value=None
    )
    clinic = forms.TypedChoiceField(label=_("Clinic"), coerce=int, required=False, empty_value=None)

    def __init__(self, *args, practitioners, clinics, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["practitioner"].choices = [("", _("All"))] + [
            (p.pk, str(p)) for p in practitioners
        ]
        self.fields["clinic"].choices = [("", _("All"))] + [(c.pk, c.name) for c in clinics]

    def clean(self):
        data = super().clean()
        if data.get("first") and data.get("last") and data["first"] > data["last"]:
            self.add_error("last", _("The end of the period is before its start."))
        return data
