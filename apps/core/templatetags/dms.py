"""Template filters of the DMS: masking of personal data (PIPL), from apps.core.pii."""

from django import template
from django.forms.widgets import CheckboxInput, RadioSelect, Select
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from apps.core import pii

register = template.Library()

register.filter("mask_phone", pii.mask_phone)
register.filter("mask_id", pii.mask_id)
register.filter("mask_address", pii.mask_address)


@register.filter
def bs_field(field) -> SafeString:
    """A text, number, date or select field as crispy's Bootstrap 5 markup (label with its
    asterisk, the input with form-control / form-select and is-invalid, errors, help), built
    in Python: crispy renders a few templates per field, most of a form-heavy page's time.
    Radios and checkboxes keep |as_crispy_field."""
    widget = field.field.widget
    if isinstance(widget, (CheckboxInput, RadioSelect)):
        raise TypeError("bs_field renders inputs and selects; use |as_crispy_field here")
    css = "form-select" if isinstance(widget, Select) else "form-control"
    if field.errors:
        css += " is-invalid"
    required = field.field.required
    label = format_html(
        '<label for="{}" class="form-label{}">{}{}</label>',
        field.id_for_label,
        " requiredField" if required else "",
        field.label,
        SafeString('<span class="asteriskField">*</span>') if required else "",
    )
    errors = format_html_join(
        "",
        '<span id="error_{}_{}" class="invalid-feedback"><strong>{}</strong></span>',
        ((index, field.auto_id, error) for index, error in enumerate(field.errors, 1)),
    )
    help_text = (
        format_html(
            '<div id="{}_helptext" class="form-text">{}</div>', field.auto_id, field.help_text
        )
        if field.help_text
        else ""
    )
    return format_html(
        '<div id="div_{}" class="mb-3">{}{}{}{}</div>',
        field.auto_id,
        label if field.label else "",
        field.as_widget(attrs={"class": css}),
        errors,
        help_text,
    )


@register.simple_tag
def choice_buttons(field, button_class: str = "btn-outline-primary") -> SafeString:
    """A radio field as a Bootstrap button group (input.btn-check + label per choice), the
    markup of partials/choice_buttons.html built in Python: iterating a RadioSelect's
    subwidgets costs a template render per choice, and the call screen has a score field
    per question per callback."""
    value = field.value()
    chosen = "" if value is None else str(value)
    buttons = format_html_join(
        "",
        '<input type="radio" class="btn-check" name="{}" id="{}_{}" value="{}" '
        'autocomplete="off"{}><label class="btn {}" for="{}_{}">{}</label>',
        (
            (
                field.html_name,
                field.auto_id,
                index,
                choice,
                SafeString(" checked") if chosen != "" and str(choice) == chosen else "",
                button_class,
                field.auto_id,
                index,
                label,
            )
            for index, (choice, label) in enumerate(field.field.choices)
        ),
    )
    group = format_html(
        '<div class="btn-group flex-wrap" role="group" aria-label="{}">{}</div>',
        field.label,
        buttons,
    )
    if field.errors:
        group += format_html('<div class="text-danger small">{}</div>', " ".join(field.errors))
    return group
