"""Celery tasks of the parts stock: small, idempotent, calling services."""

from celery import shared_task

from . import services


@shared_task(soft_time_limit=5 * 60, time_limit=6 * 60)
def release_stale_reservations() -> int:
    """Parts still set aside for orders that were settled or cancelled go back to the
    available stock (selected by state: a second run finds nothing)."""
    return services.stale_reservations_release()
