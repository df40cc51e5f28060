"""`{% photo_grid photos label %}`: a series of thumbnails, built in Python.

A patient's page may hold hundreds of photographs; a template loop costs about ten
variable lookups and escapes per thumbnail. Here every text is escaped once (the
label once per series, each day once) and URLs are built from integer ids.
"""

from __future__ import annotations

from django import template
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

register = template.Library()


@register.simple_tag
def photo_grid(photos: list[dict], label: str):
    """An ordered list of thumbnails linking to each photograph, the first marked baseline."""
    baseline = escape(_("baseline"))
    below_word = escape(_("below standard"))
    below = f' · <strong data-testid="below-standard">{below_word}</strong>'
    label = escape(label)
    days: dict[str, str] = {}
    flagged_li = '<li class="below-standard">'
    items = []
    for i, p in enumerate(photos):
        day = days.get(p["day"])
        if day is None:
            day = days[p["day"]] = escape(p["day"])
        flagged = bool(p["quality_issues"])
        marks = (f" · {baseline}" if i == 0 else "") + (below if flagged else "")
        # The URLs are reversed from integer ids: nothing in them needs escaping.
        items.append(
            (flagged_li if flagged else "<li>")
            + f'<a href="{p["detail_url"]}"><img src="{p["thumb_url"]}" alt="{label}, {day}"'
            + f' loading="lazy" width="160"></a><span>{day}{marks}</span></li>'
        )
    return mark_safe('<ol class="photo-grid">' + "".join(items) + "</ol>")  # noqa: S308
