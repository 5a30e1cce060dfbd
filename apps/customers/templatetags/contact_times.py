from django import template

from apps.customers.contact_times import contact_time_label as label_for

register = template.Library()


@register.simple_tag
def contact_time_label(value):
    """{% contact_time_label customer.preferred_contact_time %}: the callback rules come
    from the settings cache, so it costs no extra query."""
    return label_for(value)
