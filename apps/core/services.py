"""Writes of core: the business-rule rows of every area and the working-day calendar."""

import datetime as dt
from collections.abc import Sequence

from django.core.exceptions import ValidationError
from django.db import transaction

from . import calendar
from .models import AreaSettings, CalendarDay, CalendarYear
from .settings import remember_saved


def area_settings_save(*, rows: Sequence[AreaSettings], by) -> None:
    """Save changed settings rows of any areas together.

    1. Validate every row first (each field, then the area's `clean()`): if one is wrong,
       none is saved, and the ValidationError carries every row's errors by field.
    2. Save them in one transaction; each save writes a history row naming `by`, so
       `settings_at` can later say which rule was in force.
    3. Refresh the cache, so every process reads the new rules at once.
    """
    errors = {}
    for row in rows:
        try:
            row.full_clean()
        except ValidationError as error:
            errors.update(error.message_dict)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        for row in rows:
            row._history_user = by  # simple-history records who made the change
            row.save()
            remember_saved(row)


def calendar_year_save(
    *, year: int, days: Sequence[tuple[dt.date, str, str]], note: str, by
) -> CalendarYear:
    """Enter or replace a year's holidays and make-up working days (date, kind, name),
    as the State Council published them; from now on they replace the `holidays`
    package for that year.

    1. Check every day: inside `year`, each date once, a make-up working day only on a
       Saturday or Sunday (a weekday works anyway), and at least one holiday.
    2. In one transaction, lock the year's row (create it if new) and replace its days.
    3. Refresh the cached calendar, so every deadline computed from now on uses it.
    """
    problems = []
    seen = set()
    for day, kind, _name in days:
        if day.year != year:
            problems.append(f"{day:%Y-%m-%d} 不在 {year} 年内。")
        if day in seen:
            problems.append(f"{day:%Y-%m-%d} 录入了不止一次。")
        seen.add(day)
        if kind == CalendarDay.Kind.WORKDAY and day.weekday() < 5:
            problems.append(f"{day:%Y-%m-%d} 本来就是工作日,无需设为调休上班。")
    if not any(kind == CalendarDay.Kind.HOLIDAY for _day, kind, _name in days):
        problems.append("请至少录入一个放假日期。")
    if problems:
        raise ValidationError(problems)
    with transaction.atomic():
        calendar_year, _created = CalendarYear.objects.update_or_create(
            year=year, defaults={"note": note, "updated_by": by}
        )
        calendar_year.days.all().delete()
        CalendarDay.objects.bulk_create(
            [
                CalendarDay(calendar_year=calendar_year, date=day, kind=kind, name=name)
                for day, kind, name in sorted(days)
            ]
        )
        calendar.remember_entered()
    return calendar_year


def calendar_year_delete(*, year: int) -> None:
    """Forget a year's entered arrangement: the `holidays` package answers for it again."""
    with transaction.atomic():
        CalendarYear.objects.filter(year=year).delete()
        calendar.remember_entered()
