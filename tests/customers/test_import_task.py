"""The import task with a real Celery worker on the test Redis, and its claim.

Uploads go through the view, whose transaction.on_commit enqueues the task; the worker runs
in a thread of this process with its own database connection, so those tests commit their
rows (transaction=True). serialized_rollback: the flush after each of them would otherwise
drop the role groups that the migrations created. Never eager mode, never a mocked broker.
"""

import datetime as dt
import io
import time
import zipfile
from zoneinfo import ZoneInfo

import pytest
import time_machine
from celery.contrib.testing.worker import start_worker
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import OperationalError, connections, transaction
from django.urls import reverse
from django.utils import timezone
from openpyxl import Workbook

from apps.accounts.models import User
from apps.customers import importing, tasks
from apps.customers.models import Customer, ImportBatch, Vehicle
from apps.workorders.models import WorkOrder
from dms.celery import app as celery_app
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
    assert {k: v for k, v in batch.summary.items() if not k.endswith("_seconds")} == {
        "rows": 3,
        "customers_created": 1,
        "customers_filled": 0,
        "vehicles_created": 1,
        "vehicles_filled": 0,
        "work_orders_created": 1,
        "work_orders_unchanged": 0,
        "conflicts": 0,
    }
    assert (batch.rows_checked, batch.rows_total, batch.rows_written, batch.progress) == (
        3,
        3,
        3,
        100,
    )
    # and the uploaded file, which holds personal data, is gone
    assert not batch.file
    assert batch.started_at is not None
    assert batch.finished_at >= batch.started_at
    assert list(Customer.objects.values_list("name", "mobile")) == [("张伟", "13812345678")]
    assert list(Vehicle.objects.values_list("vin", "owner__name")) == [(VIN, "张伟")]
    assert list(WorkOrder.objects.values_list("number", "vehicle__vin")) == [
        ("WO2023051800012", VIN)
    ]
    # and the batch page says so
    page = client.get(response.url).content.decode()
    assert "导入完成:共 3 行,用时" in page


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
                "message": "上传的文件已不存在,未导入任何数据;请重新上传。",
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


# --- 9. a job that dies is not stuck ---------------------------------------------------


@pytest.mark.django_db
@time_machine.travel(NOW, tick=False)
def test_redelivery_of_the_same_message_after_a_worker_died_claims_the_batch_again(
    user_with_role,
):
    # Given a batch left running a second ago by message "m-1" whose worker was killed
    batch = make_batch(
        user_with_role("manager"),
        archive(),
        status=ImportBatch.Status.RUNNING,
        started_at=NOW - dt.timedelta(seconds=1),
        task_id="m-1",
        attempts=1,
    )

    # When the broker redelivers "m-1" (acks_late + reject_on_worker_lost)
    result = tasks.import_archive.apply(args=[batch.pk], task_id="m-1").get()

    # Then it is claimed again at once and imported, as the second attempt
    assert result == "done"
    batch.refresh_from_db()
    assert (batch.status, batch.attempts) == (ImportBatch.Status.SUCCEEDED, 2)
    assert Customer.objects.count() == 1


@pytest.mark.django_db
@time_machine.travel(NOW, tick=False)
def test_batch_out_of_attempts_fails_with_a_message_instead_of_looping(user_with_role):
    # Given a file that killed the worker on each of its attempts
    batch = make_batch(
        user_with_role("manager"),
        archive(),
        status=ImportBatch.Status.RUNNING,
        started_at=NOW - dt.timedelta(seconds=1),
        task_id="m-1",
        attempts=tasks.MAX_ATTEMPTS,
    )

    # When its message comes once more
    result = tasks.import_archive.apply(args=[batch.pk], task_id="m-1").get()

    # Then it is failed with a message the user sees, its file deleted, nothing imported
    assert result == "failed"
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.FAILED
    assert batch.errors[0]["message"] == tasks.MESSAGES["attempts"]
    assert not batch.file
    assert Customer.objects.count() == 0


