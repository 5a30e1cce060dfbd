"""The 三包 counts of a vehicle (DOMAIN.md §4, the 2022 rules with the settings' defaults)
on hand-built histories: each threshold, its one-event-short warning, what does not count,
and the query budget."""

import datetime as dt

import pytest
import time_machine

from apps.core.services import area_settings_save
from apps.core.settings import current_settings
from apps.warranty import selectors, services
from apps.warranty.models import WarrantySettings, WarrantyWatch
from apps.workorders.models import WorkOrder
from tests.factories.clock import SHANGHAI
from tests.factories.core import rules_in_cache
from tests.factories.customers import VehicleFactory
from tests.factories.warranty import history_repair
from tests.factories.workorders import flow_user

pytestmark = pytest.mark.django_db
L = WarrantyWatch.Level
# The vehicle was sold on 2024-05-18 (VehicleFactory): its return-or-replace period
# (2 years / 50,000 km) runs to 2026-05-18.
NOW = dt.datetime(2025, 6, 2, 10, 0, tzinfo=SHANGHAI)
SOLD = dt.date(2024, 5, 18)


@pytest.fixture
def by():
    return flow_user()


@pytest.fixture
def car():
    return VehicleFactory(mileage=20000)


def _status(vehicle):
    vehicle.refresh_from_db()
    return selectors.vehicle_warranty_status(vehicle, now=NOW)


def _rule(status, code):
    found = [rule for rule in status.rules if rule.code == code]
    return found[0] if found else None


def _repairs(vehicle, by, count, *, first=dt.date(2024, 8, 1), **classification):
    return [
        history_repair(vehicle, on=first + dt.timedelta(days=40 * n), by=by, **classification)
        for n in range(count)
    ]


@pytest.mark.parametrize(("repairs", "level"), [(1, L.NEAR), (2, L.REACHED), (3, L.REACHED)])
@time_machine.travel(NOW, tick=False)
def test_serious_safety_fault_repairs_warn_one_short_and_reach_at_two(car, by, repairs, level):
    made = _repairs(car, by, repairs, serious_fault="other", fault_code="C1234")

    rule = _rule(_status(car), "serious")

    assert (rule.count, rule.threshold, rule.level) == (repairs, 2, level)
    assert [event.number for event in rule.events] == [order.number for order, _ in made]
    expected = (
        "已 1 次,再 1 次即达到换车/退车条件"
        if repairs == 1
        else f"已 {repairs} 次,达到三包换车/退车条件"
    )
    assert rule.message == expected


@pytest.mark.parametrize("system", ["engine", "gearbox", "traction_battery", "drive_motor"])
@pytest.mark.parametrize(("repairs", "level"), [(1, L.NEAR), (2, L.REACHED)])
@time_machine.travel(NOW, tick=False)
def test_each_major_assembly_replaced_warns_at_one_and_reaches_at_two(
    car, by, system, repairs, level
):
    _repairs(car, by, repairs, system=system, replacement="assembly", main_part="总成")

    status = _status(car)

    rule = _rule(status, f"assembly:{system}")
    assert (rule.count, rule.threshold, rule.level) == (repairs, 2, level)
    assert status.level == level


@time_machine.travel(NOW, tick=False)
def test_replacements_of_different_assemblies_do_not_add_up(car, by):
    _repairs(car, by, 1, system="engine", replacement="assembly", main_part="总成")
    _repairs(
        car,
        by,
        1,
        first=dt.date(2025, 1, 5),
        system="gearbox",
        replacement="assembly",
        main_part="总成",
    )

    status = _status(car)

    assert [_rule(status, code).count for code in ("assembly:engine", "assembly:gearbox")] == [1, 1]
    assert status.level == L.NEAR


@pytest.mark.parametrize(("repairs", "level"), [(1, L.NEAR), (2, L.REACHED)])
@time_machine.travel(NOW, tick=False)
def test_the_same_main_part_of_a_listed_system_replaced_twice_reaches(car, by, repairs, level):
    _repairs(car, by, repairs, system="brakes", replacement="main_part", main_part="制动主缸")
    _repairs(
        car,
        by,
        1,
        first=dt.date(2025, 5, 1),
        system="brakes",
        replacement="main_part",
        main_part="助力器",
    )

    status = _status(car)

    same = _rule(status, "part:brakes:制动主缸")
    assert (same.count, same.threshold, same.level) == (repairs, 2, level)
    assert _rule(status, "part:brakes:助力器").count == 1  # another part: its own count


