"""Booking (DOMAIN.md §3, issue 9 point 2): a car into a slot of a day with an advisor and
the work asked for; capacity per slot and per advisor from the settings; a full slot is
refused with a clear message and the nearest free slots; two advisors taking the last
place at once: one wins."""

import datetime as dt
import threading
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import connection

from apps.appointments import selectors, services
from apps.appointments.models import (
    Appointment,
    AppointmentPart,
    AppointmentStatusChange,
    Source,
)
from tests.factories.appointments import advisor, book, set_rules
from tests.factories.clock import SHANGHAI
from tests.factories.customers import VehicleFactory
from tests.factories.parts import PartFactory
from tests.factories.reception import recommendation
from tests.factories.workorders import CannedJobFactory, CannedJobLineFactory

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 24, 9, 0, tzinfo=SHANGHAI)  # a Tuesday morning
TOMORROW = dt.date(2026, 11, 25)


def _time(text: str) -> dt.time:
    return dt.time.fromisoformat(text)


def _fill(day, at, count, *, advisors=None):
    """`count` cars booked into one slot, two per advisor (the default per-advisor cap)."""
    advisors = advisors or [advisor() for _ in range((count + 1) // 2)]
    return [book(day=day, at=at, advisor_user=advisors[i // 2]) for i in range(count)]


@time_machine.travel(NOW, tick=False)
def test_a_booking_records_the_slot_the_work_its_parts_and_who_made_it():
    oil_filter = PartFactory(number="PT-06L115562", name="机油滤清器")
    brake_pads = PartFactory(number="PT-5QD698151", name="前刹车片")
    wiper = PartFactory(number="PT-WIPER", name="雨刮片")
    job = CannedJobFactory(name="10000 公里保养")
    CannedJobLineFactory(canned_job=job)  # a labour line: no part
    CannedJobLineFactory(
        canned_job=job, kind="part", labour_operation=None, part=oil_filter, quantity=1
    )
    car = VehicleFactory()
    declined = recommendation(car, description="更换前刹车片")
    declined.code = brake_pads.number
    declined.save()
    zhou = advisor(display_name="周服务")

    appointment = services.appointment_book(
        vehicle=car,
        by=zhou,
        day=TOMORROW,
        starts_at=_time("10:30"),
        advisor=zhou,
        requested_work="保养,顺便看看刹车",
        canned_jobs=[job],
        recommendations=[declined],
        parts=[services.NeededPart(wiper, Decimal(2)), services.NeededPart(oil_filter, Decimal(1))],
        source=Source.TARGET_MAINTENANCE,
    )

    appointment.refresh_from_db()
    assert (appointment.date, appointment.starts_at) == (
        TOMORROW,
        dt.datetime(2026, 11, 25, 10, 30, tzinfo=SHANGHAI),
    )
    assert appointment.status == Appointment.Status.BOOKED
    assert (appointment.advisor, appointment.created_by) == (zhou, zhou)
    assert appointment.customer_id == car.owner_id
    assert appointment.source == Source.TARGET_MAINTENANCE
    assert list(appointment.canned_jobs.all()) == [job]
    assert list(appointment.recommendations.all()) == [declined]
    parts = {
        row.part.number: row.quantity
        for row in AppointmentPart.objects.filter(appointment=appointment)
    }
    assert parts == {
        "PT-06L115562": Decimal(2),  # one from the canned job, one typed in
        "PT-5QD698151": Decimal(1),
        "PT-WIPER": Decimal(2),
    }
    change = AppointmentStatusChange.objects.get(appointment=appointment)
    assert (change.transition, change.to_status, change.by) == ("book", "booked", zhou)


@time_machine.travel(NOW, tick=False)
@pytest.mark.parametrize(
    ("day", "at", "message"),
    [
        (dt.date(2026, 11, 24), "08:30", "11月24日 08:30 已过,请选择之后的时段。"),
        (TOMORROW, "10:45", "请选择营业时间内的预约时段。"),
        (TOMORROW, "17:30", "请选择营业时间内的预约时段。"),  # would end after 18:00
    ],
)
def test_a_slot_in_the_past_or_outside_the_business_hours_is_refused(day, at, message):
    with pytest.raises(ValidationError) as refused:
        book(day=day, at=at)

    assert refused.value.message_dict == {"starts_at": [message]}
    assert Appointment.objects.count() == 0


@time_machine.travel(NOW, tick=False)
def test_a_booking_must_name_the_work():
    with pytest.raises(ValidationError) as refused:
        book(day=TOMORROW, work="  ")

    assert refused.value.message_dict == {
        "requested_work": ["请填写预约项目,或选择套餐、建议项目。"]
    }


@time_machine.travel(NOW, tick=False)
def test_a_car_with_an_open_appointment_is_not_booked_twice():
    first = book(day=TOMORROW, at="10:30", advisor_user=advisor(display_name="周服务"))

    with pytest.raises(ValidationError) as refused:
        book(day=TOMORROW, at="14:30", vehicle=first.vehicle)

    assert refused.value.messages == [
        "这辆车已有预约:11月25日 10:30(服务顾问 周服务),如需换时间请在该预约上改约。"
    ]
    assert Appointment.objects.count() == 1


@time_machine.travel(NOW, tick=False)
def test_the_slots_of_a_day_follow_the_business_hours_and_the_slot_length():
    set_rules(business_opens_at=dt.time(8, 0), business_closes_at=dt.time(12, 0))
    set_rules(appointment_slot_minutes=90)

    times = selectors.day_slots(selectors.Rules.now())

    assert times == [_time("08:00"), _time("09:30")]  # 11:00 would end at 12:30


@time_machine.travel(NOW, tick=False)
def test_a_full_slot_is_refused_with_the_nearest_free_slots_and_nothing_is_written():
    set_rules(appointment_slot_capacity=2)
    _fill(TOMORROW, "10:30", 2)
    _fill(TOMORROW, "09:30", 2)  # the slot before is full too
    zhou = advisor(display_name="周服务")
    car = VehicleFactory()

    with pytest.raises(services.SlotFull) as refused:
        book(day=TOMORROW, at="10:30", vehicle=car, advisor_user=zhou)

    assert refused.value.message_dict == {
        "starts_at": [
            "11月25日 10:30 时段已约满(2/2 台)。"
            "最近的空闲时段:11月25日 08:30、11月25日 11:30、11月25日 12:30。"
        ]
    }
    assert [(s.day, s.value, s.remaining) for s in refused.value.nearest] == [
        (TOMORROW, "08:30", 2),
        (TOMORROW, "11:30", 2),
        (TOMORROW, "12:30", 2),
    ]
    assert not Appointment.objects.filter(vehicle=car).exists()


@time_machine.travel(NOW, tick=False)
def test_an_advisor_with_a_full_share_of_the_slot_is_refused_while_another_advisor_books():
    zhou, wu = advisor(display_name="周服务"), advisor(display_name="吴顾问")
    _fill(TOMORROW, "10:30", 2, advisors=[zhou])

    with pytest.raises(services.SlotFull) as refused:
        book(day=TOMORROW, at="10:30", advisor_user=zhou)
    booked = book(day=TOMORROW, at="10:30", advisor_user=wu)

    assert refused.value.messages[0].startswith(
        "周服务 在 11月25日 10:30 已有 2 台预约(每位顾问每时段上限 2 台)。最近的空闲时段:"
    )
    assert booked.advisor == wu
    assert Appointment.objects.filter(date=TOMORROW).count() == 3


@time_machine.travel(NOW, tick=False)
def test_missed_cancelled_and_rebooked_appointments_free_their_place():
    set_rules(appointment_slot_capacity=1)
    [first] = _fill(TOMORROW, "10:30", 1)
    services.appointment_cancel(
        appointment=first, by=first.advisor, reason_code="customer_busy", reason=""
    )

    second = book(day=TOMORROW, at="10:30")

    assert second.status == Appointment.Status.BOOKED


@time_machine.travel(NOW, tick=False)
def test_the_nearest_free_slots_skip_past_slots_and_look_at_the_next_days():
    set_rules(appointment_slot_capacity=1, appointment_slot_minutes=240)
    # Slots 08:30 and 12:30 (16:30 would end after 18:00); today's 08:30 has passed.
    _fill(dt.date(2026, 11, 24), "12:30", 1)
    rules = selectors.Rules.now()

    nearest = selectors.nearest_free_slots(
        day=dt.date(2026, 11, 24), starts_at=_time("12:30"), advisor=None, now=NOW, rules=rules
    )

    assert [(s.day, s.value) for s in nearest] == [
        (TOMORROW, "08:30"),
        (TOMORROW, "12:30"),
        (dt.date(2026, 11, 26), "08:30"),
    ]


@time_machine.travel(NOW, tick=False)
def test_a_days_availability_counts_the_places_held_by_slot_and_for_the_advisor():
    zhou = advisor()
    _fill(TOMORROW, "10:30", 3, advisors=[zhou, advisor()])

    slots = {s.value: s for s in selectors.day_availability(day=TOMORROW, advisor=zhou, now=NOW)}

    assert (slots["10:30"].booked, slots["10:30"].remaining) == (3, 3)
    assert (slots["10:30"].advisor_booked, slots["10:30"].advisor_remaining) == (2, 0)
    assert slots["10:30"].is_free is False  # full for this advisor
    assert (slots["11:30"].remaining, slots["11:30"].is_free) == (6, True)
    assert len(slots) == 9  # 08:30 … 16:30


# --- two advisors, one last place --------------------------------------------------------------


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_advisors_booking_the_last_place_at_once_one_wins():
    with time_machine.travel(NOW, tick=False):
        set_rules(appointment_slot_capacity=3)
        _fill(TOMORROW, "10:30", 2)
        advisors = [advisor(), advisor()]
        cars = [VehicleFactory(), VehicleFactory()]
        start = threading.Barrier(2)
        results: list[object] = [None, None]

        def take(index: int) -> None:
            try:
                start.wait()
                results[index] = book(
                    day=TOMORROW, at="10:30", vehicle=cars[index], advisor_user=advisors[index]
                )
            except Exception as error:
                results[index] = error
            finally:
                connection.close()

        threads = [threading.Thread(target=take, args=(i,)) for i in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

        won = [r for r in results if isinstance(r, Appointment)]
        lost = [r for r in results if isinstance(r, services.SlotFull)]
        assert (len(won), len(lost)) == (1, 1), results
        assert lost[0].messages[0].startswith("11月25日 10:30 时段已约满(3/3 台)。")
        assert Appointment.objects.filter(date=TOMORROW, status="booked").count() == 3