@pytest.mark.django_db
def test_exhausted_database_retries_end_in_a_visible_failed_state(user_with_role, monkeypatch):
    # Given a database that keeps failing (the import's query raises as on an outage)
    batch = make_batch(user_with_role("manager"), archive())

    def outage(**kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(importing, "import_archive", outage)

    # When the task runs its last retry
    result = tasks.import_archive.apply(args=[batch.pk], retries=tasks.MAX_RETRIES).get()

    # Then the batch is failed, not left pending
    assert result == "failed"
    batch.refresh_from_db()
    assert (batch.status, batch.errors[0]["message"]) == (
        ImportBatch.Status.FAILED,
        tasks.MESSAGES["database"],
    )


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@time_machine.travel(dt.datetime(2026, 11, 20, 10, 0, tzinfo=dt.UTC))  # ticks: the worker runs
def test_sweep_requeues_a_batch_of_a_dead_worker_and_fails_one_out_of_attempts(
    user_with_role, celery_worker
):
    # Given a batch left running by a worker that died an hour ago, one whose message was
    # lost 20 minutes ago, and one that already used all its attempts
    manager = user_with_role("manager")
    long_ago = timezone.now() - tasks.STALE_RUNNING - dt.timedelta(minutes=1)
    dead = make_batch(manager, archive(), status=ImportBatch.Status.RUNNING, started_at=long_ago)
    lost = make_batch(manager, archive(mobile="13912345678"))
    ImportBatch.objects.filter(pk=lost.pk).update(
        created_at=timezone.now() - tasks.STALE_PENDING - dt.timedelta(minutes=10)
    )
    hopeless = make_batch(
        manager,
        archive(),
        status=ImportBatch.Status.RUNNING,
        started_at=long_ago,
        attempts=tasks.MAX_ATTEMPTS,
    )

    # When beat's sweep runs on the worker
    tasks.sweep_imports.delay()

    # Then the first two are imported by the worker, the third failed with a message
    assert wait_until_finished(dead.pk).status == ImportBatch.Status.SUCCEEDED
    assert wait_until_finished(lost.pk).status == ImportBatch.Status.SUCCEEDED
    hopeless = wait_until_finished(hopeless.pk)
    assert (hopeless.status, hopeless.errors[0]["message"]) == (
        ImportBatch.Status.FAILED,
        tasks.MESSAGES["attempts"],
    )
    assert sorted(Customer.objects.values_list("mobile", flat=True)) == [
        "13812345678",
        "13912345678",
    ]


@pytest.mark.django_db
@time_machine.travel(dt.datetime(2026, 11, 20, 10, 0, tzinfo=dt.UTC), tick=False)
def test_sweep_leaves_live_and_finished_batches_alone(user_with_role):
    manager = user_with_role("manager")
    make_batch(manager, archive(), status=ImportBatch.Status.RUNNING, started_at=timezone.now())
    make_batch(manager, archive())  # pending, just uploaded
    make_batch(manager, archive(), status=ImportBatch.Status.SUCCEEDED)

    assert tasks.sweep_import_batches(now=timezone.now()) == {"requeued": 0, "failed": 0}


# --- 10. two imports at once cannot double anything ------------------------------------


def overlapping_archive(count: int, *, note: str) -> bytes:
    workbook = Workbook(write_only=True)
    customers = workbook.create_sheet(importing.CUSTOMER_SHEET)
    customers.append([column.header for column in importing.SHEETS[importing.CUSTOMER_SHEET]])
    vehicles = workbook.create_sheet(importing.VEHICLE_SHEET)
    vehicles.append([column.header for column in importing.SHEETS[importing.VEHICLE_SHEET]])
    for n in range(count):
        mobile = f"1391234{n:04d}"
        customers.append([f"客户{n}", None, mobile, *[None] * 11, note])
        vehicles.append(
            [valid_vin(n + 100, wmi="LSV"), None, "大众", "速腾", None, None, f"客户{n}", mobile]
        )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@pytest.fixture
def two_thread_worker():
    """A real worker running two imports at once (threads pool), on the test Redis."""
    celery_app.control.purge()
    with start_worker(
        celery_app, pool="threads", concurrency=2, perform_ping_check=False, shutdown_timeout=10
    ):
        yield


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_imports_of_the_same_people_at_once_create_each_record_once(
    role_client, two_thread_worker
):
    # Given two uploads naming the same 300 customers and cars, sent together
    client = role_client("manager")
    upload(client, overlapping_archive(300, note="第一份"))
    upload(client, overlapping_archive(300, note="第二份"))
    first, second = ImportBatch.objects.order_by("pk")

    # When the worker runs both at once
    first, second = wait_until_finished(first.pk), wait_until_finished(second.pk)

    # Then both succeed and nothing is doubled: the later one found the earlier's records
    assert (first.status, second.status) == (ImportBatch.Status.SUCCEEDED,) * 2
    assert (Customer.objects.count(), Vehicle.objects.count()) == (300, 300)
    created = sorted([first.summary["customers_created"], second.summary["customers_created"]])
    assert created == [0, 300]
    later = first if first.summary["customers_created"] == 0 else second
    assert later.summary["conflicts"] == 300  # its 备注 differs from the first file's


# --- 11. uploads are checked before anything is queued ---------------------------------


def _encrypted() -> bytes:
    import msoffcrypto.format.ooxml

    out = io.BytesIO()
    msoffcrypto.format.ooxml.OOXMLFile(io.BytesIO(archive())).encrypt("1234", out)
    return out.getvalue()


def _old_xls() -> bytes:
    import xlwt

    workbook = xlwt.Workbook()
    workbook.add_sheet("客户").write(0, 0, "姓名")
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _docx() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as document:
        document.writestr("word/document.xml", "<document/>")
    return buffer.getvalue()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("content", "message"),
    [
        (lambda: "姓名,手机\n".encode(), "无法读取文件:请上传用导入模板填写的 .xlsx 文件。"),
        (_encrypted, "文件已加密,请取消密码后另存为 .xlsx 再上传。"),
        (_old_xls, "这是旧版 .xls 文件,请在 Excel 中另存为 .xlsx 后再上传。"),
        (
            _docx,
            "文件中没有 Excel 工作簿(可能是改了扩展名的其他文件),"
            "请上传用导入模板填写的 .xlsx 文件。",
        ),
        (
            lambda: archive()[:-100],
            "文件已损坏(不是完整的 .xlsx 文件),请在 Excel 中打开后另存为 .xlsx 再上传。",
        ),
    ],
    ids=["csv", "encrypted", "xls", "docx", "truncated"],
)
def test_upload_that_is_not_a_readable_workbook_is_refused_and_nothing_queued(
    role_client, content, message
):
    response = upload(role_client("manager"), content())

    assert response.status_code == 200
    assert message in response.content.decode()
    assert ImportBatch.objects.count() == 0