@pytest.mark.parametrize(
    ("days", "level", "message"),
    [
        (25, L.CLEAR, "累计 25 日"),
        (26, L.NEAR, "累计 26 日,再修理 5 日即超过 30 日"),
        (30, L.NEAR, "累计 30 日,再修理 1 日即超过 30 日"),
        (31, L.REACHED, "累计 31 日,超过 30 日,可要求换车/退车"),
    ],
)
@time_machine.travel(NOW, tick=False)
def test_repair_days_add_up_and_more_than_30_reach(car, by, days, level, message):
    # Two repairs: one of 10 days, the rest in another; a part day counts as a whole one.
    history_repair(car, on=dt.date(2024, 9, 1), days=9.5, by=by, fault_code="A1")
    history_repair(car, on=dt.date(2025, 2, 1), days=days - 10, by=by, fault_code="B2")

    rule = _rule(_status(car), "days")

    assert (rule.count, rule.threshold, rule.level, rule.message) == (days, 30, level, message)
    assert [event.days for event in rule.events] == [10, days - 10]


@time_machine.travel(NOW, tick=False)
def test_a_warranty_repair_without_a_claim_counts_its_days(car, by):
    history_repair(car, on=dt.date(2024, 9, 1), days=27, by=by)  # no claim filed

    status = _status(car)

    assert (_rule(status, "days").count, _rule(status, "days").level) == (27, L.NEAR)
    assert [rule.code for rule in status.rules] == ["days"]


@pytest.mark.parametrize(
    ("repairs", "level"), [(3, L.CLEAR), (4, L.NEAR), (5, L.REACHED), (6, L.REACHED)]
)
@time_machine.travel(NOW, tick=False)
def test_the_same_problem_repaired_more_than_four_times_reaches(car, by, repairs, level):
    _repairs(car, by, repairs, system="engine", fault_code="P0300", first=dt.date(2024, 6, 1))
    history_repair(car, on=dt.date(2025, 5, 20), by=by, system="engine", fault_code="P0171")

    status = _status(car)

    rule = _rule(status, "problem:engine:P0300")
    assert (rule.count, rule.threshold, rule.level) == (repairs, 4, level)
    assert rule.label == "同一问题修理:发动机 P0300"
    assert _rule(status, "problem:engine:P0171").count == 1


@time_machine.travel(NOW, tick=False)
def test_the_same_problem_is_the_main_part_when_there_is_no_fault_code(car, by):
    _repairs(car, by, 4, system="steering", main_part="转向机 总成", fault_code="")

    rule = _rule(_status(car), "problem:steering:转向机总成")

    assert (rule.count, rule.level) == (4, L.NEAR)


@time_machine.travel(NOW, tick=False)
def test_repairs_outside_the_period_or_the_mileage_do_not_count(car, by):
    history_repair(car, on=dt.date(2024, 5, 1), by=by, serious_fault="other", fault_code="X")
    history_repair(
        car, on=dt.date(2024, 9, 1), mileage=50001, by=by, serious_fault="other", fault_code="X"
    )
    inside, _claim = history_repair(
        car, on=dt.date(2024, 10, 1), mileage=50000, by=by, serious_fault="other", fault_code="X"
    )

    status = _status(car)

    rule = _rule(status, "serious")
    assert [event.number for event in rule.events] == [inside.number]
    assert (status.starts_on, status.return_ends_on, status.repairs) == (
        SOLD,
        dt.date(2026, 5, 18),
        1,
    )


@time_machine.travel(NOW, tick=False)
def test_a_vehicle_past_its_period_keeps_its_counts_but_has_no_warning(by):
    old = VehicleFactory(sale_date=dt.date(2022, 1, 10), mileage=70000)
    _repairs(old, by, 2, first=dt.date(2022, 6, 1), serious_fault="other", fault_code="X")

    status = _status(old)

    assert status.in_return_period is False
    assert (_rule(status, "serious").count, status.level) == (2, L.CLEAR)


@time_machine.travel(NOW, tick=False)
def test_a_vehicle_beyond_the_mileage_has_no_warning(by):
    far = VehicleFactory(mileage=50001)
    _repairs(far, by, 2, serious_fault="other", fault_code="X")

    assert _status(far).level == L.CLEAR


@time_machine.travel(NOW, tick=False)
def test_a_cancelled_order_and_its_claim_do_not_count(car, by):
    order, _claim = history_repair(
        car, on=dt.date(2024, 9, 1), by=by, serious_fault="other", fault_code="X"
    )
    WorkOrder.objects.filter(pk=order.pk).update(status=WorkOrder.Status.CANCELLED)

    assert _status(car).rules == []


@pytest.mark.parametrize(
    ("on", "replacement", "counted"),
    [
        (SOLD + dt.timedelta(days=7), "main_part", True),
        (SOLD + dt.timedelta(days=3), "assembly", True),
        (SOLD + dt.timedelta(days=8), "assembly", False),
        (SOLD + dt.timedelta(days=2), "none", False),
    ],
)
@time_machine.travel(NOW, tick=False)
def test_an_assembly_or_its_main_part_replaced_within_seven_days_gives_the_right_at_once(
    car, by, on, replacement, counted
):
    history_repair(
        car, on=on, mileage=300, by=by, system="gearbox", replacement=replacement, main_part="齿轮"
    )

    rule = _rule(_status(car), "early_replace")

    assert (rule is not None) == counted
    if counted:
        assert (rule.level, rule.message) == (L.REACHED, "客户可选择换车或退车")


