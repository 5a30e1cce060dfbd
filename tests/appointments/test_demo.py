"""The appointment demo (seed_demo): ten years' bookings in the real shape — arrived ones
linked to the visits, missed, cancelled and re-booked ones, never beyond a slot's or an
advisor's places, a show rate near 90 % and most cars on time — the targets computed, and
a busy today built through the services."""

import datetime as dt

import pytest
import time_machine
from django.db.models import Count, Max

from apps.appointments import demo, selectors
from apps.appointments.models import Appointment, Target
from apps.core import seeding
from apps.customers import demo as customers_demo
from apps.workorders.models import WorkOrder
from tests.factories.clock import SHANGHAI

pytestmark = pytest.mark.django_db

SMALL = 300  # customers a year
LOADED_AT = dt.datetime(2026, 11, 20, 14, 10, tzinfo=SHANGHAI)
TODAY = LOADED_AT.date()
S = Appointment.Status


@pytest.fixture
def loaded(monkeypatch):
    monkeypatch.setattr(customers_demo, "CUSTOMERS_PER_YEAR", SMALL)
    monkeypatch.setattr(customers_demo, "BATCH", 200)
    with time_machine.travel(LOADED_AT, tick=False):
        run = seeding.seed_all(seeding.DemoRun(seed=7, years=1, now=LOADED_AT, log=lambda _: None))
        yield run


def test_the_history_never_overbooks_a_slot_or_an_advisor_and_shows_realistic_rates(loaded):
    rules = selectors.Rules.now()
    held = Appointment.objects.filter(status__in=[S.BOOKED, S.CONFIRMED, S.ARRIVED])
    per_slot = held.values("date", "starts_at").annotate(n=Count("id")).aggregate(m=Max("n"))
    per_advisor = (
        held.values("date", "starts_at", "advisor").annotate(n=Count("id")).aggregate(m=Max("n"))
    )
    past = Appointment.objects.filter(date__lt=TODAY)
    rates = selectors.appointment_rates(
        first=loaded.start, last=TODAY - dt.timedelta(days=1), now=LOADED_AT
    )

    assert per_slot["m"] <= rules.capacity
    assert per_advisor["m"] <= rules.advisor_capacity
    assert set(past.values_list("status", flat=True)) == {
        S.ARRIVED,
        S.NO_SHOW,
        S.CANCELLED,
        S.REBOOKED,
    }
    assert not past.filter(status=S.ARRIVED, work_order__isnull=True).exists()
    # Each arrival is its visit's: same car, same day.
    arrived = past.filter(status=S.ARRIVED).select_related("work_order")[:200]
    assert all(a.work_order.vehicle_id == a.vehicle_id for a in arrived)
    assert 80 <= rates.total.show_rate <= 95
    assert 70 <= rates.total.on_time_rate <= 90
    assert past.filter(rebooked_to__isnull=False).count() == past.filter(status=S.REBOOKED).count()
    assert len(demo.ensure_advisors()) == 3


def test_today_is_busy_and_built_through_the_services(loaded):
    today = Appointment.objects.filter(date=TODAY)
    started = today.filter(starts_at__lte=LOADED_AT)
    ahead = today.filter(starts_at__gt=LOADED_AT)
    received = started.filter(status=S.ARRIVED)

    assert today.count() >= 30
    assert received.count() >= 10
    assert all(a.work_order.lines.exists() for a in received.select_related("work_order"))
    assert all(a.arrived_at <= LOADED_AT for a in received)
    assert set(started.values_list("status", flat=True)) <= {S.ARRIVED, S.NO_SHOW, S.CONFIRMED}
    assert set(ahead.values_list("status", flat=True)) <= {S.BOOKED, S.CONFIRMED}
    assert ahead.filter(status_changes__transition="book").count() == ahead.count()
    assert Appointment.objects.filter(date__gt=TODAY, status=S.BOOKED).exists()
    # Nothing happened after the moment of loading: opened orders and arrivals are earlier.
    assert not WorkOrder.objects.filter(opened_at__gt=LOADED_AT).exists()
    assert not Appointment.objects.filter(created_at__gt=LOADED_AT).exists()
    assert Target.objects.filter(kind=Target.Kind.MAINTENANCE).exists()


def test_the_demo_is_loaded_once(loaded):
    before = Appointment.objects.count()

    with time_machine.travel(LOADED_AT, tick=False):
        demo.seed(loaded)

    assert Appointment.objects.count() == before
