from django import template

from apps.customers.contact_times import contact_time_label as label_for

register = template.Library()


@register.simple_tag(takes_context=True)
def contact_time_label(context, value):
    """{% contact_time_label customer.preferred_contact_time %}: with the page's settings
    row (the `dealership` context processor), so it costs no extra query."""
    return label_for(value, context.get("dealership"))
