"""The Celery tests of one run use a queue of their own on the shared test Redis (issue 6
point 16): two runs side by side (two sessions on one Redis database, CI beside a
developer) never consume each other's messages."""

import os
import subprocess
import sys
import time

import pytest
import redis
from django.conf import settings

from apps.customers import tasks
from dms.celery import app as celery_app

pytestmark = pytest.mark.celery

# A worker takes a message in milliseconds; 10 s only bounds a broken test.
WAIT_SECONDS = 10


@pytest.fixture
def broker():
    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    yield client
    client.close()


def _queue_of_a_fresh_run() -> str:
    script = "import django; django.setup(); from django.conf import settings; "
    script += "print(settings.CELERY_TASK_DEFAULT_QUEUE)"
    return subprocess.run(  # noqa: S603 (our own interpreter and a fixed script)
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
        cwd=settings.BASE_DIR,
        # A fresh run, not a worker this run starts: it does not inherit this run's queue.
        env={k: v for k, v in os.environ.items() if k != "DMS_TEST_QUEUE"},
    ).stdout.strip()


def test_each_run_gets_a_queue_of_its_own_and_its_worker_consumes_only_that():
    first, second = _queue_of_a_fresh_run(), _queue_of_a_fresh_run()

    assert first != second
    assert first.startswith("dms-test-") and second.startswith("dms-test-")
    assert celery_app.conf.task_default_queue == settings.CELERY_TASK_DEFAULT_QUEUE
    assert celery_app.conf.worker_enable_remote_control is False


@pytest.fixture
def another_run(broker):
    """The queue a parallel run (another pytest process) sends its tasks to."""
    queue = _queue_of_a_fresh_run()
    yield queue
    broker.delete(*broker.scan_iter(match=f"*{queue}*"))


@pytest.mark.django_db
def test_the_worker_of_this_run_leaves_another_runs_messages_alone(
    broker, another_run, celery_worker
):
    own = settings.CELERY_TASK_DEFAULT_QUEUE
    # Given a message of a parallel run waiting in its queue on the same Redis database
    tasks.import_archive.apply_async(args=[0], queue=another_run)
    assert broker.llen(another_run) == 1

    # When this run sends a task (batch 0 does not exist: the task finds nothing to claim)
    tasks.import_archive.delay(0)

    # Then this run's worker takes its own message, and never the other run's
    deadline = time.monotonic() + WAIT_SECONDS
    while broker.llen(own) and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.5)  # room for a wrong worker to take the other message too
    assert broker.llen(own) == 0
    assert broker.llen(another_run) == 1
