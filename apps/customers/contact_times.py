"""The customer's preferred contact time, labelled with the dealership's callback windows.

DOMAIN.md §5: calls are placed in the callback windows (10:00-12:00 and 15:00-18:00 by
default) unless the customer gave a preferred time. The morning and afternoon choices are
those windows, so their labels show the times the administrator set, never a copy of the
defaults. This module is the one place that joins the two; the settings are read through
`current_settings(CallbackSettings)` (cached: no query on a page).
"""

from apps.callbacks.models import CallbackSettings
from apps.core.settings import current_settings

from .models import Customer


def _windows(settings_row) -> dict[str, tuple]:
    return {
        Customer.ContactTime.MORNING: (
            settings_row.callback_window1_start,
            settings_row.callback_window1_end,
        ),
        Customer.ContactTime.AFTERNOON: (
            settings_row.callback_window2_start,
            settings_row.callback_window2_end,
        ),
    }


def contact_time_choices(settings_row=None) -> list[tuple[str, str]]:
    """Customer.ContactTime's choices; the two windows labelled with their times."""
    windows = _windows(settings_row or current_settings(CallbackSettings))
    choices = []
    for value, label in Customer.ContactTime.choices:
        if value in windows:
            start, end = windows[value]
            label = f"{label}({start:%H:%M}-{end:%H:%M})"
        choices.append((value, label))
    return choices


def contact_time_label(value: str, settings_row=None) -> str:
    """The label of a stored value ("" is 不限)."""
    return dict(contact_time_choices(settings_row)).get(value, Customer.ContactTime.ANY.label)
