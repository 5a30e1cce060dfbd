"""Celery tasks of the archive: ids in, one service call, safe to run twice."""

import datetime as dt
import logging

from celery import shared_task
from django.db import OperationalError
from django.db.models import Q
from django.utils import timezone

from . import importing, services
from .models import ImportBatch

logger = logging.getLogger(__name__)

# A batch left "running" longer than the hard time limit belongs to a dead worker.
STALE_RUNNING = dt.timedelta(minutes=20)


@shared_task(bind=True, max_retries=5, soft_time_limit=10 * 60, time_limit=15 * 60)
def import_archive(self, batch_id: int) -> str:
    """Import one uploaded workbook, all or nothing.

    1. Claim the batch with a conditional UPDATE (pending, or running but stale): a
       duplicate delivery finds rowcount 0 and stops.
    2. Run the import; it writes everything in one transaction or nothing.
    3. A database outage puts the batch back to pending and retries later; any other
       error marks it failed, with nothing written.
    """
    now = timezone.now()
    claimed = ImportBatch.objects.filter(
        Q(status=ImportBatch.Status.PENDING)
        | Q(status=ImportBatch.Status.RUNNING, started_at__lt=now - STALE_RUNNING),
        pk=batch_id,
    ).update(status=ImportBatch.Status.RUNNING, started_at=now)
    if not claimed:
        return "skipped"
    batch = ImportBatch.objects.select_related("created_by").get(pk=batch_id)
    try:
        importing.import_archive(batch=batch)
    except OperationalError as error:
        ImportBatch.objects.filter(pk=batch_id).update(status=ImportBatch.Status.PENDING)
        raise self.retry(exc=error, countdown=30 * (self.request.retries + 1)) from error
    except Exception:
        logger.exception("import batch %s failed", batch_id)
        ImportBatch.objects.filter(pk=batch_id).update(
            status=ImportBatch.Status.FAILED,
            finished_at=timezone.now(),
            errors=[
                {
                    "sheet": "",
                    "row": 0,
                    "column": "",
                    "message": "系统错误,未导入任何数据;请联系系统管理员。",
                }
            ],
        )
        return "failed"
    return "done"


@shared_task(soft_time_limit=20 * 60, time_limit=25 * 60)
def recompute_segments() -> int:
    return services.customers_recompute_segments(on=timezone.localdate())
