"""The reading of licence photos by a real Celery worker on the test Redis, with the real
OCR engine (the optional extra), and the task's retries and failures.

As in test_import_task.py: the upload goes through the page, whose transaction.on_commit
sends the task; the worker runs in a thread of this process with its own database
connection, so these tests commit their rows (transaction=True, serialized_rollback).
"""

import datetime as dt
import time

import pytest
import time_machine
from celery.schedules import crontab
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import OperationalError
from django.urls import reverse

from apps.customers import licence_scans, tasks
from apps.customers.models import LicenceScan
from dms.celery import app as celery_app
from tests.factories.clock import SHANGHAI
from tests.factories.licences import Card, card_photo, licence_scan, needs_the_ocr_extra

pytestmark = pytest.mark.celery

CARD = Card()
# The engine reads a card in 1-5 s on this machine (more under load); 90 s bound a broken test.
WAIT_SECONDS = 90


@pytest.fixture(autouse=True)
def private_root(settings, tmp_path):
    """Photos go to a temporary folder; the worker thread reads the same settings."""
    settings.PRIVATE_ROOT = tmp_path / "private"


def wait_until_read(pk: int) -> LicenceScan:
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        scan = LicenceScan.objects.get(pk=pk)
        if scan.status != LicenceScan.Status.PENDING:
            return scan
        if time.monotonic() > deadline:
            pytest.fail(f"licence scan {pk} still pending after {WAIT_SECONDS} s")
        time.sleep(0.2)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@needs_the_ocr_extra
def test_a_photo_taken_on_reception_is_read_by_the_worker_and_fills_the_form(
    role_client, celery_worker
):
    # Given an advisor on reception
    client = role_client("advisor")

    # When the advisor takes the photo
    response = client.post(
        reverse("workorders:reception_scan"),
        {"image": SimpleUploadedFile("IMG_0042.JPG", card_photo(CARD), "image/jpeg")},
    )

    # Then the worker reads it in the background, and the page shows the fields filled
    scan = LicenceScan.objects.get()
    assert response.url == reverse("workorders:reception_scan_confirm", args=[scan.pk])
    scan = wait_until_read(scan.pk)
    assert (scan.status, scan.error, scan.attempts) == (LicenceScan.Status.READ, "", 1)
    assert {name: f["value"] for name, f in scan.reading["fields"].items() if f["value"]} == {
        "plate": CARD.plate,
        "vin": CARD.vin,
        "engine_number": CARD.engine_number,
        "owner": CARD.owner,
        "address": CARD.address,
        "brand_model": CARD.brand_model,
        "vehicle_type": CARD.vehicle_type,
        "use_character": CARD.use_character,
        "registered_on": CARD.registered_on,
        "issued_on": CARD.issued_on,
    }
    poll = client.get(response.url, HTTP_HX_REQUEST="true")
    assert poll.status_code == 286  # htmx stops polling
    form = poll.context["vehicle_form"]
    assert (form.initial["vin"], form.initial["plate"]) == (CARD.vin, CARD.plate)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@time_machine.travel(dt.datetime(2026, 11, 16, 10, 0, tzinfo=SHANGHAI))  # ticks: the worker runs
@needs_the_ocr_extra
def test_the_sweep_reads_again_a_photo_whose_message_was_lost(user_with_role, celery_worker):
    # Given a photo uploaded at 09:05 whose message never reached a worker
    scan = licence_scan(
        by=user_with_role("advisor"), status=LicenceScan.Status.PENDING, photo=card_photo(CARD)
    )

    # When beat runs the sweep
    result = tasks.sweep_licence_scans.apply().get()

    # Then it is queued again and read
    assert result == {"erased": 0, "requeued": 1}
    scan = wait_until_read(scan.pk)
    assert scan.status == LicenceScan.Status.READ
    assert scan.reading["fields"]["vin"]["value"] == CARD.vin


@pytest.mark.django_db
def test_a_database_outage_after_the_last_retry_fails_the_photo_visibly(
    user_with_role, monkeypatch
):
    scan = licence_scan(by=user_with_role("advisor"), status=LicenceScan.Status.PENDING)

    def outage(**kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(licence_scans, "licence_scan_read", outage)

    result = tasks.read_licence_scan.apply(args=[scan.pk], retries=tasks.LICENCE_MAX_RETRIES).get()

    assert result == "failed"
    scan.refresh_from_db()
    assert (scan.status, scan.error) == (
        LicenceScan.Status.FAILED,
        licence_scans.MESSAGES["database"],
    )


@pytest.mark.django_db
def test_an_unexpected_error_fails_the_photo_with_a_message_instead_of_waiting_forever(
    user_with_role, monkeypatch
):
    scan = licence_scan(by=user_with_role("advisor"), status=LicenceScan.Status.PENDING)

    def broken(**kwargs):
        raise RuntimeError("onnxruntime: bad model")

    monkeypatch.setattr(licence_scans, "licence_scan_read", broken)

    result = tasks.read_licence_scan.apply(args=[scan.pk]).get()

    assert result == "failed"
    scan.refresh_from_db()
    assert (scan.status, scan.error) == (
        LicenceScan.Status.FAILED,
        licence_scans.MESSAGES["system"],
    )


def test_the_sweep_runs_every_ten_minutes_and_a_reading_ends_well_inside_the_broker_timeout():
    schedule = celery_app.conf.beat_schedule["customers-sweep-licence-scans"]

    assert schedule["task"] == "apps.customers.tasks.sweep_licence_scans"
    assert schedule["schedule"] == crontab(minute="*/10")
    limit = celery_app.tasks["apps.customers.tasks.read_licence_scan"].time_limit
    assert limit == tasks.LICENCE_HARD_LIMIT
    assert celery_app.conf.broker_transport_options["visibility_timeout"] > limit
    assert licence_scans.STALE_PENDING.total_seconds() > limit
