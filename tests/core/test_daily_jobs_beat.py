"""The daily jobs with a real Celery beat and worker on the test Redis and PostgreSQL: beat
sends the ledger task on its schedule, the worker runs the day's jobs; after both were
down for days, the missed days are caught up in order as soon as they are back, and
nothing is done twice.

Beat (celery.beat's own Service, threaded, with a schedule file kept on disk between its
runs as `celery beat` keeps it) and the worker (celery.contrib.testing.worker) run in this
process, so time-machine moves their clock too: beat fires at the pinned times. Each has
its own database connection, so the test commits its rows (transaction=True).
"""

import datetime as dt
import time
from contextlib import contextmanager

import pytest
import redis
import time_machine
from celery.beat import EmbeddedService
from celery.contrib.testing.worker import start_worker
from django.conf import settings
from django.db.models import Count

from apps.callbacks.models import Callback
from apps.core.models import JobRun
from apps.core.tasks import run_daily_jobs
from dms.celery import app as celery_app
from tests.factories.callbacks import delivered_order
from tests.factories.clock import local_datetime

pytestmark = pytest.mark.celery

# A day's jobs on this test's few rows take well under a second each; 90 s only bounds a
# broken test on a loaded machine.
WAIT_SECONDS = 90


def day(month: int, number: int) -> dt.date:
    return dt.date(2026, month, number)


@contextmanager
def worker_and_beat(schedule_file):
    """A worker consuming this run's queue, and beat sending the schedule of dms/celery.py,
    until the block ends (then both stop: the dealership's server is down)."""
    celery_app.control.purge()
    with start_worker(celery_app, perform_ping_check=False, shutdown_timeout=30):
        beat = EmbeddedService(celery_app, thread=True, schedule_filename=str(schedule_file))
        beat.start()
        # Beat has read its schedule (and given a new entry its first "last run": now)
        # once it settled on its loop interval; only then may the test move the clock.
        deadline = time.monotonic() + WAIT_SECONDS
        while beat.service.effective_max_interval is None:
            assert time.monotonic() < deadline, "beat never started"
            time.sleep(0.05)
        try:
            yield
        finally:
            beat.stop()
            beat.join(10)


def wait_for_dates(first: dt.date, last: dt.date) -> list[JobRun]:
    """The callback job's ledger rows of first … last once all succeeded."""
    wanted = (last - first).days + 1
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        rows = list(
            JobRun.objects.filter(
                job="callbacks-generate",
                business_date__range=(first, last),
                status=JobRun.Status.SUCCEEDED,
            ).order_by("business_date")
        )
        if len(rows) == wanted:
            return rows
        if time.monotonic() > deadline:
            pytest.fail(f"{len(rows)} of {wanted} dates done after {WAIT_SECONDS} s")
        time.sleep(0.2)


def wait_until_the_queue_is_empty() -> None:
    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    deadline = time.monotonic() + WAIT_SECONDS
    while client.llen(settings.CELERY_TASK_DEFAULT_QUEUE):
        assert time.monotonic() < deadline, "the worker never took the message"
        time.sleep(0.1)
    client.close()
    time.sleep(1)  # room for the task taken to finish


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_after_six_days_down_the_missed_days_are_caught_up_in_order_when_back(tmp_path):
    schedule_file = tmp_path / "celerybeat-schedule"
    # Given a delivery every day from 20 February to 9 March
    with time_machine.travel(local_datetime(day(2, 20), 8), tick=False):
        orders = [delivered_order(day(2, 20) + dt.timedelta(days=n)) for n in range(18)]

    # and the worker and beat running on the evening of 3 March: at midnight beat sends
    # the daily jobs, and the worker does 4 March (and the week before, never done)
    evening = local_datetime(day(3, 3), 23).replace(minute=59)
    with time_machine.travel(evening, tick=True) as clock, worker_and_beat(schedule_file):
        clock.shift(dt.timedelta(seconds=61))  # 00:00:01 on 4 March
        before = wait_for_dates(day(2, 26), day(3, 4))
    assert before[-1].trigger == JobRun.Trigger.SCHEDULE
    assert {row.trigger for row in before[:-1]} == {JobRun.Trigger.CATCH_UP}

    # When the server is down from then until the morning of 10 March, and comes back at
    # 08:51 (beat's schedule file remembers its last run on 4 March)
    back = local_datetime(day(3, 10), 8).replace(minute=51)
    with time_machine.travel(back, tick=True), worker_and_beat(schedule_file):
        # Then beat sends the missed run at once (not at its next 10-minute mark), and the
        # worker does 5 to 10 March, oldest first
        after = wait_for_dates(day(3, 5), day(3, 10))
        assert max(row.finished_at for row in after) < local_datetime(day(3, 10), 9)

        # and one more run (a duplicate message, the next beat) changes nothing
        run_daily_jobs.delay()
        wait_until_the_queue_is_empty()

    assert [row.business_date for row in after] == [day(3, n) for n in range(5, 11)]
    assert [row.trigger for row in after] == ["catch_up"] * 5 + ["schedule"]
    for earlier, later in zip(after, after[1:], strict=False):
        assert earlier.finished_at <= later.started_at
    # every date of both runs ran once
    ledger = JobRun.objects.filter(job="callbacks-generate")
    assert ledger.count() == 13  # 26 February … 10 March
    assert set(ledger.values_list("status", "attempts")) == {("succeeded", 1)}
    segments = JobRun.objects.filter(job="customers-recompute-segments").order_by("business_date")
    assert list(segments.values_list("business_date", "status", "attempts")) == [
        (day(2, 1), "succeeded", 1),
        (day(3, 1), "succeeded", 1),
    ]
    # and each delivery whose 3DC window (day 3 to 5) meets 26 February … 10 March has its
    # 3DC once: those of 21 February to 7 March
    with_3dc = {order.pk for order in orders[1:16]}
    counts = dict(
        Callback.objects.filter(kind="3dc")
        .values_list("work_order")
        .annotate(n=Count("id"))
        .values_list("work_order", "n")
    )
    assert counts == dict.fromkeys(with_3dc, 1)
    assert sum(row.result["3dc"] for row in ledger) == len(with_3dc)
