"""Daily jobs that never double and never skip a day (DOMAIN.md §5, §7; STYLE.md 5).

Celery beat runs a missed entry once at most, never once per missed day, and two
deliveries of one message (or two workers) would run a job twice. So each app lists its
scheduled jobs in its own `jobs.py` (`JOBS = [Job(...)]`, found like `demo.py`, in
INSTALLED_APPS order: lower layers first), and the ledger `JobRun` (one row per job and
business date, unique) records which dates are done:

- `job_run` runs one job for one date, once ever: the job's writes and its ledger row's
  success commit in one transaction; a second worker skips a date another is running
  (`SELECT … FOR UPDATE SKIP LOCKED`) or has done.
- `jobs_catch_up` (the beat task, every few minutes) runs every date of the last
  `DealershipSettings.daily_jobs_catch_up_days` days, today included, that is not done
  yet, oldest first: after the worker or beat were down, the missed days are done in order
  when they come back; on an ordinary day the first run after midnight does today's jobs
  and the later runs find nothing to do (one query).
- `manage.py run_daily_jobs --date YYYY-MM-DD` runs one date by hand.

A job is a function of its business date (`run(on) -> dict`, the result shown on the
jobs page). It must depend only on what happened before that date began (so running it at
00:10 or at 15:00 gives the same answer) and be idempotent itself: the ledger stops a
second run, the job's own unique constraints stop a second write.

A monthly job (`monthly=True`) has one date per month, the month's first day.
"""

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from .discovery import app_modules
from .models import DealershipSettings, JobRun
from .settings import current_settings

logger = logging.getLogger(__name__)

# A date that failed this many times is no longer retried by the beat task (it would fail
# every few minutes for days); the jobs page shows it, and `run_daily_jobs --date` retries
# it by hand once the cause is fixed.
MAX_AUTOMATIC_ATTEMPTS = 3
ERROR_CHARS = 2000  # the end of a long error message is kept: it says what failed


@dataclass(frozen=True)
class Job:
    name: str  # stable: the ledger's key (e.g. "callbacks-generate")
    label: str  # Chinese, for the jobs page
    run: Callable[[dt.date], dict]
    monthly: bool = False
    # Chinese names of the result's keys, for the jobs page ("3dc" → "3DC 维修回访").
    result_labels: dict[str, str] | None = None

    def period_of(self, day: dt.date) -> dt.date:
        """The business date of the job's run covering `day`."""
        return day.replace(day=1) if self.monthly else day

    def describe(self, result: dict) -> str:
        """The result in words for the jobs page: what it counted, zeros left out."""
        labels = self.result_labels or {}
        counted = [f"{labels.get(key, key)} {value}" for key, value in result.items() if value]
        return ",".join(counted) or "无"


class Outcome:
    DONE = "done"  # ran now and succeeded
    ALREADY_DONE = "already_done"  # succeeded before (or by another worker meanwhile)
    BUSY = "busy"  # another worker is running it right now
    GAVE_UP = "gave_up"  # failed MAX_AUTOMATIC_ATTEMPTS times: waits for a person
    FAILED = "failed"


def registered_jobs() -> list[Job]:
    """Every installed app's JOBS, in INSTALLED_APPS order."""
    return [job for module in app_modules("jobs") for job in module.JOBS]


def job_named(name: str) -> Job:
    for job in registered_jobs():
        if job.name == name:
            return job
    raise KeyError(name)


