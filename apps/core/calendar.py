"""Date arithmetic the dealership speaks in: working days and calendar months.

The working-day calendar is China's official one: weekends, public holidays and the
make-up working days (调休). The State Council publishes a year's arrangement only in
November of the year before, and the `holidays` package's later years are guesses; so a
year the administrator entered (`CalendarYear` / `CalendarDay`, on the settings page)
replaces the package for that year. Every deadline in working days goes through
`working_day_after` / `is_working_day` here.
"""

import datetime as dt
from functools import lru_cache

import holidays
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from .models import CalendarDay, CalendarYear

CACHE_KEY = "working-calendar:entered"
# The calendar service drops the key the moment a year is saved; this bound only limits
# how long a change made behind its back (a shell, a restore) can be served stale.
CACHE_SECONDS = 60 * 60
MAKE_UP_DAY_NAME = "调休上班"


@lru_cache(maxsize=32)
def _package_year(year: int) -> holidays.HolidayBase:
    return holidays.country_holidays("CN", years=year, language="zh_CN")


class WorkingCalendar:
    """Working days by the entered years (`{year: {date: kind}}`), else by the package.

    Build it once with `working_calendar()` for a loop over many dates; the module's
    functions build one per call (one cache read each).
    """

    def __init__(self, entered: dict[int, dict[dt.date, str]]):
        self.entered = entered

    def is_working_day(self, day: dt.date) -> bool:
        entered_year = self.entered.get(day.year)
        if entered_year is None:
            return _package_year(day.year).is_working_day(day)
        kind = entered_year.get(day)
        if kind is None:
            return day.weekday() < 5  # Monday to Friday
        return kind == CalendarDay.Kind.WORKDAY

    def working_day_after(self, start: dt.date, working_days: int) -> dt.date:
        """The date `working_days` working days after `start` (0: `start` itself if it is
        a working day, else the next working day)."""
        if working_days < 0:
            raise ValueError("working_day_after counts forward only")
        day, counted = start, 0
        while counted < working_days:
            day += dt.timedelta(days=1)
            counted += self.is_working_day(day)
        while not self.is_working_day(day):
            day += dt.timedelta(days=1)
        return day


def working_calendar() -> WorkingCalendar:
    """The calendar as entered now: the entered years come from the cache (no query)."""
    entered = cache.get(CACHE_KEY)
    if entered is None:
        entered = _load_entered()
        cache.add(CACHE_KEY, entered, CACHE_SECONDS)
    return WorkingCalendar(entered)


def is_working_day(day: dt.date) -> bool:
    return working_calendar().is_working_day(day)


def working_day_after(start: dt.date, working_days: int) -> dt.date:
    """The date `working_days` working days after `start`, by China's official calendar
    (weekends, public holidays and the swapped working weekends, 调休)."""
    return working_calendar().working_day_after(start, working_days)


def package_arrangement(year: int) -> list[tuple[dt.date, str, str]]:
    """What the `holidays` package says about `year`: (date, kind, name), by date. The
    starting point the administrator corrects from the State Council's notice."""
    package = _package_year(year)
    days = [(day, CalendarDay.Kind.HOLIDAY.value, name) for day, name in package.items()]
    days += [
        (day, CalendarDay.Kind.WORKDAY.value, MAKE_UP_DAY_NAME)
        for day in package.weekend_workdays
        if day.year == year
    ]
    return sorted(days)


def remember_entered() -> None:
    """Make every process use the calendar as now entered (called by the calendar service).

    1. Drop the cached calendar at once, so this transaction and any test read the new one.
    2. After commit, store it freshly loaded: a reader that loaded the old one before the
       commit can then no longer `add` it back (see `working_calendar`).
    """
    cache.delete(CACHE_KEY)
    transaction.on_commit(lambda: cache.set(CACHE_KEY, _load_entered(), CACHE_SECONDS))


def forget_cached_calendar() -> None:
    cache.delete(CACHE_KEY)


def _load_entered() -> dict[int, dict[dt.date, str]]:
    entered = {year: {} for year in CalendarYear.objects.values_list("year", flat=True)}
    for year, day, kind in CalendarDay.objects.values_list("calendar_year__year", "date", "kind"):
        entered[year][day] = kind
    return entered


def month_start_before(on: dt.date, months: int) -> dt.date:
    """The first day of the month `months` months before the month of `on`."""
    year, month_index = divmod(on.year * 12 + on.month - 1 - months, 12)
    return dt.date(year, month_index + 1, 1)


def add_months(on: dt.date, months: int) -> dt.date:
    """The same day `months` calendar months later (earlier when negative); a day the
    target month lacks becomes its last day (1 月 31 日 + 1 个月 = 2 月 28/29 日)."""
    year, month_index = divmod(on.year * 12 + on.month - 1 + months, 12)
    month = month_index + 1
    next_month = dt.date(year + month // 12, month % 12 + 1, 1)
    last_day = (next_month - dt.timedelta(days=1)).day
    return dt.date(year, month, min(on.day, last_day))


def day_start(on: dt.date) -> dt.datetime:
    """The aware local midnight that starts `on`: compare timestamps against it, so an index
    on the column serves (`created_at__date` casts every row and reads them all)."""
    return timezone.make_aware(dt.datetime.combine(on, dt.time.min))
