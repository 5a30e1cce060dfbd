"""`{% masked customer "mobile" can_reveal %}`: a customer's phone or ID number, masked, with
a 显示 button for users allowed to reveal it (the button asks customers:customer_reveal,
which logs the reveal and answers the same partial with the whole value)."""

from django import template

from apps.core import pii

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