@pytest.mark.parametrize(
    ("days", "mileage", "fault", "counted"),
    [
        (60, 3000, "brake_failure", True),
        (10, 800, "battery_fire", True),
        (61, 2000, "steering_failure", False),
        (30, 3001, "fuel_leak", False),
        (10, 800, "other", False),  # a serious fault, but not one of the five
    ],
)
@time_machine.travel(NOW, tick=False)
def test_a_steering_or_brake_failure_within_60_days_and_3000_km_gives_the_right_at_once(
    car, by, days, mileage, fault, counted
):
    history_repair(
        car,
        on=SOLD + dt.timedelta(days=days),
        mileage=mileage,
        by=by,
        system="brakes",
        serious_fault=fault,
        fault_code="C0001",
    )

    status = _status(car)

    assert (_rule(status, "early_fault") is not None) == counted
    assert _rule(status, "serious").level == L.NEAR  # and it counts as a serious fault


@pytest.mark.parametrize(
    ("hours", "level", "message"),
    [
        (95, None, None),
        (97, L.NEAR, "已修理 5 日,明天起应提供备用车或交通补偿"),
        (121, L.REACHED, "已修理 6 日,应提供备用车或交通补偿"),
    ],
)
def test_a_car_in_the_workshop_more_than_five_days_is_owed_a_courtesy_car(
    car, by, hours, level, message
):
    opened = dt.datetime(2025, 6, 2, 9, 0, tzinfo=SHANGHAI)
    with time_machine.travel(opened, tick=False):
        order, _claim = history_repair(car, on=opened.date(), days=None, by=by, fault_code="A")

    with time_machine.travel(opened + dt.timedelta(hours=hours), tick=False):
        car.refresh_from_db()
        status = selectors.vehicle_warranty_status(car, now=opened + dt.timedelta(hours=hours))

    rule = _rule(status, f"courtesy:{order.pk}")
    if level is None:
        assert rule is None
    else:
        assert (rule.level, rule.message, rule.label) == (
            level,
            message,
            f"单次修理超过 5 日({order.number})",
        )


@time_machine.travel(NOW, tick=False)
def test_a_past_repair_longer_than_five_days_is_listed_as_owed(car, by):
    long, _claim = history_repair(car, on=dt.date(2025, 3, 1), days=6.5, by=by, fault_code="A")
    history_repair(car, on=dt.date(2025, 4, 1), days=5, by=by, fault_code="A")

    status = _status(car)

    assert [(event.number, event.days) for event in status.long_repairs] == [(long.number, 7)]


@time_machine.travel(NOW, tick=False)
def test_the_thresholds_are_the_settings(car, by):
    row = current_settings(WarrantySettings)
    row.warranty_serious_fault_repairs = 3
    area_settings_save(rows=[row], by=by)
    _repairs(car, by, 2, serious_fault="other", fault_code="X")

    rule = _rule(_status(car), "serious")

    assert (rule.count, rule.threshold, rule.level) == (2, 3, L.NEAR)


@time_machine.travel(NOW, tick=False)
def test_the_warning_row_follows_every_claim_write(car, by):
    _order, claim = history_repair(car, on=dt.date(2024, 9, 1), by=by, fault_code="X")
    assert WarrantyWatch.objects.get(vehicle=car).level == L.CLEAR

    values = {
        "fault_description": "制动失灵",
        "cause": "主缸内漏",
        "repair_done": "更换制动主缸",
        "service_order_number": "FW1",
        "outside_service_km": 0,
        "system": "brakes",
        "main_part": "制动主缸",
        "fault_code": "",
        "serious_fault": "other",
        "replacement": "main_part",
    }
    services.claim_update(claim=claim, by=by, **values)

    watch = WarrantyWatch.objects.get(vehicle=car)
    assert (watch.level, watch.return_ends_on) == (L.NEAR, dt.date(2026, 5, 18))
    assert watch.headline.startswith("严重安全性能故障修理:已 1 次,再 1 次即达到换车/退车条件")


@time_machine.travel(NOW, tick=False)
def test_the_counts_of_a_vehicle_take_two_queries_whatever_its_history(
    car, by, django_assert_num_queries
):
    for n in range(30):
        history_repair(
            car,
            on=dt.date(2024, 6, 1) + dt.timedelta(days=11 * n),
            by=by,
            fault_code=f"P{n % 3}",
            system="engine",
        )
    rules_in_cache()
    car.refresh_from_db()

    # the vehicle's claims with their work orders; its warranty work orders
    with django_assert_num_queries(2):
        status = selectors.vehicle_warranty_status(car, now=NOW)

    assert status.repairs == 30
    assert {rule.code: rule.count for rule in status.rules if rule.code.startswith("problem")} == {
        "problem:engine:P0": 10,
        "problem:engine:P1": 10,
        "problem:engine:P2": 10,
    }
