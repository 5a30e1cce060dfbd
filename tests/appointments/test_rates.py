"""Show rate (到店率) and on-time rate (准时率) per day, week and advisor, on an example
computed by hand: expected = arrived + no-show + past and never marked (cancelled and
re-booked appointments expected nobody); on time = arrived by the slot + 15 minutes."""

import datetime as dt
from decimal import Decimal

import pytest

from apps.appointments import selectors
from apps.appointments.models import Appointment
from tests.factories.appointments import advisor, appointment_row
from tests.factories.clock import SHANGHAI

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("settings_row")]

S = Appointment.Status
NOW = dt.datetime(2026, 11, 23, 12, 0, tzinfo=SHANGHAI)  # Monday noon


def _at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 11, day, hour, minute, tzinfo=SHANGHAI)


@pytest.fixture
def example():
    a, b = advisor(display_name="甲顾问"), advisor(display_name="乙顾问")
    rows = [
        # Monday 16th, advisor 甲: on time (10 min late), late (20 min), missed, cancelled.
        (_at(16, 9, 30), S.ARRIVED, a, _at(16, 9, 40)),
        (_at(16, 9, 30), S.ARRIVED, a, _at(16, 9, 50)),
        (_at(16, 10, 30), S.NO_SHOW, a, None),
        (_at(16, 11, 30), S.CANCELLED, a, None),
        # Monday 16th, advisor 乙: early (on time), re-booked.
        (_at(16, 10, 30), S.ARRIVED, b, _at(16, 10, 20)),
        (_at(16, 14, 30), S.REBOOKED, b, None),
        # Tuesday 17th, advisor 乙: 15 minutes late (still on time), never marked.
        (_at(17, 9, 30), S.ARRIVED, b, _at(17, 9, 45)),
        (_at(17, 10, 30), S.BOOKED, b, None),
        # Monday 23rd (next week), advisor 甲: this morning, never marked; this afternoon.
        (_at(23, 10, 30), S.CONFIRMED, a, None),
        (_at(23, 15, 30), S.CONFIRMED, a, None),
    ]
    for at, status, who, arrived_at in rows:
        appointment_row(at=at, status=status, advisor_user=who, arrived_at=arrived_at)


def _row(rate) -> tuple:
    return (
        rate.label,
        rate.expected,
        rate.arrived,
        rate.no_show,
        rate.unmarked,
        rate.on_time,
        rate.show_rate,
        rate.on_time_rate,
    )


def test_show_and_on_time_rates_by_day_week_and_advisor(example, django_assert_num_queries):
    # The appointments grouped by day and advisor (1), the advisors' names (1).
    with django_assert_num_queries(2):
        rates = selectors.appointment_rates(
            first=dt.date(2026, 11, 16), last=dt.date(2026, 11, 23), now=NOW
        )

    d = Decimal
    assert [_row(r) for r in rates.by_day] == [
        ("2026-11-16", 4, 3, 1, 0, 2, d("75.0"), d("66.7")),
        ("2026-11-17", 2, 1, 0, 1, 1, d("50.0"), d("100.0")),
        ("2026-11-23", 1, 0, 0, 1, 0, d("0.0"), None),
    ]
    assert [_row(r) for r in rates.by_week] == [
        ("11-16 起", 6, 4, 1, 1, 3, d("66.7"), d("75.0")),
        ("11-23 起", 1, 0, 0, 1, 0, d("0.0"), None),
    ]
    assert [_row(r) for r in rates.by_advisor] == [
        ("乙顾问", 3, 2, 0, 1, 2, d("66.7"), d("100.0")),
        ("甲顾问", 4, 2, 1, 1, 1, d("50.0"), d("50.0")),
    ]
    assert _row(rates.total) == ("合计", 7, 4, 1, 2, 3, d("57.1"), d("75.0"))


def test_a_period_without_appointments_has_no_rates(example):
    rates = selectors.appointment_rates(
        first=dt.date(2026, 10, 1), last=dt.date(2026, 10, 31), now=NOW
    )

    assert (rates.by_day, rates.by_week, rates.by_advisor) == ([], [], [])
    assert (rates.total.show_rate, rates.total.on_time_rate) == (None, None)
