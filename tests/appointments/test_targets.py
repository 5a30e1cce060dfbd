"""Appointment targets (预约对象, issue 9 point 1) with a fixed clock: cars whose maintenance
is due (by the date rule, or by the mileage estimated from their own visits), whose
insurance or warranty ends soon, or with declined work still open; lost cars (not seen for
the settings' 24 months), owners not to be called or unreachable, cars already booked and
cars seen since the lists were computed are left out."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine

from apps.appointments import selectors, services
from apps.appointments.models import Target
from apps.appointments.services import VisitHistory, maintenance_forecast
from apps.customers.models import Customer
from apps.workorders.models import WorkOrder
from tests.factories.accounts import UserFactory
from tests.factories.appointments import book, set_rules
from tests.factories.clock import SHANGHAI, local_datetime
from tests.factories.customers import VehicleFactory
from tests.factories.reception import recommendation
from tests.factories.workorders import WorkOrderFactory

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 24, 9, 0, tzinfo=SHANGHAI)
TODAY = NOW.date()
K = Target.Kind


def _visit(car, on: dt.date, km: int, *, next_on=None, next_km=None, **fields) -> WorkOrder:
    return WorkOrderFactory(
        vehicle=car,
        customer=car.owner,
        opened_at=local_datetime(on),
        mileage=km,
        next_maintenance_on=next_on,
        next_maintenance_km=next_km,
        **fields,
    )


def _plates(kind: str) -> list[str]:
    page = selectors.targets_page(kind=kind, today=TODAY)
    return [target.vehicle.plate for target in page.rows]


def _car(plate: str, **fields):
    fields.setdefault("sale_date", dt.date(2024, 5, 18))
    return VehicleFactory(plate=plate, **fields)


# --- the maintenance forecast ------------------------------------------------------------------


def test_the_forecast_takes_the_next_maintenance_date_set_at_the_last_delivery():
    history = VisitHistory()
    history.add(dt.date(2026, 6, 1), 12_000, dt.date(2026, 12, 1), 17_000)

    forecast = maintenance_forecast(history, sale_date=dt.date(2024, 5, 18), months=6, km=5000)

    # By mileage: 12,000 km in 744 days since the sale (16.1 km a day): 17,000 in 310 days.
    assert (forecast.due_on, forecast.due_by, forecast.next_km) == (
        dt.date(2026, 12, 1),
        "date",
        17_000,
    )
    assert forecast.daily_km == Decimal("16.1")


def test_the_forecast_by_mileage_comes_first_for_a_car_that_drives_a_lot():
    history = VisitHistory()
    history.add(dt.date(2026, 1, 10), 10_000, None, None)
    history.add(dt.date(2026, 7, 10), 25_000, None, None)

    forecast = maintenance_forecast(history, sale_date=dt.date(2024, 5, 18), months=6, km=5000)

    # 15,000 km in 181 days = 82.9 km a day; 5,000 km more in 61 days (60.3, rounded up).
    assert (forecast.due_on, forecast.due_by, forecast.next_km) == (
        dt.date(2026, 9, 9),
        "mileage",
        30_000,
    )
    assert forecast.daily_km == Decimal("82.9")


def test_without_a_usable_mileage_history_the_date_rule_decides():
    history = VisitHistory()
    history.add(dt.date(2026, 7, 10), 0, None, None)  # no mileage recorded

    forecast = maintenance_forecast(history, sale_date=None, months=6, km=5000)

    assert (forecast.due_on, forecast.due_by, forecast.daily_km) == (
        dt.date(2027, 1, 10),
        "date",
        None,
    )


def test_a_car_never_seen_is_due_an_interval_after_its_sale():
    forecast = maintenance_forecast(
        VisitHistory(), sale_date=dt.date(2026, 8, 31), months=6, km=5000
    )

    assert (forecast.due_on, forecast.due_by) == (dt.date(2027, 2, 28), "date")


# --- the lists ------------------------------------------------------------------------------------


@time_machine.travel(NOW, tick=False)
def test_maintenance_targets_are_due_by_date_or_by_estimated_mileage_and_lost_cars_are_left_out():
    by_delivery_date = _car("粤B10001")
    _visit(by_delivery_date, dt.date(2026, 6, 1), 12_000, next_on=dt.date(2026, 12, 1))
    by_interval = _car("粤B10002")
    _visit(by_interval, dt.date(2026, 5, 20), 12_000)  # + 6 months: 2026-11-20, overdue
    not_yet = _car("粤B10003")
    _visit(not_yet, dt.date(2026, 10, 1), 12_000)  # due 2027-04-01
    by_mileage = _car("粤B10004")
    _visit(by_mileage, dt.date(2026, 1, 10), 10_000)
    _visit(by_mileage, dt.date(2026, 7, 10), 25_000)  # 30,000 km on 2026-09-09
    lost = _car("粤B10005")
    _visit(lost, dt.date(2024, 11, 23), 8_000)  # not seen for over 24 months
    just_in_time = _car("粤B10006")
    _visit(just_in_time, dt.date(2024, 11, 24), 8_000)  # exactly 24 months: still a customer
    cancelled_only = _car("粤B10007")
    _visit(cancelled_only, dt.date(2026, 10, 1), 12_000)
    _visit(cancelled_only, dt.date(2026, 11, 1), 12_500, status=WorkOrder.Status.CANCELLED)
    # A cancelled order is no visit: the car stays due from 2026-10-01 (2027-04-01).

    services.targets_refresh(now=NOW)

    assert _plates(K.MAINTENANCE) == ["粤B10001", "粤B10002", "粤B10004", "粤B10006"]
    rows = {
        t.vehicle.plate: t for t in selectors.targets_page(kind=K.MAINTENANCE, today=TODAY).rows
    }
    assert (rows["粤B10004"].due_on, rows["粤B10004"].due_by) == (dt.date(2026, 9, 9), "mileage")
    assert (rows["粤B10002"].due_on, rows["粤B10002"].due_by) == (dt.date(2026, 11, 20), "date")


@time_machine.travel(NOW, tick=False)
def test_the_maintenance_horizon_is_a_setting():
    soon = _car("粤B10011")
    _visit(soon, dt.date(2026, 6, 10), 12_000)  # due 2026-12-10: 16 days ahead
    services.targets_refresh(now=NOW)

    before = _plates(K.MAINTENANCE)
    set_rules(target_maintenance_days=20)
    after = _plates(K.MAINTENANCE)

    assert (before, after) == ([], ["粤B10011"])


@time_machine.travel(NOW, tick=False)
def test_insurance_and_warranty_targets_end_within_their_horizons_and_follow_the_car():
    recent = dt.date(2025, 6, 1)  # sold within the 24 months: no visit needed yet
    insured = _car("粤B10021", sale_date=recent, insurance_expires_on=dt.date(2026, 12, 10))
    _car("粤B10022", sale_date=recent, insurance_expires_on=dt.date(2027, 1, 10))  # 47 days
    _car("粤B10023", sale_date=recent, insurance_expires_on=dt.date(2026, 11, 23))  # expired
    _car("粤B10024", sale_date=recent, warranty_end=dt.date(2026, 12, 20))
    _car("粤B10025", sale_date=dt.date(2022, 1, 1), insurance_expires_on=dt.date(2026, 12, 1))
    services.targets_refresh(now=NOW)

    assert _plates(K.INSURANCE) == ["粤B10021"]  # the lost 粤B10025 is left out
    assert _plates(K.WARRANTY) == ["粤B10024"]
    # Renewed after the lists were computed: the live date no longer matches.
    insured.insurance_expires_on = dt.date(2027, 12, 10)
    insured.save()
    assert _plates(K.INSURANCE) == []


@time_machine.travel(NOW, tick=False)
def test_cars_with_declined_work_still_open_are_targets_until_it_is_taken():
    car = _car("粤B10031")
    _visit(car, dt.date(2026, 8, 1), 20_000)
    first = recommendation(car, description="更换刹车片", amount="480.00")
    recommendation(car, description="更换雨刮", amount="120.00")
    _car("粤B10032")  # nothing declined
    services.targets_refresh(now=NOW)

    [target] = selectors.targets_page(kind=K.RECOMMENDATION, today=TODAY).rows

    assert target.vehicle.plate == "粤B10031"
    assert (target.recommendation_count, target.recommendation_amount) == (2, Decimal("600.00"))
    assert target.due_on == TODAY  # the day the oldest was declined
    first.vehicle.recommendations.update(status="dismissed")
    assert _plates(K.RECOMMENDATION) == []


@time_machine.travel(NOW, tick=False)
def test_owners_not_to_be_called_booked_cars_and_cars_seen_since_are_left_out():
    cars = {}
    for plate in ("粤B10041", "粤B10042", "粤B10043", "粤B10044"):
        cars[plate] = _car(plate)
        _visit(cars[plate], dt.date(2026, 5, 20), 12_000)
    Customer.objects.filter(pk=cars["粤B10041"].owner_id).update(do_not_call=True)
    services.targets_refresh(now=NOW)
    book(day=dt.date(2026, 11, 26), vehicle=cars["粤B10042"])
    _visit(cars["粤B10043"], TODAY, 17_000)  # came in this morning, after the refresh

    assert _plates(K.MAINTENANCE) == ["粤B10044"]


@time_machine.travel(NOW, tick=False)
def test_an_unreachable_mobile_leaves_the_lists_until_the_customer_has_another():
    car = _car("粤B10051")
    _visit(car, dt.date(2026, 5, 20), 12_000)
    services.targets_refresh(now=NOW)

    services.phone_mark_unreachable(customer=car.owner, by=UserFactory(), reason="空号")
    hidden = _plates(K.MAINTENANCE)
    Customer.objects.filter(pk=car.owner_id).update(mobile="13700000001")

    assert (hidden, _plates(K.MAINTENANCE)) == ([], ["粤B10051"])


@time_machine.travel(NOW, tick=False)
def test_refreshing_again_gives_the_same_rows_and_a_partial_refresh_touches_only_its_cars():
    car, other = _car("粤B10061"), _car("粤B10062")
    _visit(car, dt.date(2026, 5, 20), 12_000)
    _visit(other, dt.date(2026, 5, 20), 12_000)
    first = services.targets_refresh(now=NOW)
    rows = sorted(Target.objects.values_list("vehicle_id", "kind", "due_on"))

    again = services.targets_refresh(now=NOW)
    _visit(car, dt.date(2026, 11, 20), 17_000)
    services.targets_refresh(now=NOW, vehicle_ids=[car.pk])

    assert again == first
    assert sorted(
        Target.objects.exclude(vehicle=car).values_list("vehicle_id", "kind", "due_on")
    ) == [row for row in rows if row[0] == other.pk]
    assert Target.objects.get(vehicle=car, kind=K.MAINTENANCE).due_on == dt.date(2027, 5, 20)
