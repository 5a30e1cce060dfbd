from django.db.models import Count, Q

from .models import AreaSettings, CalendarDay, CalendarYear


def settings_row_for_edit(model: type[AreaSettings]) -> AreaSettings:
    """An area's row straight from the database (the settings page edits the stored row,
    not a cached copy); created with its defaults on first use."""
    row, _created = model.objects.get_or_create(pk=model.SINGLETON_PK)
    return row


def calendar_years():
    """The entered years, newest first, with their counts of holidays and make-up days."""
    return CalendarYear.objects.select_related("updated_by").annotate(
        holiday_count=Count("days", filter=Q(days__kind=CalendarDay.Kind.HOLIDAY)),
        workday_count=Count("days", filter=Q(days__kind=CalendarDay.Kind.WORKDAY)),
    )


def calendar_year_or_none(year: int) -> CalendarYear | None:
    return (
        CalendarYear.objects.select_related("updated_by")
        .prefetch_related("days")
        .filter(year=year)
        .first()
    )
