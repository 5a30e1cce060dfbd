"""Template filters of the stock pages."""

from django import template

from apps.stock.services import qty as format_quantity

register = template.Library()


@register.filter
def qty(value) -> str:
    """A quantity as people write it: 3, 4.5 (no trailing zeros); empty for None."""
    return "" if value is None or value == "" else format_quantity(value)


@register.filter
def negate(value):
    return -value if value is not None else None
