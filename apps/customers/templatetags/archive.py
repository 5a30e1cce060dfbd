"""Template tags of the archive pages.

- `{% masked customer "mobile" can_reveal %}`: a customer's phone or ID number, masked, with
  a 显示 button for users allowed to reveal it (the button asks customers:customer_reveal,
  which logs the reveal and answers the same partial with the whole value).
- `{% plates customer %}`: the first plates of a customer in a list row and "+N" for the
  rest (selectors.vehicles_preview loaded them), so a fleet keeps its row one line high.
"""

from django import template
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from apps.core import pii

from ..selectors import PLATES_SHOWN

register = template.Library()


def pii_value_context(customer, field: str, *, revealed: bool, can_reveal: bool) -> dict:
    """The context of customers/partials/pii_value.html, masked or revealed."""
    value = getattr(customer, field)
    return {
        "customer": customer,
        "field": field,
        "label": pii.PiiField(field).label,
        "shown": value if revealed else pii.mask_field(field, value),
        "revealed": revealed,
        "is_phone": field != pii.PiiField.ID_NUMBER,
        "can_reveal": can_reveal and bool(value) and not revealed,
    }


@register.inclusion_tag("customers/partials/pii_value.html")
def masked(customer, field: str, can_reveal: bool) -> dict:
    return pii_value_context(customer, field, revealed=False, can_reveal=can_reveal)


@register.simple_tag
def plates(customer) -> str:
    """Built in Python rather than an included template: it runs once per row of the busiest
    lists (a surname search), where an include per row costs more than the row itself."""
    vehicles = customer.vehicle_list
    if not vehicles:
        return mark_safe('<span class="plates"><span class="text-muted">—</span></span>')
    links = format_html_join(
        "",
        '<a href="{}" class="me-1">{}</a>',
        (
            (reverse("customers:vehicle_detail", args=[v.pk]), str(v))
            for v in vehicles[:PLATES_SHOWN]
        ),
    )
    more = len(vehicles) - PLATES_SHOWN
    if more > 0:
        links = format_html(
            '{}<a class="badge rounded-pill text-bg-light border plates-more" href="{}"'
            ' title="另有 {} 辆车,见客户档案">+{}</a>',
            links,
            reverse("customers:customer_detail", args=[customer.pk]),
            more,
            more,
        )
    return format_html('<span class="plates">{}</span>', links)
