"""Pre-picking (预先捡料, issue 10 point 4): the evening before, the parts of a fixed day's
appointments are reserved on a pick list by bin; a second run reserves nothing more; a
short part says why; lines are ticked as picked; the arrived car's parts move to its work
order; the share picked in advance; the daily job through the ledger; the page's queries."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from apps.appointments import services as appointment_services
from apps.appointments.models import Appointment, AppointmentPart
from apps.core import daily_jobs
from apps.core.models import JobRun
from apps.stock import selectors, services
from apps.stock.models import PickLine, PickList, Stock, StockMovement
from apps.workorders import services as work_order_services
from apps.workorders.models import WorkOrder
from tests.factories.appointments import advisor, appointment_row, book
from tests.factories.clock import SHANGHAI, local_datetime
from tests.factories.parts import PartFactory
from tests.factories.stock import parts_lines, receive
from tests.factories.workorders import flow_user
from tests.pages import PAGE_QUERIES, html
from tests.stock.test_concurrency import _run_at_once

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("settings_row")]
D = Decimal
L = PickLine.Status
DAY = dt.date(2026, 11, 25)  # a Wednesday: the appointments' day
BOOKED_AT = local_datetime(dt.date(2026, 11, 23), 10)
EVENING = dt.datetime(2026, 11, 24, 19, 30, tzinfo=SHANGHAI)  # the evening before


def _at(hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 11, 25, hour, minute, tzinfo=SHANGHAI)


@pytest.fixture
def store():
    """Three parts: oil filters plenty (bin B-02), one wiper (bin A-01), no brake pads."""
    by = flow_user()
    with time_machine.travel(BOOKED_AT, tick=False):
        parts = {
            "filter": PartFactory(number="06L115562", name="机油滤清器"),
            "wiper": PartFactory(number="5G1955425", name="雨刮片"),
            "pads": PartFactory(number="5QD698151", name="前刹车片", unit="套"),
        }
        receive(parts["filter"], 10, "40.00", by=by)
        receive(parts["wiper"], 1, "80.00", by=by)
        services.stock_update(part=parts["filter"], by=by, bin="B-02", minimum=0)
        services.stock_update(part=parts["wiper"], by=by, bin="A-01", minimum=0)
    return parts


def _needs(store, **quantities):
    return [appointment_services.NeededPart(store[name], D(q)) for name, q in quantities.items()]


@pytest.fixture
def day_booked(store):
    """On DAY: 08:30 filter 1 + wiper 1; 10:30 filter 2 + wiper 1 + pads 1; a cancelled
    11:30 (filter 5); and the day after (filter 1): neither of the last two is picked."""
    with time_machine.travel(BOOKED_AT, tick=False):
        first = book(day=DAY, at="08:30", parts=_needs(store, filter=1, wiper=1))
        second = book(day=DAY, at="10:30", parts=_needs(store, filter=2, wiper=1, pads=1))
        cancelled = book(day=DAY, at="11:30", parts=_needs(store, filter=5))
        appointment_services.appointment_cancel(
            appointment=cancelled, by=cancelled.advisor, reason_code="customer_busy", reason=""
        )
        later = book(day=DAY + dt.timedelta(days=1), at="08:30", parts=_needs(store, filter=1))
    return {"first": first, "second": second, "cancelled": cancelled, "later": later}


def _lines(day=DAY) -> list[tuple]:
    page = selectors.pick_page(day)
    return [
        (
            line.bin,
            line.part.number,
            line.appointment.starts_at.astimezone(SHANGHAI).strftime("%H:%M"),
            line.quantity,
            line.reserved_quantity,
            line.status,
        )
        for line in page.lines
    ]


def _reserved() -> dict[str, Decimal]:
    return {
        stock.part.number: stock.reserved
        for stock in Stock.objects.select_related("part").order_by("part__number")
    }


# --- the run ---------------------------------------------------------------------------------


def test_the_pre_pick_of_a_fixed_day_reserves_its_appointments_parts_by_bin(day_booked):
    clerk = flow_user()
    with time_machine.travel(EVENING, tick=False):
        result = services.prepick_run(day=DAY, by=clerk)

    assert result == {"appointments": 2, "lines": 5, "reserved": 3, "short": 2, "released": 0}
    # By bin (no bin first), part number, then the appointment's time.
    assert _lines() == [
        ("", "5QD698151", "10:30", D(1), D(0), L.SHORT),
        ("A-01", "5G1955425", "08:30", D(1), D(1), L.RESERVED),
        ("A-01", "5G1955425", "10:30", D(1), D(0), L.SHORT),  # the 08:30 car took the one
        ("B-02", "06L115562", "08:30", D(1), D(1), L.RESERVED),
        ("B-02", "06L115562", "10:30", D(2), D(2), L.RESERVED),
    ]
    assert _reserved() == {"06L115562": D(3), "5G1955425": D(1), "5QD698151": D(0)}
    wiper_short = PickLine.objects.get(part__number="5G1955425", status=L.SHORT)
    assert wiper_short.short_reason == (
        "需要 1 个,已预留 0 个;现有 1 个,其中 1 个已预留;无待到货请购单,请请购"
    )
    movements = StockMovement.objects.filter(pick_line__isnull=False).order_by("id")
    assert [(m.part.number, m.kind, m.reserved_change, m.by) for m in movements] == [
        ("06L115562", "reserve", D(1), clerk),  # the 08:30 car first
        ("5G1955425", "reserve", D(1), clerk),
        ("06L115562", "reserve", D(2), clerk),
    ]
    assert PickList.objects.get().date == DAY


def test_a_short_line_names_the_open_purchase_request_of_its_part(day_booked, store):
    with time_machine.travel(EVENING, tick=False):
        request = services.purchase_request_create(
            part=store["pads"], quantity=4, by=flow_user(), expected_on=dt.date(2026, 11, 27)
        )
        services.prepick_run(day=DAY)

    pads = PickLine.objects.get(part=store["pads"])
    assert pads.status == L.SHORT
    assert pads.short_reason == (
        f"需要 1 套,已预留 0 套;现有 0 套,其中 0 套已预留;待到货请购单 {request.number}(11-27)"
    )
    # The daily job (no clerk) reserves in the name of the appointment's booker.
    filter_line = PickLine.objects.get(part=store["filter"], appointment=day_booked["first"])
    assert filter_line.movements.get().by == day_booked["first"].created_by


def test_a_second_run_reserves_nothing_more_and_a_third_after_a_receipt_fills_the_short(
    day_booked, store
):
    with time_machine.travel(EVENING, tick=False):
        services.prepick_run(day=DAY, by=flow_user())
        before = (_lines(), _reserved(), StockMovement.objects.count())

        again = services.prepick_run(day=DAY, by=flow_user())

        assert (_lines(), _reserved(), StockMovement.objects.count()) == before
        assert again == {"appointments": 2, "lines": 5, "reserved": 3, "short": 2, "released": 0}

        receive(store["wiper"], 2, "80.00")
        late = book(day=DAY, at="13:30", parts=_needs(store, filter=1))
        third = services.prepick_run(day=DAY, by=flow_user())

    assert third == {"appointments": 3, "lines": 6, "reserved": 5, "short": 1, "released": 0}
    assert ("A-01", "5G1955425", "10:30", D(1), D(1), L.RESERVED) in _lines()
    assert ("B-02", "06L115562", "13:30", D(1), D(1), L.RESERVED) in _lines()
    assert PickLine.objects.filter(appointment=late).count() == 1
    assert _reserved() == {"06L115562": D(4), "5G1955425": D(2), "5QD698151": D(0)}


def test_a_cancelled_appointment_gives_its_pre_picked_parts_back_on_the_next_run(day_booked):
    first = day_booked["first"]
    with time_machine.travel(EVENING, tick=False):
        services.prepick_run(day=DAY, by=flow_user())
        appointment_services.appointment_cancel(
            appointment=first, by=first.advisor, reason_code="customer_busy", reason=""
        )
        result = services.prepick_run(day=DAY, by=flow_user())

    assert result["released"] == 2
    assert set(PickLine.objects.filter(appointment=first).values_list("status", flat=True)) == {
        L.RELEASED
    }
    # The 10:30 car's short wiper gets the one the 08:30 car gave back, in the same run.
    assert ("A-01", "5G1955425", "10:30", D(1), D(1), L.RESERVED) in _lines()
    assert _reserved() == {"06L115562": D(2), "5G1955425": D(1), "5QD698151": D(0)}


# --- picking and the car's arrival ----------------------------------------------------------


def test_the_clerk_ticks_reserved_lines_as_picked_and_short_ones_are_refused(day_booked):
    clerk = flow_user()
    with time_machine.travel(EVENING, tick=False):
        services.prepick_run(day=DAY, by=clerk)
        pick_list = PickList.objects.get()
        ids = list(PickLine.objects.order_by("id").values_list("id", flat=True))

        ticked = services.pick_lines_tick(pick_list=pick_list, line_ids=ids, by=clerk)
        again = services.pick_lines_tick(pick_list=pick_list, line_ids=ids, by=clerk)

    assert (ticked, again) == (3, 0)
    statuses = [status for *_, status in _lines()]
    assert statuses == [L.SHORT, L.PICKED, L.SHORT, L.PICKED, L.PICKED]
    picked = PickLine.objects.filter(status=L.PICKED)
    assert {(line.picked_by, line.picked_at) for line in picked} == {(clerk, EVENING)}
    assert _reserved() == {"06L115562": D(3), "5G1955425": D(1), "5QD698151": D(0)}


def test_the_arrived_cars_pre_picked_parts_move_to_its_work_orders_lines(day_booked, store):
    second = day_booked["second"]
    with time_machine.travel(EVENING, tick=False):
        services.prepick_run(day=DAY, by=flow_user())
    with time_machine.travel(_at(10, 40), tick=False):
        received = appointment_services.appointment_receive(
            appointment=second,
            by=second.advisor,
            kind=WorkOrder.Kind.MAINTENANCE,
            mileage=31_200,
            promised_at=_at(15),
        )
        order = received.work_order
        # The estimate wants one filter (not two) and the pads; no wiper.
        work_order_services.work_order_add_lines(
            work_order=order,
            by=second.advisor,
            lines=[
                work_order_services.line_from_part(store["filter"], quantity=D(1)),
                work_order_services.line_from_part(store["pads"], quantity=D(1)),
            ],
        )
        second.refresh_from_db()
        assert [a.pk for a in selectors.pick_page(DAY).arrived] == [second.pk]

        moved = services.prepick_transfer(appointment=second, by=flow_user())

    assert moved == 1
    filter_line, pads_line = parts_lines(order)
    reserved_for = services._reserved_for_lines([filter_line.pk, pads_line.pk])
    assert reserved_for == {filter_line.pk: D(1)}
    statuses = dict(
        PickLine.objects.filter(appointment=second).values_list("part__number", "status")
    )
    assert statuses == {
        "06L115562": L.TRANSFERRED,
        "5G1955425": L.RELEASED,  # short, nothing held
        "5QD698151": L.RELEASED,
    }
    assert PickLine.objects.filter(appointment=second, reserved_quantity__gt=0).count() == 0
    # 1 for the 08:30 car, 1 moved to the order; the second filter went back to the shelf.
    assert _reserved() == {"06L115562": D(2), "5G1955425": D(1), "5QD698151": D(0)}


# --- the daily job --------------------------------------------------------------------------


def test_the_daily_job_pre_picks_the_next_day_once_and_closes_the_day_before(day_booked):
    job = daily_jobs.job_named("stock-prepick")
    with time_machine.travel(local_datetime(dt.date(2026, 11, 24), 0) + dt.timedelta(minutes=10)):
        first = daily_jobs.job_run(job=job, on=dt.date(2026, 11, 24), trigger="schedule")
        second = daily_jobs.job_run(job=job, on=dt.date(2026, 11, 24), trigger="schedule")

    assert (first, second) == (daily_jobs.Outcome.DONE, daily_jobs.Outcome.ALREADY_DONE)
    row = JobRun.objects.get(job="stock-prepick")
    assert row.result == {
        "appointments": 2,
        "reserved": 3,
        "short": 2,
        "released": 0,
        "transferred": 0,
        "closed": 0,
    }
    assert sorted(job.describe(row.result).split(",")) == sorted(
        ["预约 2", "已预留行 3", "缺件行 2"]
    )
    assert _reserved() == {"06L115562": D(3), "5G1955425": D(1), "5QD698151": D(0)}

    # The 08:30 car never came (the 10:30 stays booked): the job of the day after DAY
    # releases what both still hold, and pre-picks the 27th (nothing booked).
    with time_machine.travel(local_datetime(dt.date(2026, 11, 26), 0)):
        outcome = daily_jobs.job_run(job=job, on=dt.date(2026, 11, 26), trigger="schedule")
    assert outcome == daily_jobs.Outcome.DONE
    result = JobRun.objects.get(job="stock-prepick", business_date=dt.date(2026, 11, 26)).result
    assert (result["closed"], result["transferred"]) == (2, 0)
    assert _reserved() == {"06L115562": D(0), "5G1955425": D(0), "5QD698151": D(0)}
    assert PickList.objects.get(date=dt.date(2026, 11, 27)).lines.count() == 0


# --- the share picked in advance ------------------------------------------------------------


def test_the_share_counts_the_arrived_appointments_parts_picked_before_the_car(store):
    """Week 18–24 Nov: car A (2 parts, one picked the evening before), car B (picked after
    it arrived: not in advance), car C never came (not counted). Week 28 Oct–3 Nov: car D,
    its one part picked."""
    person = advisor()
    filter_, wiper = store["filter"], store["wiper"]

    def car(day, status, arrived_hour, picks):
        at = local_datetime(day, 9)
        arrived = local_datetime(day, arrived_hour) if arrived_hour else None
        appointment = appointment_row(at=at, status=status, advisor_user=person, arrived_at=arrived)
        pick_list, _ = PickList.objects.get_or_create(
            date=day, defaults={"created_at": at, "refreshed_at": at}
        )
        for part, picked_at in picks:
            row = AppointmentPart.objects.create(appointment=appointment, part=part, quantity=1)
            PickLine.objects.create(
                pick_list=pick_list,
                appointment_part=row,
                appointment=appointment,
                part=part,
                quantity=1,
                status=L.PICKED if picked_at else L.SHORT,
                picked_at=picked_at,
                picked_by=person if picked_at else None,
            )

    arrived, no_show = Appointment.Status.ARRIVED, Appointment.Status.NO_SHOW
    nov20, nov19 = dt.date(2026, 11, 20), dt.date(2026, 11, 19)
    car(nov20, arrived, 9, [(filter_, local_datetime(nov19, 18)), (wiper, None)])
    car(nov20, arrived, 9, [(filter_, local_datetime(nov20, 10))])
    car(nov20, no_show, None, [(filter_, local_datetime(nov19, 18))])
    car(dt.date(2026, 11, 1), arrived, 9, [(wiper, local_datetime(dt.date(2026, 10, 31), 18))])

    weeks = selectors.prepick_share(end=dt.date(2026, 11, 24))

    assert [(w.start, w.end, w.parts, w.picked, w.percent) for w in weeks] == [
        (dt.date(2026, 10, 28), dt.date(2026, 11, 3), 1, 1, D("100.0")),
        (dt.date(2026, 11, 4), dt.date(2026, 11, 10), 0, 0, None),
        (dt.date(2026, 11, 11), dt.date(2026, 11, 17), 0, 0, None),
        (dt.date(2026, 11, 18), dt.date(2026, 11, 24), 3, 1, D("33.3")),
    ]


# --- the page -------------------------------------------------------------------------------


def _many(store, count: int) -> None:
    """`count` booked appointments on DAY, each wanting a filter and a wiper, pre-picked."""
    person = advisor()
    for n in range(count):
        appointment = appointment_row(
            at=_at(8 + n % 10, 0), status=Appointment.Status.BOOKED, advisor_user=person
        )
        AppointmentPart.objects.create(appointment=appointment, part=store["filter"], quantity=1)
        AppointmentPart.objects.create(appointment=appointment, part=store["wiper"], quantity=1)
    with time_machine.travel(EVENING, tick=False):
        services.prepick_run(day=DAY, by=flow_user())


# The page: PAGE_QUERIES + the pick list, its lines (with their parts, stock rows,
# appointments, cars and orders in one join) and the share by week. The print view: the
# same without the share.
PREPICK_QUERIES = PAGE_QUERIES + 3


@pytest.mark.parametrize("count", [3, 30])
def test_the_page_and_its_print_run_a_fixed_number_of_queries(
    client, user_with_role, store, count, django_assert_max_num_queries
):
    _many(store, count)
    client.force_login(user_with_role("parts"))
    with time_machine.travel(EVENING, tick=False):
        with django_assert_max_num_queries(PREPICK_QUERIES):
            page = html(client.get(reverse("stock:prepick")))  # default: tomorrow
        with django_assert_max_num_queries(PREPICK_QUERIES):
            printed = html(client.get(reverse("stock:prepick_print"), {"date": "2026-11-25"}))

    # The filters in stock (10) and the one wiper: the lines reserved in full.
    assert page.count('name="line"') == min(count, 10) + 1
    assert '预先捡料 <span class="font-monospace">2026-11-25</span>' in page
    assert 'id="prepick-share"' in page
    assert printed.count("06L115562") == count
    assert "prepick_print.css" in printed and "base.html" not in printed


def test_the_clerk_generates_ticks_and_prints_on_the_page(client, user_with_role, day_booked):
    clerk = user_with_role("parts", display_name="陈配件")
    client.force_login(clerk)
    with time_machine.travel(EVENING, tick=False):
        page = html(client.get(reverse("stock:prepick")))
        assert 'id="prepick-none"' in page and "生成捡料单" in page

        response = client.post(reverse("stock:prepick_run"), {"date": "2026-11-25"})
        assert response.status_code == 302
        assert response["Location"] == reverse("stock:prepick") + "?date=2026-11-25"
        page = html(client.get(response["Location"]))
        assert "2 个预约,已预留 3 行,缺件 2 行,释放 0 行。" in page
        assert '库位 <span class="font-monospace">A-01</span>' in page

        reserved = PickLine.objects.filter(status=L.RESERVED).order_by("id")
        response = client.post(
            reverse("stock:prepick_pick"),
            {"date": "2026-11-25", "line": [str(line.pk) for line in reserved[:2]]},
        )
        assert response.status_code == 302
        page = html(client.get(response["Location"]))

    assert "已捡料 2 行。" in page
    assert PickLine.objects.filter(status=L.PICKED, picked_by=clerk).count() == 2


def test_a_past_day_is_not_pre_picked_and_the_manager_only_reads(
    client, user_with_role, day_booked
):
    manager = user_with_role("manager")
    client.force_login(manager)
    with time_machine.travel(EVENING, tick=False):
        page = html(client.get(reverse("stock:prepick"), {"date": "2026-11-25"}))
        assert reverse("stock:prepick_run") not in page
        assert client.post(reverse("stock:prepick_run")).status_code == 403

    with time_machine.travel(local_datetime(dt.date(2026, 11, 26), 9), tick=False):
        client.force_login(user_with_role("parts"))  # the session's idle limit: log in now
        response = client.post(reverse("stock:prepick_run"), {"date": "2026-11-25"})
        page = html(client.get(response["Location"]))
    assert "不能为已过去的日期预先捡料。" in page
    assert PickList.objects.count() == 0


def test_reserving_for_the_arrived_cars_order_takes_its_pre_picked_part_first(day_booked, store):
    """One filter is pre-picked for the 08:30 car; its order wants three: reserving for the
    order moves the pre-picked one over first and reserves the two more it needs."""
    first = day_booked["first"]
    with time_machine.travel(EVENING, tick=False):
        services.prepick_run(day=DAY, by=flow_user())
    with time_machine.travel(_at(8, 40), tick=False):
        order = appointment_services.appointment_receive(
            appointment=first,
            by=first.advisor,
            kind=WorkOrder.Kind.MAINTENANCE,
            mileage=31_200,
            promised_at=_at(12),
        ).work_order
        [filter_line] = work_order_services.work_order_add_lines(
            work_order=order,
            by=first.advisor,
            lines=[work_order_services.line_from_part(store["filter"], quantity=D(3))],
        )

        movement = services.stock_reserve(line=filter_line, by=flow_user())

    assert movement.reserved_change == D(2)
    assert services._reserved_for_lines([filter_line.pk]) == {filter_line.pk: D(3)}
    line = PickLine.objects.get(appointment=first, part=store["filter"])
    assert (line.status, line.reserved_quantity) == (L.TRANSFERRED, D(0))
    # 3 for the order, 2 for the 10:30 car.
    assert _reserved()["06L115562"] == D(5)


# --- at once --------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_runs_of_one_day_at_once_reserve_once(store, day_booked):
    """The job and the clerk's button at the same moment, each on its own connection: the
    day's list row lock makes the second wait and find the first's lines."""
    with time_machine.travel(EVENING, tick=False):
        outcomes = _run_at_once(lambda by: services.prepick_run(day=DAY, by=by), [None] * 4)

    assert all(isinstance(outcome, dict) for outcome in outcomes), outcomes
    assert PickLine.objects.count() == 5
    assert StockMovement.objects.filter(pick_line__isnull=False).count() == 3
    assert _reserved() == {"06L115562": D(3), "5G1955425": D(1), "5QD698151": D(0)}