def job_run(*, job: Job, on: dt.date, trigger: str, automatic: bool = True) -> str:
    """Run `job` for the business date covering `on`, unless that date is done.

    1. The ledger row (job, date) is inserted if missing, in a transaction of its own
       (INSERT … ON CONFLICT DO NOTHING): two workers never both insert it, and neither
       waits on the other's uncommitted insert.
    2. In one transaction: the row is locked unless it already succeeded (FOR UPDATE SKIP
       LOCKED: a row another worker holds is being run now, so this one leaves it); an
       automatic run also leaves a date that failed MAX_AUTOMATIC_ATTEMPTS times.
    3. The job runs inside that transaction, and the row is marked succeeded with the
       result in it: the job's writes and the mark commit together or not at all (a worker
       killed mid-job leaves neither, and the date is run again later).
    4. A job that raises rolls back; the failure (attempts + 1, the error) is recorded in
       a transaction of its own, and the date is retried by a later run.
    Returns an Outcome.
    """
    business_date = job.period_of(on)
    JobRun.objects.bulk_create(
        [JobRun(job=job.name, business_date=business_date, trigger=trigger)],
        ignore_conflicts=True,
    )
    started_at = timezone.now()
    try:
        with transaction.atomic():
            row = (
                JobRun.objects.select_for_update(skip_locked=True)
                .filter(job=job.name, business_date=business_date)
                .exclude(status=JobRun.Status.SUCCEEDED)
                .first()
            )
            if row is None:
                return _why_not_run(job, business_date)
            if automatic and row.attempts >= MAX_AUTOMATIC_ATTEMPTS:
                return Outcome.GAVE_UP
            result = job.run(business_date)
            JobRun.objects.filter(pk=row.pk).update(
                status=JobRun.Status.SUCCEEDED,
                trigger=trigger,
                attempts=F("attempts") + 1,
                started_at=started_at,
                finished_at=timezone.now(),
                result=result,
                error="",
            )
    except Exception as error:
        logger.exception("job %s for %s failed", job.name, business_date)
        JobRun.objects.filter(job=job.name, business_date=business_date).exclude(
            status=JobRun.Status.SUCCEEDED
        ).update(
            status=JobRun.Status.FAILED,
            trigger=trigger,
            attempts=F("attempts") + 1,
            started_at=started_at,
            finished_at=timezone.now(),
            error=f"{type(error).__name__}: {error}"[-ERROR_CHARS:],
        )
        return Outcome.FAILED
    return Outcome.DONE


def _why_not_run(job: Job, business_date: dt.date) -> str:
    done = JobRun.objects.filter(
        job=job.name, business_date=business_date, status=JobRun.Status.SUCCEEDED
    ).exists()
    return Outcome.ALREADY_DONE if done else Outcome.BUSY


def catch_up_dates(*, today: dt.date) -> list[dt.date]:
    """The days the beat task looks at, oldest first: the last N days, today included."""
    days = current_settings(DealershipSettings).daily_jobs_catch_up_days
    return [today - dt.timedelta(days=back) for back in range(days - 1, -1, -1)]


def jobs_catch_up(*, today: dt.date) -> list[tuple[str, dt.date, str]]:
    """Run every job for every date of the catch-up window that is not done, day by day,
    oldest first (the beat task).

    1. One query reads which (job, date) of the window succeeded; when all did, that is
       all this run does.
    2. Day by day, each job runs for the date covering the day (a monthly job once for
       its month). Today's run is triggered "schedule", an earlier day's "catch_up".
    3. When a job fails for a date, its later dates wait for the next run, so a job's
       dates always succeed in order; the other jobs go on.
    Returns (job, date, outcome) for every date tried.
    """
    days = catch_up_dates(today=today)
    jobs = registered_jobs()
    done = set(
        JobRun.objects.filter(
            business_date__gte=days[0].replace(day=1), status=JobRun.Status.SUCCEEDED
        ).values_list("job", "business_date")
    )
    tried: list[tuple[str, dt.date, str]] = []
    stopped: set[str] = set()
    for day in days:
        for job in jobs:
            business_date = job.period_of(day)
            if job.name in stopped or (job.name, business_date) in done:
                continue
            trigger = JobRun.Trigger.SCHEDULE if day == today else JobRun.Trigger.CATCH_UP
            outcome = job_run(job=job, on=business_date, trigger=trigger)
            tried.append((job.name, business_date, outcome))
            done.add((job.name, business_date))  # a monthly job: once per run
            if outcome not in (Outcome.DONE, Outcome.ALREADY_DONE):
                stopped.add(job.name)
    return tried
