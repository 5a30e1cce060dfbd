import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Q

from .calendar import add_months
from .daily_jobs import Job, registered_jobs
from .models import AreaSettings, CalendarDay, CalendarYear, JobRun

# The jobs page: each daily job's last two weeks, each monthly job's last year.
RECENT_DAYS = 14
RECENT_MONTHS = 12


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


@dataclass(frozen=True)
class JobPeriod:
    day: dt.date  # the business date (a monthly job: the month's first day)
    run: JobRun | None  # None: not run yet
    summary: str  # the result in words


@dataclass(frozen=True)
class JobHistory:
    job: Job
    periods: list[JobPeriod]  # newest first


def job_histories(*, today: dt.date) -> list[JobHistory]:
    """Every registered job with its recent business dates (RECENT_DAYS days, or
    RECENT_MONTHS months for a monthly job), each with its ledger row: one query."""
    jobs = registered_jobs()
    days = [today - dt.timedelta(days=back) for back in range(RECENT_DAYS)]
    months = [add_months(today.replace(day=1), -back) for back in range(RECENT_MONTHS)]
    rows = {
        (row.job, row.business_date): row
        for row in JobRun.objects.filter(
            job__in=[job.name for job in jobs], business_date__gte=min(days[-1], months[-1])
        )
    }
    histories = []
    for job in jobs:
        periods = []
        for day in months if job.monthly else days:
            run = rows.get((job.name, day))
            summary = job.describe(run.result) if run and run.result else ""
            periods.append(JobPeriod(day, run, summary))
        histories.append(JobHistory(job, periods))
    return histories
