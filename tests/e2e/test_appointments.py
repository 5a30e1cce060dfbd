"""Issue 9 "Done when", the appointment part, on a 10-inch tablet (1024×768): the advisor
finds a car whose maintenance is due on 预约对象, books it for tomorrow in a nearly full
slot — the last place is taken by another advisor meanwhile, so the page refuses the full
slot and offers the nearest free ones; the advisor taps the offered one. Tomorrow (the
server's clock moved a day on), the appointment is confirmed from 待确认预约 an hour before,
the car arrives, and reception opens the work order with the booked canned job and the
recommendation already on the estimate.

Screenshots in var/screenshots/appointments-*.png (and /tmp). The browser keeps the real
clock; the server's is moved forward a day for the second half (time-machine, ticking):
cookies the server sets then expire later for the browser, never earlier.
"""

import datetime as dt
import re
import tempfile
from decimal import Decimal
from pathlib import Path

import pytest
import time_machine
from django.utils import timezone
from playwright.sync_api import expect

from apps.appointments import services
from apps.appointments.models import Appointment
from apps.workorders.models import LineStatus, WorkOrder, WorkOrderLine
from tests.e2e.conftest import TABLET
from tests.factories.clock import local_datetime
from tests.factories.customers import CustomerFactory, VehicleFactory
from tests.factories.parts import PartFactory
from tests.factories.reception import recommendation
from tests.factories.workorders import (
    CannedJobFactory,
    CannedJobLineFactory,
    LabourOperationFactory,
    WorkOrderFactory,
)

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

SHOTS = Path(tempfile.gettempdir())
MODEL = "速腾 2023款 300TSI"
SLOT, OFFERED = dt.time(10, 30), dt.time(11, 30)


def _shot(page, name: str, screenshot) -> None:
    screenshot(page, f"appointments-{name}")
    page.screenshot(path=SHOTS / f"appointments-{name}.png", full_page=True)


@pytest.fixture
def due_car():
    """粤B12345, a 速腾 last serviced seven months ago at 8,000 km (due by the 6-month rule,
    not yet by its mileage: 16 km a day since the sale), with a
    declined brake-pad replacement still open, and its model's 30,000 km service."""
    today = timezone.localdate()
    owner = CustomerFactory(name="王建国", mobile="13912345678")
    car = VehicleFactory(
        owner=owner,
        plate="粤B12345",
        model_name=MODEL,
        mileage=8_000,
        sale_date=today - dt.timedelta(days=700),
    )
    WorkOrderFactory(
        vehicle=car,
        customer=owner,
        mileage=8_000,
        opened_at=local_datetime(today - dt.timedelta(days=212)),
    )
    recommendation(car, description="更换前刹车片", amount="480.00")
    service = LabourOperationFactory(code="BY-30K", name="30000公里保养工时", standard_hours=1)
    job = CannedJobFactory(name="30000公里保养", model_name=MODEL, mileage=30_000)
    CannedJobLineFactory(canned_job=job, labour_operation=service, position=1)
    CannedJobLineFactory(
        canned_job=job,
        kind=WorkOrderLine.Kind.PART,
        labour_operation=None,
        part=PartFactory(number="06L115562", name="机油滤清器", price=45),
        quantity=Decimal(1),
        position=2,
    )
    services.targets_refresh()
    return car


