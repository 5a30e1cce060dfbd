"""Arrival (到店): reception opens the work order with the appointment's data; the order is
linked to the appointment (the dispatch board reads `work_order.appointment`) and its
estimate starts filled with the booked canned jobs and recommendations."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError

from apps.appointments import services
from apps.appointments.models import Appointment
from apps.workorders.models import LineStatus, Recommendation, WorkOrder
from tests.factories.appointments import book
from tests.factories.clock import SHANGHAI
from tests.factories.customers import VehicleFactory
from tests.factories.reception import recommendation
from tests.factories.workorders import CannedJobFactory, CannedJobLineFactory

pytestmark = pytest.mark.django_db

BOOKED_AT = dt.datetime(2026, 11, 24, 16, 0, tzinfo=SHANGHAI)
DAY = dt.date(2026, 11, 25)
ARRIVAL = dt.datetime(2026, 11, 25, 10, 40, tzinfo=SHANGHAI)
S = Appointment.Status


@pytest.fixture
def appointment():
    """Tomorrow 10:30: a canned job of one labour line (0.5 h at 200) and an open
    recommendation of the car (brake pads, 480.00)."""
    with time_machine.travel(BOOKED_AT, tick=False):
        car = VehicleFactory(mileage=30_000)
        job = CannedJobFactory(name="30000 公里保养")
        CannedJobLineFactory(canned_job=job)
        declined = recommendation(car, description="更换刹车片", amount="480.00")
        return book(
            day=DAY,
            at="10:30",
            vehicle=car,
            canned_jobs=[job],
            recommendations=[declined],
            work="30000公里保养,刹车片一起换",
        )


def _receive(appointment, **fields):
    arguments = {
        "kind": WorkOrder.Kind.MAINTENANCE,
        "mileage": 31_200,
        "promised_at": dt.datetime(2026, 11, 25, 15, 0, tzinfo=SHANGHAI),
        "customer_words": appointment.requested_work,
    } | fields
    return services.appointment_receive(
        appointment=appointment, by=appointment.advisor, **arguments
    )


def test_arrival_opens_the_work_order_linked_and_filled_with_the_booked_work(appointment):
    with time_machine.travel(dt.datetime(2026, 11, 25, 10, 40, tzinfo=SHANGHAI), tick=False):
        received = _receive(appointment)

    order = received.work_order
    appointment.refresh_from_db()
    assert appointment.status == S.ARRIVED
    assert appointment.arrived_at == dt.datetime(2026, 11, 25, 10, 40, tzinfo=SHANGHAI)
    assert appointment.work_order == order
    assert WorkOrder.objects.get(pk=order.pk).appointment == appointment  # the reverse side
    assert (order.status, order.advisor, order.mileage) == (
        WorkOrder.Status.DRAFT,
        appointment.advisor,
        31_200,
    )
    assert order.customer_words == "30000公里保养,刹车片一起换"
    lines = list(order.lines.order_by("id").values_list("description", "status", "amount"))
    assert lines == [
        (
            "更换机油机滤" + lines[0][0].removeprefix("更换机油机滤"),
            LineStatus.PROPOSED,
            Decimal("100.00"),
        ),
        ("更换刹车片", LineStatus.PROPOSED, Decimal("480.00")),
    ]
    assert received.lines == 2 and received.skipped == []
    assert Recommendation.objects.get().status == Recommendation.Status.ACCEPTED
    order.refresh_from_db()
    assert order.total_amount == Decimal("580.00")
    assert hasattr(order, "inspection")  # reception continues with the sheet


def test_a_recommendation_taken_meanwhile_is_skipped_and_named(appointment):
    Recommendation.objects.update(status=Recommendation.Status.DISMISSED)

    with time_machine.travel(dt.datetime(2026, 11, 25, 10, 40, tzinfo=SHANGHAI), tick=False):
        received = _receive(appointment)

    assert received.lines == 1
    assert received.skipped == ["建议项目“更换刹车片”已处理"]


def test_arrival_on_another_day_is_refused(appointment):
    evening_before = dt.datetime(2026, 11, 24, 17, 0, tzinfo=SHANGHAI)
    with time_machine.travel(evening_before, tick=False), pytest.raises(ValidationError) as refused:
        _receive(appointment)

    assert "今天不能按此预约接车" in refused.value.messages[0]
    appointment.refresh_from_db()
    assert appointment.status == S.BOOKED
    assert WorkOrder.objects.count() == 0


def test_a_refused_opening_leaves_the_appointment_as_it_was(appointment):
    with time_machine.travel(ARRIVAL, tick=False), pytest.raises(ValidationError) as refused:
        _receive(appointment, mileage=29_000)  # below the last 30,000 km, no reason

    assert refused.value.message_dict == {
        "mileage_lower_reason": ["进厂里程低于上次记录的 30000 公里,请填写原因。"]
    }
    appointment.refresh_from_db()
    assert (appointment.status, appointment.work_order, appointment.arrived_at) == (
        S.BOOKED,
        None,
        None,
    )
    assert WorkOrder.objects.count() == 0
    assert Recommendation.objects.get().status == Recommendation.Status.OPEN


def test_a_second_arrival_of_the_same_appointment_is_refused(appointment):
    stale = Appointment.objects.get(pk=appointment.pk)
    with time_machine.travel(dt.datetime(2026, 11, 25, 10, 40, tzinfo=SHANGHAI), tick=False):
        _receive(appointment)
        with pytest.raises(ValidationError) as refused:
            _receive(stale)

    assert refused.value.messages == ["预约状态已被他人更新(当前:已到店),请刷新后再操作。"]
    assert WorkOrder.objects.count() == 1
