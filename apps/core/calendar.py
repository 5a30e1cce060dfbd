"""Date arithmetic the dealership speaks in: working days and calendar months."""

import datetime as dt
from functools import lru_cache

import holidays
from django.utils import timezone


@lru_cache(maxsize=64)
def _china_calendar(first_year: int) -> holidays.HolidayBase:
    # Two years cover any deadline of a few working days that starts in first_year.
    return holidays.country_holidays("CN", years=range(first_year, first_year + 2))


def working_day_after(start: dt.date, working_days: int) -> dt.date:
    """The date `working_days` working days after `start`, by China's official calendar
    (weekends, public holidays and the swapped working weekends, 调休)."""
    return _china_calendar(start.year).get_nth_working_day(start, working_days)


def month_start_before(on: dt.date, months: int) -> dt.date:
    """The first day of the month `months` months before the month of `on`."""
    year, month_index = divmod(on.year * 12 + on.month - 1 - months, 12)
    return dt.date(year, month_index + 1, 1)


def day_start(on: dt.date) -> dt.datetime:
    """The aware local midnight that starts `on`: compare timestamps against it, so an index
    on the column serves (`created_at__date` casts every row and reads them all)."""
    return timezone.make_aware(dt.datetime.combine(on, dt.time.min))
