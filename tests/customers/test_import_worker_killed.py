"""A worker killed mid-import (issue 7, point 9), for real: a Celery worker runs as a child
process with the prefork pool on the test Redis and database; its pool process is sent
SIGKILL (what the kernel's OOM killer does) while it imports. The message comes back
(acks_late + reject_on_worker_lost), the same task claims its batch again, and the file is
imported once: nothing of the killed attempt was committed.
"""

import io
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import connection
from openpyxl import Workbook

from apps.customers import importing, tasks
from apps.customers.models import Customer, ImportBatch, Vehicle
from dms.celery import app as celery_app
from tests.factories.customers import valid_vin

pytestmark = pytest.mark.celery

ROWS = 6000  # enough for the import to run a few seconds, so it can be killed mid-way
# Starting a worker process and importing 12,000 rows twice: 240 s only bounds a broken test.
WAIT_SECONDS = 240


def big_archive() -> bytes:
    workbook = Workbook(write_only=True)
    customers = workbook.create_sheet(importing.CUSTOMER_SHEET)
    customers.append([column.header for column in importing.SHEETS[importing.CUSTOMER_SHEET]])
    vehicles = workbook.create_sheet(importing.VEHICLE_SHEET)
    vehicles.append([column.header for column in importing.SHEETS[importing.VEHICLE_SHEET]])
    for n in range(ROWS):
        mobile = f"1{n % 7 + 3}{n:09d}"
        customers.append([f"客户{n}", None, mobile, None, None, None, f"地址{n}"])
        vehicles.append(
            [valid_vin(n + 1, wmi="LSV"), None, "大众", "速腾", None, None, f"客户{n}", mobile]
        )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def pool_children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(child) for child in path.read_text().split()] if path.exists() else []


@pytest.fixture
def worker_process():
    """`celery worker` (prefork, one pool process) as a child process of this test, on the
    test database; stopped by its pid afterwards."""
    celery_app.control.purge()
    database = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "dms.settings_test",
        "DATABASE_URL": (
            f"postgres://{database['USER']}:{database['PASSWORD'] or ''}@{database['HOST']}:"
            f"{database['PORT'] or 5432}/{database['NAME']}"
        ),
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "dms",
            "worker",
            "--pool=prefork",
            "--concurrency=1",
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
            "--loglevel=WARNING",
        ],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    yield process
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_worker_killed_mid_import_leaves_no_batch_running_and_imports_once(
    user_with_role, worker_process
):
    # Given a big upload queued for the worker process
    batch = ImportBatch.objects.create(
        file=ContentFile(big_archive(), name="大文件.xlsx"),
        original_name="大文件.xlsx",
        created_by=user_with_role("manager"),
    )
    tasks.import_archive.delay(batch.pk)

    # When its pool process is killed while the batch is running
    deadline = time.monotonic() + WAIT_SECONDS
    while ImportBatch.objects.get(pk=batch.pk).status != ImportBatch.Status.RUNNING:
        assert time.monotonic() < deadline, "the worker never started the import"
        time.sleep(0.05)
    killed = pool_children(worker_process.pid)
    assert killed, "no pool process to kill"
    for pid in killed:
        os.kill(pid, signal.SIGKILL)

    # Then the message comes back, the batch is claimed again and finishes
    while not (batch := ImportBatch.objects.get(pk=batch.pk)).is_final:
        assert time.monotonic() < deadline, f"batch still {batch.status} after the kill"
        time.sleep(0.5)
    assert batch.status == ImportBatch.Status.SUCCEEDED, batch.errors
    assert batch.attempts == 2
    # and everything exists once: the killed attempt committed nothing
    assert (Customer.objects.count(), Vehicle.objects.count()) == (ROWS, ROWS)
    assert batch.summary["customers_created"] == ROWS
    assert not batch.file
