"""Template filters of the DMS: masking of personal data (PIPL) and small formatting."""

from django import template

register = template.Library()


@register.filter
def mask_phone(value) -> str:
    """138****5678: the first 3 and last 4 digits of a mobile; other numbers keep 2 + 2."""
    text = str(value or "")
    if len(text) == 11 and text.isdigit():
        return f"{text[:3]}****{text[-4:]}"
    if len(text) > 4:
        return f"{text[:2]}{'*' * (len(text) - 4)}{text[-2:]}"
    return "*" * len(text)


@register.filter
def mask_id(value) -> str:
    """110105********002X: region code and the last 4 characters, birth date hidden."""
    text = str(value or "")
    if len(text) <= 10:  # 6 shown + 4 shown would leave nothing hidden
        return "*" * len(text)
    return f"{text[:6]}{'*' * (len(text) - 10)}{text[-4:]}"


@register.filter
def pii(value, allowed) -> str:
    """The whole phone number for roles that may see it, else the masked form."""
    return str(value or "") if allowed else mask_phone(value)


@register.filter
def pii_id(value, allowed) -> str:
    return str(value or "") if allowed else mask_id(value)
