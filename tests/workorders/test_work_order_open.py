"""Reception: work_order_open numbers the order (WO + local date + serial, unique under
concurrency), takes the owner as customer, guards the mileage and the insurer, updates the
vehicle's mileage and creates the empty pre-inspection sheet."""

import datetime as dt
import threading

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import connection

from apps.customers.models import Vehicle
from apps.workorders.models import Inspection, NumberSequence, WorkOrder
from apps.workorders.services import work_order_open
from tests.factories.clock import SHANGHAI
from tests.factories.customers import VehicleFactory
from tests.factories.workorders import flow_user

NOW = dt.datetime(2026, 7, 1, 10, 0, tzinfo=SHANGHAI)
PROMISED = dt.datetime(2026, 7, 1, 17, 0, tzinfo=SHANGHAI)


def _open(vehicle, by, **kwargs):
    values = {"kind": WorkOrder.Kind.MAINTENANCE, "mileage": 31000, "promised_at": PROMISED}
    return work_order_open(vehicle=vehicle, by=by, **(values | kwargs))


@pytest.mark.django_db
@time_machine.travel(NOW, tick=False)
def test_an_order_opens_for_the_owner_with_a_number_and_an_empty_sheet():
    advisor = flow_user()
    vehicle = VehicleFactory(mileage=30000)

    first = _open(vehicle, advisor, customer_words="  刹车有异响  ")
    second = _open(vehicle, advisor, mileage=31000)

    assert (first.number, second.number) == ("WO202607010001", "WO202607010002")
    assert (
        first.customer_id,
        first.advisor,
        first.status,
        first.opened_at,
        first.promised_at,
        first.customer_words,
    ) == (vehicle.owner_id, advisor, WorkOrder.Status.DRAFT, NOW, PROMISED, "刹车有异响")
    assert Inspection.objects.filter(work_order=first).count() == 1
    vehicle.refresh_from_db()
    assert (vehicle.mileage, vehicle.mileage_recorded_on) == (31000, dt.date(2026, 7, 1))
    assert vehicle.history.first().mileage == 31000  # saved through the model: history kept


@pytest.mark.django_db
@time_machine.travel(dt.datetime(2026, 7, 1, 16, 30, tzinfo=dt.UTC), tick=False)
def test_the_number_takes_the_local_date():
    # 16:30 UTC is 00:30 on 2 July in Shanghai
    order = _open(VehicleFactory(), flow_user())

    assert order.number == "WO202607020001"


@pytest.mark.django_db
@time_machine.travel(NOW, tick=False)
def test_a_lower_mileage_needs_a_reason_and_nothing_is_written_without_one():
    vehicle = VehicleFactory(mileage=30000)
    by = flow_user()

    with pytest.raises(ValidationError) as refused:
        _open(vehicle, by, mileage=29000)

    assert refused.value.message_dict == {
        "mileage_lower_reason": ["进厂里程低于上次记录的 30000 公里,请填写原因。"]
    }
    assert WorkOrder.objects.count() == 0
    assert Vehicle.objects.get(pk=vehicle.pk).mileage == 30000

    order = _open(vehicle, by, mileage=29000, mileage_lower_reason="仪表更换")

    assert order.mileage_lower_reason == "仪表更换"
    assert Vehicle.objects.get(pk=vehicle.pk).mileage == 29000


@pytest.mark.django_db
@time_machine.travel(NOW, tick=False)
def test_an_accident_order_needs_the_insurer():
    vehicle, by = VehicleFactory(), flow_user()

    with pytest.raises(ValidationError) as refused:
        _open(vehicle, by, kind=WorkOrder.Kind.ACCIDENT)

    assert refused.value.message_dict == {"insurer": ["事故车工单必须填写保险公司。"]}
    order = _open(
        vehicle, by, kind=WorkOrder.Kind.ACCIDENT, insurer="平安保险", insurer_claim_number="R1"
    )
    assert (order.insurer, order.insurer_claim_number) == ("平安保险", "R1")


@pytest.mark.django_db(transaction=True)
@time_machine.travel(NOW, tick=False)
def test_numbers_stay_unique_when_advisors_open_orders_at_once():
    # Given eight advisors at eight counters (threads, each its own connection)
    by = flow_user()
    vehicles = [VehicleFactory() for _ in range(8)]
    barrier = threading.Barrier(len(vehicles))
    numbers, errors = [], []

    def open_one(vehicle):
        try:
            barrier.wait(timeout=10)
            numbers.append(_open(vehicle, by).number)
        except Exception as error:  # reported below
            errors.append(error)
        finally:
            connection.close()

    # When they all open an order at the same moment
    threads = [threading.Thread(target=open_one, args=(v,)) for v in vehicles]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # Then every order has its own number, with no gap
    assert errors == []
    assert sorted(numbers) == [f"WO20260701{serial:04d}" for serial in range(1, 9)]
    assert NumberSequence.objects.get(key="WO20260701").last == 8
