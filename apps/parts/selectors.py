"""Reads of the parts catalogue; each owns its query so pages run a fixed number of them."""

from django.db.models import Q, QuerySet

from apps.core.pagination import KeysetPage, keyset_page

from .models import Part
from .services import normalize_part_number

# The list's order: by part number (unique, so it pages on its own), served by the
# number's unique index; a search by number prefix reads the same index.
PART_LIST_ORDER = ("number",)


def part_search_filter(query: str) -> Q:
    """Number prefix (as numbers are stored: upper case, no spaces) or name contains.

    `number__startswith` compiles to `number LIKE 'X%'` (index part_number_prefix_idx, a
    varchar_pattern_ops b-tree); `name__icontains` to `UPPER(name) LIKE UPPER('%x%')`
    (index part_name_trgm_idx, GIN trigram on UPPER(name)) for 3+ characters. Names of
    one or two Chinese characters scan the catalogue, a few thousand rows at most.
    """
    number = normalize_part_number(query)
    condition = Q(name__icontains=query.strip())
    if number:
        condition |= Q(number__startswith=number)
    return condition


def part_list(
    *, query: str = "", include_inactive: bool = False, after=None, before=None
) -> KeysetPage:
    """One page of the catalogue, by part number: 1 query."""
    parts: QuerySet[Part] = Part.objects.all()
    if not include_inactive:
        parts = parts.filter(active=True)
    if query.strip():
        parts = parts.filter(part_search_filter(query))
    return keyset_page(parts, order=PART_LIST_ORDER, after=after, before=before)
