"""Pages of long lists: one size per list, the page number from the address, filters kept.

Every list that grows with the clinic (ledgers, recall lists, lots, the audit trail,
a patient's timeline) is shown a page at a time. The page links are built with
`{% querystring %}` in `includes/pager.html`, so whatever filter the address holds
survives a click on "Next".
"""

from __future__ import annotations

from django.core.paginator import Page, Paginator


def page_get(request, items, *, per_page: int) -> Page:
    """The page of `items` named by `?page=`; a bad or out-of-range number, the nearest."""
    return Paginator(items, per_page).get_page(request.GET.get("page"))
