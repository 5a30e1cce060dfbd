"""Celery tasks of the archive: ids in, one service call, safe to run twice."""

import datetime as dt
import logging

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.db import OperationalError, transaction
from django.db.models import F, Q
from django.utils import timezone

from . import importing, licence_scans
from .models import ImportBatch

logger = logging.getLogger(__name__)

# The import's limits. A file at Excel's row limit (1,048,576 rows) is checked and written
# in a few minutes on a small server (make bench); the soft limit leaves ample room and ends
# an import with a clear message, the hard limit kills a stuck worker.
IMPORT_SOFT_LIMIT = 30 * 60
IMPORT_HARD_LIMIT = 35 * 60
# A batch "running" longer than the hard limit belongs to a worker that died (killed for
# memory, restarted): the sweep re-queues it.
STALE_RUNNING = dt.timedelta(seconds=IMPORT_HARD_LIMIT + 5 * 60)
# A batch "pending" this long lost its message (the broker was down at upload, a broker
# restarted without persistence): the sweep queues it again.
STALE_PENDING = dt.timedelta(minutes=10)
# Claims of one batch before it is failed for good: a file that kills the worker every
# time (out of memory) must not loop forever.
MAX_ATTEMPTS = 3
# Retries of a database outage, 30 s, 60 s, … apart.
MAX_RETRIES = 5

MESSAGES = {
    "timeout": "导入超时(文件过大),未导入任何数据;请把文件拆成几个较小的文件后分别导入。",
    "database": "数据库暂时无法连接,多次重试仍未成功,未导入任何数据;请稍后重新上传。",
    "attempts": (
        "导入过程多次中断(服务器重启或内存不足),未导入任何数据;"
        "请把文件拆成几个较小的文件后重新上传。"
    ),
    "file_missing": "上传的文件已不存在,未导入任何数据;请重新上传。",
    "system": "系统错误,未导入任何数据;请联系系统管理员。",
}


def _message(key: str) -> list[dict]:
    return [{"sheet": "", "row": 0, "column": "", "message": MESSAGES[key]}]


def fail_batch(batch_id: int, key: str) -> bool:
    """Mark an unfinished batch failed with a message the user sees; delete its file."""
    with transaction.atomic():
        failed = ImportBatch.objects.filter(
            pk=batch_id, status__in=[ImportBatch.Status.PENDING, ImportBatch.Status.RUNNING]
        ).update(
            status=ImportBatch.Status.FAILED,
            finished_at=timezone.now(),
            errors=_message(key),
            updated_at=timezone.now(),
        )
    if failed:
        delete_upload(batch_id)
    return bool(failed)


def delete_upload(batch_id: int) -> None:
    """The uploaded workbook holds personal data: it goes once the batch is final; the
    error list and the summary stay."""
    batch = ImportBatch.objects.filter(pk=batch_id).first()
    if batch is None or not batch.is_final or not batch.file:
        return
    batch.file.delete(save=False)
    ImportBatch.objects.filter(pk=batch_id).update(file="")


def claim(batch_id: int, *, task_id: str, now: dt.datetime) -> bool:
    """Claim a batch for this task with one conditional UPDATE (rowcount 0: not ours).

    Claimable: pending; or running but stale (its worker died); or running under this very
    message, which a worker killed mid-import got redelivered (acks_late +
    reject_on_worker_lost). Each claim counts an attempt; MAX_ATTEMPTS bounds them.
    """
    running = Q(status=ImportBatch.Status.RUNNING) & (
        Q(started_at__lt=now - STALE_RUNNING) | Q(task_id=task_id)
    )
    return bool(
        ImportBatch.objects.filter(
            Q(status=ImportBatch.Status.PENDING) | running,
            pk=batch_id,
            attempts__lt=MAX_ATTEMPTS,
        ).update(
            status=ImportBatch.Status.RUNNING,
            started_at=now,
            task_id=task_id,
            attempts=F("attempts") + 1,
            rows_checked=0,
            rows_total=0,
            rows_written=0,
            progress=0,
            updated_at=now,
        )
    )


