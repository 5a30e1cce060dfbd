"""When a customer may be called (DOMAIN.md §5): in the callback windows of the settings
(10:00-12:00 and 15:00-18:00 by default) unless the customer gave a preferred time; never
in rest hours (outside them).

A customer's preferred time (`Customer.ContactTime`) picks the windows: morning is window
one, afternoon window two, evening 18:00-20:00, weekend the two windows on Saturday and
Sunday only; no preference is both windows, any day.
"""

import datetime as dt

from django.utils import timezone

from apps.customers.models import Customer

ContactTime = Customer.ContactTime
# The evening the customer may choose: its times are part of the choice's label
# (Customer.ContactTime.EVENING), which customers agreed to; not a dealership rule.
EVENING = (dt.time(18, 0), dt.time(20, 0))


def windows_of(preferred_time: str, rules, day: dt.date) -> list[tuple[dt.time, dt.time]]:
    """The windows in which a customer with `preferred_time` may be called on `day`."""
    first = (rules.callback_window1_start, rules.callback_window1_end)
    second = (rules.callback_window2_start, rules.callback_window2_end)
    weekend = day.weekday() >= 5  # Saturday, Sunday
    return {
        ContactTime.MORNING: [first],
        ContactTime.AFTERNOON: [second],
        ContactTime.EVENING: [EVENING],
        ContactTime.WEEKEND: [first, second] if weekend else [],
    }.get(preferred_time, [first, second])


def callable_now(now: dt.datetime, rules) -> list[str]:
    """The preferred times whose customers may be called at `now` (local)."""
    local = timezone.localtime(now)
    moment = local.time()
    return [
        value
        for value in ContactTime.values
        if any(start <= moment < end for start, end in windows_of(value, rules, local.date()))
    ]


def calling_resumes_at(now: dt.datetime, rules, preferred_times) -> dt.datetime | None:
    """The next moment today at which a customer of one of `preferred_times` may be called
    (None: not today any more)."""
    local = timezone.localtime(now)
    starts = [
        start
        for value in set(preferred_times)
        for start, _end in windows_of(value, rules, local.date())
        if start > local.time()
    ]
    if not starts:
        return None
    return timezone.make_aware(dt.datetime.combine(local.date(), min(starts)))
