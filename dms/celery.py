"""The Celery app and the one beat schedule of the DMS.

Every scheduled job is listed here, with when and why. Each job is idempotent: it selects
its work by state or by business date, so a duplicate or a late run does no harm. Beat
does not catch up runs missed while it was down (it runs a missed entry once at most,
never once per missed period), so the business jobs of a day (callback generation, the
monthly segment recompute, …) are not beat entries of their own: they are the daily jobs
of apps/core/daily_jobs.py, which one frequent entry runs through the ledger `JobRun` (job,
business date; unique): each date once, missed dates caught up in order. The import sweep
looks at the batches' state, so any run finds all the stale ones.
"""

import os

from celery import Celery, bootsteps
from celery.schedules import crontab

from dms.environment import require_secret_key

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dms.settings")

app = Celery("dms")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


class RequireSecretKey(bootsteps.Step):
    """A worker without SECRET_KEY stops at start-up, as the web server does (dms/wsgi.py).
    A bootstep, not a worker_init handler: Celery logs a handler's error and goes on."""

    def __init__(self, worker, **kwargs):
        require_secret_key()
        super().__init__(worker, **kwargs)


app.steps["worker"].add(RequireSecretKey)


app.conf.beat_schedule = {
    # The daily jobs (each app's jobs.py: callback generation, DOMAIN §5; the monthly
    # segment recompute, §2), through the ledger: every 10 minutes, so the first run after
    # midnight does the new day's jobs, and after the worker or beat were down the missed
    # days (DealershipSettings.daily_jobs_catch_up_days) are done, oldest first, within 10
    # minutes of both being back. A run with nothing to do reads the ledger once.
    "core-run-daily-jobs": {
        "task": "apps.core.tasks.run_daily_jobs",
        "schedule": crontab(minute="*/10"),
    },
    # Excel imports whose worker died (killed for memory, restarted) or whose message was
    # lost are queued again, or failed with a message once out of attempts: no batch stays
    # "导入中" forever. Every 5 minutes; a run finding nothing does nothing.
    "customers-sweep-imports": {
        "task": "apps.customers.tasks.sweep_imports",
        "schedule": crontab(minute="*/5"),
    },
    # DOMAIN §3: the advisors' appointment targets (预约对象: maintenance due by date or by
    # the estimated mileage, insurance and warranty ending, declined work open) are
    # recomputed from the whole service history every night, before the first calls.
    "appointments-refresh-targets": {
        "task": "apps.appointments.tasks.refresh_targets",
        "schedule": crontab(minute=30, hour=1),
    },
    # Parts reserved for a work order that was settled or cancelled without taking them go
    # back to the available stock; nightly, 03:10, after the day's settlements.
    "stock-release-stale-reservations": {
        "task": "apps.stock.tasks.release_stale_reservations",
        "schedule": crontab(minute=10, hour=3),
    },
    # Licence photos (行驶证, PIPL): those never confirmed for a car are deleted after the
    # settings' hours (24); those whose reading was lost (broker restart) are read again.
    # Every 10 minutes; a run finding nothing does nothing.
    "customers-sweep-licence-scans": {
        "task": "apps.customers.tasks.sweep_licence_scans",
        "schedule": crontab(minute="*/10"),
    },
    # DOMAIN §4: the 三包 warnings the home pages list change with time alone (a car's
    # days in the workshop grow, a return-or-replace period ends): every vehicle that may
    # be warned about is counted again at 03:10. Claims refresh their vehicle at once.
    "warranty-refresh-watch": {
        "task": "apps.warranty.tasks.refresh_warranty_watch",
        "schedule": crontab(minute=10, hour=3),
    },
}
