"""Date arithmetic the dealership speaks in: working days and calendar months."""

import datetime as dt

import holidays


def working_day_after(start: dt.date, working_days: int) -> dt.date:
    """The date `working_days` working days after `start`, by China's official calendar
    (weekends, public holidays and the swapped working weekends, 调休)."""
    calendar = holidays.country_holidays("CN", years=range(start.year, start.year + 2))
    return calendar.get_nth_working_day(start, working_days)


def month_start_before(on: dt.date, months: int) -> dt.date:
    """The first day of the month `months` months before the month of `on`."""
    year, month_index = divmod(on.year * 12 + on.month - 1 - months, 12)
    return dt.date(year, month_index + 1, 1)