@shared_task(
    bind=True,
    max_retries=MAX_RETRIES,
    soft_time_limit=IMPORT_SOFT_LIMIT,
    time_limit=IMPORT_HARD_LIMIT,
)
def import_archive(self, batch_id: int) -> str:
    """Import one uploaded workbook, all or nothing.

    1. Claim the batch (see claim()); a duplicate delivery finds rowcount 0 and stops. A
       batch out of attempts is failed with a message.
    2. Run the import; it writes everything in one transaction or nothing.
    3. A database outage puts the batch back to pending and retries later; exhausted
       retries, the soft time limit and any other error fail it with a message.
    4. A final batch's uploaded file is deleted.
    """
    task_id = self.request.id or f"local-{batch_id}"
    if not claim(batch_id, task_id=task_id, now=timezone.now()):
        exhausted = ImportBatch.objects.filter(
            pk=batch_id, attempts__gte=MAX_ATTEMPTS, status=ImportBatch.Status.RUNNING
        ).exists()
        if exhausted:
            fail_batch(batch_id, "attempts")
            return "failed"
        return "skipped"
    batch = ImportBatch.objects.select_related("created_by").get(pk=batch_id)
    try:
        importing.import_archive(batch=batch)
    except OperationalError as error:
        if self.request.retries >= self.max_retries:
            fail_batch(batch_id, "database")
            return "failed"
        ImportBatch.objects.filter(pk=batch_id).update(
            status=ImportBatch.Status.PENDING, attempts=F("attempts") - 1
        )
        raise self.retry(exc=error, countdown=30 * (self.request.retries + 1)) from error
    except SoftTimeLimitExceeded:
        fail_batch(batch_id, "timeout")
        return "failed"
    except FileNotFoundError:
        fail_batch(batch_id, "file_missing")
        return "failed"
    except Exception:
        logger.exception("import batch %s failed", batch_id)
        fail_batch(batch_id, "system")
        return "failed"
    delete_upload(batch_id)
    return "done"


def sweep_import_batches(*, now: dt.datetime) -> dict:
    """Re-queue or fail the batches no worker is working on.

    1. Running past STALE_RUNNING: its worker died. Failed once out of attempts, else
       queued again (the task claims it as stale).
    2. Pending past STALE_PENDING: its message was lost. Queued again; a duplicate message
       is harmless (the claim lets one through).
    Returns how many were re-queued and failed.
    """
    requeued = failed = 0
    stale = ImportBatch.objects.filter(
        Q(status=ImportBatch.Status.RUNNING, started_at__lt=now - STALE_RUNNING)
        | Q(status=ImportBatch.Status.PENDING, created_at__lt=now - STALE_PENDING)
    ).values_list("pk", "attempts")
    for batch_id, attempts in list(stale):
        if attempts >= MAX_ATTEMPTS:
            failed += fail_batch(batch_id, "attempts")
        else:
            import_archive.delay(batch_id)
            requeued += 1
    return {"requeued": requeued, "failed": failed}


@shared_task(soft_time_limit=60, time_limit=120)
def sweep_imports() -> dict:
    return sweep_import_batches(now=timezone.now())


# A licence photo is read in about a second (apps.customers.ocr); a minute means trouble,
# 90 s kill a stuck reading. Both far below the broker's visibility timeout.
LICENCE_SOFT_LIMIT = 60
LICENCE_HARD_LIMIT = 90
# A database outage is retried 3 times, 5, 10 and 15 s apart: the advisor is waiting.
LICENCE_MAX_RETRIES = 3


@shared_task(
    bind=True,
    max_retries=LICENCE_MAX_RETRIES,
    soft_time_limit=LICENCE_SOFT_LIMIT,
    time_limit=LICENCE_HARD_LIMIT,
)
def read_licence_scan(self, scan_id: int) -> str:
    """Read a licence photo by OCR and store the fields (licence_scans.licence_scan_read).

    Safe to run twice: only a scan still 识别中 is read, and the outcome is stored by one
    conditional UPDATE (a second reading stores nothing). A database outage is retried;
    exhausted retries, the soft time limit and any other error fail the scan with a message
    the advisor sees (the page stops waiting).
    """
    try:
        return licence_scans.licence_scan_read(scan_id=scan_id)
    except OperationalError as error:
        if self.request.retries >= self.max_retries:
            return _licence_failed(scan_id, "database")
        raise self.retry(exc=error, countdown=5 * (self.request.retries + 1)) from error
    except SoftTimeLimitExceeded:
        return _licence_failed(scan_id, "timeout")
    except Exception:
        logger.exception("licence scan %s not read", scan_id)
        return _licence_failed(scan_id, "system")


def _licence_failed(scan_id: int, key: str) -> str:
    stored = licence_scans.licence_scan_finish(scan_id=scan_id, error=licence_scans.MESSAGES[key])
    return "failed" if stored else "skipped"


@shared_task(soft_time_limit=60, time_limit=120)
def sweep_licence_scans() -> dict:
    return licence_scans.licence_scans_sweep(now=timezone.now())
