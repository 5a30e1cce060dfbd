"""The Celery app and the one beat schedule of the DMS.

Every scheduled job is listed here, with when and why. Jobs are idempotent (they select
work by state or by business date), so a duplicate or a late run does no harm; beat does
not catch up missed runs, so each job also catches up what it has not done yet.
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
}
