"""The import task with a real Celery worker on the test Redis, and its claim.

Uploads go through the view, whose transaction.on_commit enqueues the task; the worker runs
in a thread of this process with its own database connection, so those tests commit their
rows (transaction=True). serialized_rollback: the flush after each of them would otherwise
drop the role groups that the migrations created. Never eager mode, never a mocked broker.
"""

import datetime as dt
import io
import time
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook

from apps.customers import importing, tasks
from apps.customers.models import Customer, ImportBatch, Vehicle
from apps.workorders.models import WorkOrder
from tests.factories.customers import valid_vin

pytestmark = pytest.mark.celery

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FILE_NAME = "旧系统档案.xlsx"
VIN = valid_vin(1, wmi="LSV")
# A three-row workbook takes the worker well under a second; 30 s only bounds a broken test.
WAIT_SECONDS = 30
NOW = dt.datetime(2026, 3, 10, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
FINISHED = {ImportBatch.Status.SUCCEEDED, ImportBatch.Status.REJECTED, ImportBatch.Status.FAILED}


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    """Uploads go to a temporary folder; the worker thread reads the same settings."""
    settings.MEDIA_ROOT = tmp_path


def archive(*, mobile="13812345678") -> bytes:
    """One customer, one car, one work order; `mobile` may be made invalid."""
    rows = {
        importing.CUSTOMER_SHEET: {"name": "张伟", "mobile": mobile},
        importing.VEHICLE_SHEET: {
            "vin": VIN,
            "plate": "粤B12345",
            "brand": "大众",
            "model_name": "速腾 2023款 300TSI",
            "owner_name": "张伟",
            "owner_mobile": mobile,
        },
        importing.HISTORY_SHEET: {
            "number": "WO2023051800012",
            "vin": VIN,
            "opened_on": "2023-05-18",
            "line_kind": "工时",
            "description": "更换机油机滤",
            "amount": 180,
        },
    }
    workbook = Workbook()
    workbook.remove(workbook.active)
    for title, row in rows.items():
        columns = importing.SHEETS[title]
        sheet = workbook.create_sheet(title)
        sheet.append([column.header for column in columns])
        sheet.append([row.get(column.attr) for column in columns])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def upload(client, content: bytes):
    return client.post(
        reverse("customers:import_list"),
        {"file": SimpleUploadedFile(FILE_NAME, content, content_type=XLSX)},
    )


def wait_until_finished(pk: int) -> ImportBatch:
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        batch = ImportBatch.objects.get(pk=pk)
        if batch.status in FINISHED:
            return batch
        if time.monotonic() > deadline:
            pytest.fail(f"import batch {pk} still {batch.status} after {WAIT_SECONDS} s")
        time.sleep(0.2)


def make_batch(user, content: bytes, **fields) -> ImportBatch:
    return ImportBatch.objects.create(
        file=ContentFile(content, name=FILE_NAME),
        original_name=FILE_NAME,
        created_by=user,
        **fields,
    )


# --- with a real worker --------------------------------------------------------------


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_uploaded_workbook_is_imported_by_the_worker(role_client, celery_worker):
    # Given a manager
    client = role_client("manager")

    # When the manager uploads a clean workbook
    response = upload(client, archive())

    # Then the page moves to the batch, and the worker imports it in the background
    batch = ImportBatch.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("customers:import_detail", args=[batch.pk])
    assert (batch.original_name, batch.created_by.groups.get().name) == (FILE_NAME, "manager")
    batch = wait_until_finished(batch.pk)
    assert batch.status == ImportBatch.Status.SUCCEEDED
    assert batch.summary == {
        "rows": 3,
        "customers_created": 1,
        "customers_updated": 0,
        "vehicles_created": 1,
        "vehicles_updated": 0,
        "owners_changed": 0,
        "work_orders_created": 1,
        "work_orders_unchanged": 0,
    }
    assert batch.started_at is not None
    assert batch.finished_at >= batch.started_at
    assert list(Customer.objects.values_list("name", "mobile")) == [("张伟", "13812345678")]
    assert list(Vehicle.objects.values_list("vin", "owner__name")) == [(VIN, "张伟")]
    assert list(WorkOrder.objects.values_list("number", "vehicle__vin")) == [
        ("WO2023051800012", VIN)
    ]
    # and the batch page says so
    page = client.get(response.url)
    assert "导入完成:共 3 行。" in page.content.decode()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_uploaded_workbook_with_a_bad_row_is_rejected_by_the_worker(role_client, celery_worker):
    # Given a manager
    client = role_client("manager")

    # When the manager uploads a workbook whose mobile has 10 digits
    response = upload(client, archive(mobile="1381234567"))

    # Then the worker rejects the whole file, with each error, and writes nothing
    batch = wait_until_finished(ImportBatch.objects.get().pk)
    message = "手机号应为 11 位数字,以 13-19 开头。"
    assert batch.status == ImportBatch.Status.REJECTED
    assert batch.errors == [
        {"sheet": "客户", "row": 2, "column": "C 手机*", "message": message},
        {"sheet": "车辆", "row": 2, "column": "H 车主手机*", "message": message},
    ]
    assert (Customer.objects.count(), Vehicle.objects.count(), WorkOrder.objects.count()) == (
        0,
        0,
        0,
    )
    page = client.get(response.url).content.decode()
    assert "文件有 2 处错误,<strong>没有导入任何数据</strong>" in page
    assert "H 车主手机*" in page


# --- the claim, calling the task body in this process --------------------------------


@pytest.mark.django_db
def test_running_the_task_twice_for_one_batch_imports_once(user_with_role):
    # Given a pending batch
    batch = make_batch(user_with_role("manager"), archive())

    # When the task runs twice (a duplicate delivery)
    first = tasks.import_archive(batch.pk)
    second = tasks.import_archive(batch.pk)

    # Then the second finds the batch claimed and does nothing
    assert (first, second) == ("done", "skipped")
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.SUCCEEDED
    assert batch.summary["customers_created"] == 1
    assert (Customer.objects.count(), Vehicle.objects.count(), WorkOrder.objects.count()) == (
        1,
        1,
        1,
    )


@pytest.mark.django_db
@time_machine.travel(NOW, tick=False)
def test_batch_left_running_past_the_time_limit_is_claimed_again(user_with_role):
    # Given a batch whose worker died 20 minutes and 1 second ago
    batch = make_batch(
        user_with_role("manager"),
        archive(),
        status=ImportBatch.Status.RUNNING,
        started_at=NOW - tasks.STALE_RUNNING - dt.timedelta(seconds=1),
    )

    # When the task runs for it
    result = tasks.import_archive(batch.pk)

    # Then it is claimed afresh and imported
    assert result == "done"
    batch.refresh_from_db()
    assert (batch.status, batch.started_at, batch.finished_at) == (
        ImportBatch.Status.SUCCEEDED,
        NOW,
        NOW,
    )
    assert Customer.objects.count() == 1


@pytest.mark.django_db
@time_machine.travel(NOW, tick=False)
@pytest.mark.parametrize(
    ("status", "started_ago"),
    [
        (ImportBatch.Status.RUNNING, tasks.STALE_RUNNING),  # exactly the limit: still alive
        (ImportBatch.Status.RUNNING, dt.timedelta(minutes=1)),
        (ImportBatch.Status.SUCCEEDED, dt.timedelta(days=1)),
        (ImportBatch.Status.REJECTED, dt.timedelta(days=1)),
        (ImportBatch.Status.FAILED, dt.timedelta(days=1)),
    ],
)
def test_batch_running_elsewhere_or_finished_is_skipped(user_with_role, status, started_ago):
    # Given a batch another worker is running, or one already finished
    batch = make_batch(
        user_with_role("manager"), archive(), status=status, started_at=NOW - started_ago
    )

    # When the task runs for it
    result = tasks.import_archive(batch.pk)

    # Then it is left alone and nothing is imported
    assert result == "skipped"
    batch.refresh_from_db()
    assert (batch.status, batch.started_at) == (status, NOW - started_ago)
    assert Customer.objects.count() == 0


@pytest.mark.django_db
def test_task_for_a_batch_that_no_longer_exists_is_skipped():
    assert tasks.import_archive(987654) == "skipped"


@pytest.mark.django_db
@time_machine.travel(NOW, tick=False)
def test_batch_whose_file_is_gone_fails_with_a_chinese_message_and_imports_nothing(
    user_with_role,
):
    # Given a pending batch whose uploaded file was lost from storage
    batch = make_batch(user_with_role("manager"), archive())
    batch.file.storage.delete(batch.file.name)

    # When the task runs for it
    result = tasks.import_archive(batch.pk)

    # Then the batch is failed with a message for the user, and nothing is written
    assert result == "failed"
    batch.refresh_from_db()
    assert (batch.status, batch.finished_at, batch.errors) == (
        ImportBatch.Status.FAILED,
        NOW,
        [
            {
                "sheet": "",
                "row": 0,
                "column": "",
                "message": "系统错误,未导入任何数据;请联系系统管理员。",
            }
        ],
    )
    assert Customer.objects.count() == 0


@pytest.mark.django_db
def test_advisor_may_not_upload_an_archive_and_nothing_is_queued(role_client):
    client = role_client("advisor")

    response = upload(client, archive())

    assert response.status_code == 403
    assert ImportBatch.objects.count() == 0
