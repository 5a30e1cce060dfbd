"""Celery tasks of core: ids (or nothing) in, one call, safe to run twice."""

from celery import shared_task
from django.utils import timezone

from . import daily_jobs

# A day's jobs take seconds to minutes (the monthly segment recompute of a big archive is
# the longest); a catch-up after a week's downtime runs seven days of them. The hard limit
# stays far below the broker's visibility timeout (dms/settings.py), so a running catch-up
# is never delivered twice; a second run meanwhile would only skip the dates locked.
DAILY_JOBS_SOFT_LIMIT = 50 * 60
DAILY_JOBS_HARD_LIMIT = 55 * 60


@shared_task(soft_time_limit=DAILY_JOBS_SOFT_LIMIT, time_limit=DAILY_JOBS_HARD_LIMIT)
def run_daily_jobs() -> list:
    """Every daily (and monthly) job for the dates of the catch-up window not done yet,
    oldest first (apps/core/daily_jobs.py). Beat sends it every few minutes; a run with nothing
    to do reads the ledger once."""
    tried = daily_jobs.jobs_catch_up(today=timezone.localdate())
    return [[name, day.isoformat(), outcome] for name, day, outcome in tried]