def _fill(day, time, count, advisors):
    for index in range(count):
        services.appointment_book(
            vehicle=VehicleFactory(),
            by=advisors[index // 2],
            day=day,
            starts_at=time,
            advisor=advisors[index // 2],
            requested_work="常规保养",
        )


def test_the_advisor_books_a_target_in_a_nearly_full_slot_and_receives_it_tomorrow(
    live_server, new_page, role_user, log_in, screenshot, due_car
):
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    advisor = role_user("advisor", display_name="周服务")
    others = [role_user("advisor", display_name=name) for name in ("吴顾问", "孙顾问", "郑顾问")]
    _fill(tomorrow, SLOT, 5, others)  # 10:30: one place left of six
    _fill(tomorrow, OFFERED, 5, others)  # 11:30: one place left too
    page = new_page(TABLET)
    log_in(page, advisor)

    # 预约对象 → 保养到期: the car is listed; 预约 opens the booking form for it.
    page.locator("nav").get_by_role("button", name="预约").click()
    page.locator("nav").get_by_role("link", name="预约对象").click()
    row = page.locator("#targets tbody tr", has_text="粤B12345")
    expect(row).to_contain_text("按日期")
    _shot(page, "targets", screenshot)
    row.get_by_role("link", name="预约").click()
    expect(page.get_by_role("heading", name="新建预约")).to_be_visible()

    # Tomorrow's slots load with their places; 10:30 has one left.
    page.locator("#id_day").fill(tomorrow.isoformat())
    slot = page.locator('label[for="slot-1030"]')
    expect(slot).to_contain_text("剩 1/6")
    page.get_by_label("30000公里保养").check()
    page.get_by_label(re.compile("更换前刹车片")).check()
    slot.click()
    _shot(page, "book-slots", screenshot)

    # Meanwhile another advisor takes the last place of 10:30.
    _fill(tomorrow, SLOT, 1, [others[2]])
    page.locator("#book-submit").click()

    refusal = page.locator("#slot-full")
    expect(refusal).to_contain_text("10:30 时段已约满(6/6 台)")
    offer = page.locator("#slot-offers").get_by_role("button", name=re.compile("11:30"))
    expect(offer).to_contain_text("剩 1 位")
    _shot(page, "slot-full", screenshot)
    offer.click()

    expect(page.get_by_role("alert")).to_contain_text("已预约:粤B12345")
    booked = Appointment.objects.get(vehicle=due_car)
    assert timezone.localtime(booked.starts_at).time() == OFFERED
    assert booked.source == "target_maintenance"
    assert Appointment.objects.filter(date=tomorrow, status="booked").count() == 12  # 6 + 6
    expect(page.locator("#appointment-parts")).to_contain_text("06L115562")
    _shot(page, "booked", screenshot)

    # Tomorrow, 10:40: the server's clock moves on a day; the advisor logs in again.
    arrival_day = local_datetime(tomorrow, 10).replace(minute=40)
    with time_machine.travel(arrival_day, tick=True):
        page = new_page(TABLET)
        log_in(page, advisor)
        page.locator("nav").get_by_role("button", name="预约").click()
        page.locator("nav").get_by_role("link", name="待确认预约").click()
        due = page.locator("#due tbody tr", has_text="粤B12345")
        expect(due).to_contain_text("11:30")
        _shot(page, "confirmations", screenshot)
        due.get_by_role("button", name="确认").click()
        expect(page.get_by_role("alert")).to_contain_text("已确认")

        # On the board the car is confirmed; it is here: 到店接车 opens reception with its data.
        page.locator("nav").get_by_role("button", name="预约").click()
        page.locator("nav").get_by_role("link", name="预约看板").click()
        card = page.locator("#board .board-card", has_text="粤B12345")
        expect(card).to_contain_text("已确认")
        _shot(page, "board", screenshot)
        card.click()
        page.locator("#receive-button").click()
        expect(page.locator("#appointment-work")).to_contain_text("30000公里保养")
        page.get_by_label("进厂里程(公里)").fill("11200")
        _shot(page, "receive", screenshot)
        page.locator("#open-submit").click()

        expect(page.get_by_role("alert").first).to_contain_text("已带入预约项目 3 项")
        order = WorkOrder.objects.get(vehicle=due_car, status=WorkOrder.Status.DRAFT)
        booked.refresh_from_db()
        assert (booked.status, booked.work_order) == ("arrived", order)
        lines = list(order.lines.order_by("id").values_list("description", "status"))
        assert lines == [
            ("30000公里保养工时", LineStatus.PROPOSED),
            ("机油滤清器", LineStatus.PROPOSED),
            ("更换前刹车片", LineStatus.PROPOSED),
        ]
        page.goto(f"{live_server.url}{order.get_absolute_url()}")
        expect(page.locator("body")).to_contain_text("更换前刹车片")
        _shot(page, "work-order", screenshot)
