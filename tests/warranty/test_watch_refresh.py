"""The 三包 watch rows: written by every claim write, and refreshed nightly for what time
alone changes (a car's days in the workshop grow; a return-or-replace period ends)."""

import datetime as dt

import pytest
import time_machine
from celery.schedules import crontab

from apps.warranty import services
from apps.warranty.models import WarrantyWatch
from dms.celery import app
from tests.factories.clock import SHANGHAI
from tests.factories.customers import VehicleFactory
from tests.factories.warranty import history_repair
from tests.factories.workorders import flow_user

pytestmark = pytest.mark.django_db
L = WarrantyWatch.Level
OPENED = dt.datetime(2026, 3, 2, 9, 0, tzinfo=SHANGHAI)


def _level(vehicle) -> int:
    return WarrantyWatch.objects.get(vehicle=vehicle).level


def test_the_nightly_refresh_warns_of_a_car_whose_days_in_the_workshop_grew():
    by = flow_user()
    car = VehicleFactory(sale_date=dt.date(2025, 6, 1), mileage=20000)
    with time_machine.travel(OPENED + dt.timedelta(days=1), tick=False):
        history_repair(car, on=OPENED.date(), days=None, by=by, fault_code="P0700")
    assert _level(car) == L.CLEAR  # 2 days in the workshop when its claim was written

    later = OPENED + dt.timedelta(days=6, hours=1)
    with time_machine.travel(later, tick=False):
        refreshed = services.warranty_watch_refresh_recent(now=later)

    assert refreshed == 1
    watch = WarrantyWatch.objects.get(vehicle=car)
    assert (watch.level, watch.refreshed_at) == (L.REACHED, later)
    assert watch.headline.startswith("单次修理超过 5 日")


def test_the_nightly_refresh_clears_a_vehicle_whose_period_ended():
    by = flow_user()
    car = VehicleFactory(sale_date=dt.date(2024, 3, 10), mileage=20000)
    with time_machine.travel(OPENED, tick=False):
        history_repair(car, on=dt.date(2025, 5, 1), by=by, serious_fault="other", fault_code="X")
    assert _level(car) == L.NEAR

    after = dt.datetime(2026, 3, 11, 3, 10, tzinfo=SHANGHAI)
    with time_machine.travel(after, tick=False):
        services.warranty_watch_refresh_recent(now=after)
        again = services.warranty_watch_refresh_recent(now=after)  # safe to run twice

    assert again == 1
    assert _level(car) == L.CLEAR


def test_the_refresh_runs_every_night_at_ten_past_three():
    app.loader.import_default_modules()
    entry = app.conf.beat_schedule["warranty-refresh-watch"]

    assert entry["schedule"] == crontab(minute=10, hour=3)
    assert entry["task"] in app.tasks
