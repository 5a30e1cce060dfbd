"""Celery tasks of the warranty area: one service call each, safe to run twice."""

from celery import shared_task
from django.utils import timezone

from . import services


# Some 10,000 vehicles at ten years of data take well under a minute; the limits only end
# a stuck run.
@shared_task(soft_time_limit=10 * 60, time_limit=12 * 60, ignore_result=True)
def refresh_warranty_watch() -> int:
    """The nightly refresh of the 三包 watch rows (days in the workshop grow, periods end)."""
    return services.warranty_watch_refresh_recent(now=timezone.now())