@pytest.mark.django_db
def test_upload_over_the_size_cap_is_refused(role_client, settings):
    settings.IMPORT_MAX_FILE_MB = 1
    content = overlapping_archive(1, note="x" * 10) + b"\0" * (1024 * 1024)

    response = upload(role_client("manager"), content)

    assert "文件过大(1.0 MB),上限为 1 MB;请拆分成几个文件。" in response.content.decode()
    assert ImportBatch.objects.count() == 0


@pytest.mark.django_db
def test_real_workbook_is_accepted_whatever_its_name_and_declared_type(role_client):
    client = role_client("manager")

    response = client.post(
        reverse("customers:import_list"),
        {"file": SimpleUploadedFile("导出数据.dat", archive(), content_type="text/plain")},
    )

    assert response.status_code == 302
    assert ImportBatch.objects.get().original_name == "导出数据.dat"


# --- 12. progress, and the status page stops polling when final -----------------------


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_progress_written_during_the_import_transaction_is_visible_to_the_status_page(
    user_with_role,
):
    # Given a batch and the import's transaction open (as while it writes)
    batch = make_batch(user_with_role("manager"), archive(), status=ImportBatch.Status.RUNNING)
    progress = importing.Progress(batch.pk)
    with transaction.atomic():
        importing.import_lock(batch)
        Customer.objects.create(name="未提交", mobile="13800000000")

        # When the importer reports progress
        progress.set(force=True, rows_written=1200, rows_total=5000, progress=62)

        # Then another connection (the status page's) sees it at once
        other = connections.create_connection("default")
        with other.cursor() as cursor:
            cursor.execute(
                "SELECT rows_written, rows_total, progress FROM customers_importbatch "
                "WHERE id = %s",
                [batch.pk],
            )
            seen = cursor.fetchone()
            cursor.execute("SELECT count(*) FROM customers_customer")
            customers_seen = cursor.fetchone()[0]
        other.close()
    progress.close()
    assert (seen, customers_seen) == ((1200, 5000, 62), 0)  # the import's own rows: not yet


@pytest.mark.django_db
@time_machine.travel(dt.datetime(2026, 11, 20, 10, 0, tzinfo=dt.UTC), tick=False)
def test_status_page_shows_a_progress_bar_and_stops_polling_when_final(role_client):
    client = role_client("manager")
    batch = make_batch(
        User.objects.get(),
        archive(),
        status=ImportBatch.Status.RUNNING,
        started_at=timezone.now(),
        rows_checked=12345,
        rows_total=20000,
        rows_written=5000,
        progress=62,
    )
    url = reverse("customers:import_detail", args=[batch.pk])

    running = client.get(url, headers={"HX-Request": "true"})
    assert running.status_code == 200
    html = running.content.decode()
    assert '<progress id="import-progress" class="w-100" max="100" value="62">' in html
    assert "已检查 12345 行,正在写入:5000 / 20000" in html
    assert 'hx-trigger="every 2s"' in html

    ImportBatch.objects.filter(pk=batch.pk).update(
        status=ImportBatch.Status.SUCCEEDED,
        finished_at=batch.started_at + dt.timedelta(seconds=42),
        summary={"rows": 3, "conflicts": 0},
    )
    final = client.get(url, headers={"HX-Request": "true"})
    assert final.status_code == 286  # htmx stops polling
    assert "hx-trigger" not in final.content.decode()
    assert "导入完成:共 3 行,用时 42 秒。" in final.content.decode()
