"""The nightly targets job: a real worker computes the rows; scheduled before the day's
first calls."""

import datetime as dt
import time

import pytest
import time_machine
from celery.schedules import crontab

from apps.appointments import tasks
from apps.appointments.models import Target
from dms.celery import app
from tests.factories.clock import SHANGHAI, local_datetime
from tests.factories.customers import VehicleFactory
from tests.factories.workorders import WorkOrderFactory

NOW = dt.datetime(2026, 11, 24, 1, 30, tzinfo=SHANGHAI)


def test_the_targets_are_recomputed_every_night_at_half_past_one():
    entry = app.conf.beat_schedule["appointments-refresh-targets"]

    assert entry["task"] == "apps.appointments.tasks.refresh_targets"
    assert entry["schedule"] == crontab(minute=30, hour=1)
    assert app.tasks[entry["task"]].time_limit == tasks.REFRESH_HARD_LIMIT


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_worker_computes_the_targets_and_a_second_run_gives_the_same_rows(celery_worker):
    with time_machine.travel(NOW, tick=True):
        car = VehicleFactory(sale_date=dt.date(2024, 5, 18))
        WorkOrderFactory(
            vehicle=car, customer=car.owner, opened_at=local_datetime(dt.date(2026, 5, 20))
        )

        tasks.refresh_targets.delay()
        first = _rows_when_written()
        Target.objects.all().delete()
        tasks.refresh_targets.delay()
        second = _rows_when_written()

    assert first == second
    assert (car.pk, "maintenance", dt.date(2026, 11, 20)) in first


def _rows_when_written(timeout: float = 20) -> list[tuple]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        rows = sorted(Target.objects.values_list("vehicle_id", "kind", "due_on"))
        if rows:
            return rows
        time.sleep(0.1)
    raise AssertionError("the worker wrote no targets")
