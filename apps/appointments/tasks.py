"""Celery tasks of appointments: one service call, safe to run twice."""

from celery import shared_task

from . import services

# Ten years of a big dealership's visits are read in under a minute on a small server
# (make bench); the soft limit leaves ample room, the hard limit kills a stuck worker.
REFRESH_SOFT_LIMIT = 10 * 60
REFRESH_HARD_LIMIT = 15 * 60


@shared_task(soft_time_limit=REFRESH_SOFT_LIMIT, time_limit=REFRESH_HARD_LIMIT)
def refresh_targets() -> int:
    """Compute the appointment targets (预约对象) as of now (services.targets_refresh).

    Safe to run twice or late: it replaces every row from the data as it is, so a second
    run writes the same rows and a late run the right ones for its day."""
    return services.targets_refresh()
