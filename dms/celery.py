"""The Celery app and the one beat schedule of the DMS.

Every scheduled job is listed here, with when and why. Each job is idempotent: it selects
its work by state or by business date, so a duplicate or a late run does no harm. Beat
does not catch up runs missed while it was down (it runs a missed job once at most, never
once per missed period), and no job here tracks the dates it has done: the monthly segment
recompute uses the last 12 months from the day it runs, so a late run gives the right
answer; the import sweep looks at the batches' state, so any run finds all the stale ones.
"""

import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dms.settings")

app = Celery("dms")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

app.conf.beat_schedule = {
    # DOMAIN §2: customer segments (VIP / major / normal / small) are recomputed monthly
    # from the last 12 months' paid spend and visits; 02:30 on the 1st, before reports.
    "customers-recompute-segments": {
        "task": "apps.customers.tasks.recompute_segments",
        "schedule": crontab(minute=30, hour=2, day_of_month=1),
    },
    # Excel imports whose worker died (killed for memory, restarted) or whose message was
    # lost are queued again, or failed with a message once out of attempts: no batch stays
    # "导入中" forever. Every 5 minutes; a run finding nothing does nothing.
    "customers-sweep-imports": {
        "task": "apps.customers.tasks.sweep_imports",
        "schedule": crontab(minute="*/5"),
    },
}
