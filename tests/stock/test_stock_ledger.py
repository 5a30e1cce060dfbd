"""The ledger: every change a movement, the stock a cache of them (check_stock), the moving
average on a sequence computed by hand, the stock of a part at any past date."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command

from apps.stock import selectors, services
from apps.stock.models import Stock, StockCount, StockMovement
from apps.workorders.models import WorkOrder
from tests.factories.clock import SHANGHAI, local_datetime
from tests.factories.parts import PartFactory
from tests.factories.stock import issue, parts_lines, parts_order, receive
from tests.factories.workorders import flow_user

pytestmark = pytest.mark.django_db
S = WorkOrder.Status
D = Decimal


def _stock(part) -> tuple:
    stock = Stock.objects.get(pk=part.pk)
    return stock.on_hand, stock.reserved, stock.available, stock.value, stock.average_cost


def test_moving_average_cost_follows_a_sequence_computed_by_hand():
    """
    step                          on hand   value     average
    receive 10 at 40.00             10      400.00    40.0000
    receive 5 at 46.00              15      630.00    42.0000   (400 + 230) / 15
    issue 4 (line A)                11      462.00    42.0000   out 4 × 42 = 168.00
    receive 9 at 47.00              20      885.00    44.2500   (462 + 423) / 20
    issue 3 (line B)                17      752.25    44.2500   out 3 × 44.25 = 132.75
    return 1 of line B              18      796.50    44.2500   back at 44.25
    receive 7 at 41.00              25     1083.50    43.3400   (796.50 + 287) / 25
    count: 1 missing                24     1040.16    43.3400   out 43.34
    issue 24 (line C)                0        0.00    43.3400   the last units take the rest
    """
    by = flow_user()
    part = PartFactory(price=D("68.00"))
    with time_machine.travel(local_datetime(dt.date(2026, 3, 2)), tick=False):
        order = parts_order(S.IN_PROGRESS, [(part, 4), (part, 3), (part, 24)], by=by)
        line_a, line_b, line_c = parts_lines(order)
        receive(part, 10, "40.00", by=by)
        assert _stock(part) == (10, 0, 10, D("400.00"), D("40.0000"))
        receive(part, 5, "46.00", by=by)
        assert _stock(part) == (15, 0, 15, D("630.00"), D("42.0000"))
        issue(order, {line_a: 4}, by=by)
        assert _stock(part) == (11, 0, 11, D("462.00"), D("42.0000"))
        receive(part, 9, "47.00", by=by)
        assert _stock(part) == (20, 0, 20, D("885.00"), D("44.2500"))
        issue(order, {line_b: 3}, by=by)
        assert _stock(part) == (17, 0, 17, D("752.25"), D("44.2500"))
        services.return_slip_create(
            work_order=order,
            technician=by,
            lines=[services.SlipLine(line_b, D(1))],
            by=by,
            reason="多领一个",
        )
        assert _stock(part) == (18, 0, 18, D("796.50"), D("44.2500"))
        receive(part, 7, "41.00", by=by)
        assert _stock(part) == (25, 0, 25, D("1083.50"), D("43.3400"))
        Stock.objects.filter(pk=part.pk).update(bin="A-01-01")
        count = services.stock_count_open(bin_prefix="A-01", by=by)
        [count_line] = count.lines.all()
        services.stock_count_enter(
            count=count, by=by, entries=[services.CountEntry(count_line, D(24), "丢失")]
        )
        services.stock_count_transition(count=count, name="submit", by=by)
        services.stock_count_approve(count=StockCount.objects.get(pk=count.pk), by=by)
        assert _stock(part) == (24, 0, 24, D("1040.16"), D("43.3400"))
        issue(order, {line_c: 24}, by=by)
        assert _stock(part) == (0, 0, 0, D("0.00"), D("43.3400"))

    costs = list(
        StockMovement.objects.filter(part=part)
        .order_by("id")
        .values_list("kind", "unit_cost", "value")
    )
    assert costs == [
        ("receipt", D("40.0000"), D("400.00")),
        ("receipt", D("46.0000"), D("230.00")),
        ("issue", D("42.0000"), D("-168.00")),
        ("receipt", D("47.0000"), D("423.00")),
        ("issue", D("44.2500"), D("-132.75")),
        ("return", D("44.2500"), D("44.25")),
        ("receipt", D("41.0000"), D("287.00")),
        ("adjustment", D("43.3400"), D("-43.34")),
        ("issue", D("43.3400"), D("-1040.16")),
    ]
    call_command("check_stock")  # the cache equals the movements


def test_the_stock_of_a_part_at_a_past_date_is_rebuilt_from_its_movements():
    by = flow_user()
    part = PartFactory()
    days = [dt.date(2026, 1, 5), dt.date(2026, 2, 9), dt.date(2026, 3, 16)]
    with time_machine.travel(local_datetime(days[0], 9), tick=False):
        order = parts_order(S.IN_PROGRESS, [(part, 3), (part, 2)], by=by)
        receive(part, 10, "20.00", by=by)
    with time_machine.travel(local_datetime(days[1], 15), tick=False):
        issue(order, {parts_lines(order)[0]: 3}, by=by)
    with time_machine.travel(local_datetime(days[2], 11), tick=False):
        receive(part, 4, "23.00", by=by)
        services.stock_reserve(line=parts_lines(order)[1], by=by)

    at = {day: selectors.stock_at(part.pk, day) for day in days}
    assert (at[days[0]].on_hand, at[days[0]].value) == (10, D("200.00"))
    assert (at[days[1]].on_hand, at[days[1]].value, at[days[1]].average_cost) == (
        7,
        D("140.00"),
        D("20.0000"),
    )
    assert (at[days[2]].on_hand, at[days[2]].reserved, at[days[2]].value) == (11, 2, D("232.00"))
    before = selectors.stock_at(part.pk, dt.date(2025, 12, 31))
    assert (before.on_hand, before.value, before.average_cost) == (0, 0, None)
    # A moment, not a day: just before the issue of 2026-02-09 15:00.
    moment = selectors.stock_at(part.pk, dt.datetime(2026, 2, 9, 14, 59, tzinfo=SHANGHAI))
    assert moment.on_hand == 10
    # Today's stock is the last one.
    assert _stock(part)[:2] == (at[days[2]].on_hand, at[days[2]].reserved)


@time_machine.travel(local_datetime(dt.date(2026, 5, 6)), tick=False)
def test_an_issue_beyond_the_stock_is_refused_saying_how_many_there_are_and_writes_nothing():
    by = flow_user()
    filter_ = PartFactory(name="机油滤清器", number="5QD115561", unit="个")
    oil = PartFactory(name="机油 5W-30 4L", number="G052195M4", unit="桶")
    order = parts_order(S.IN_PROGRESS, [(oil, 1), (filter_, 5)], by=by)
    receive(oil, 2, "270.00", by=by)
    receive(filter_, 3, "40.00", by=by)

    with pytest.raises(ValidationError) as refused:
        issue(order, by=by)

    assert refused.value.messages == ["库存不足:机油滤清器(5QD115561) 现有 3 个,需要 5 个。"]
    assert _stock(oil)[:2] == (2, 0)  # the slip's first line was not written either
    assert StockMovement.objects.filter(kind="issue").count() == 0
    assert [line.issued_quantity for line in parts_lines(order)] == [0, 0]


@time_machine.travel(local_datetime(dt.date(2026, 5, 6)), tick=False)
def test_a_refusal_names_what_other_orders_have_reserved():
    by = flow_user()
    pads = PartFactory(name="前刹车片", number="5QD698151", unit="套")
    first = parts_order(S.IN_PROGRESS, [(pads, 2)], by=by)
    second = parts_order(S.IN_PROGRESS, [(pads, 2)], by=by)
    receive(pads, 3, "300.00", by=by)
    services.stock_reserve(line=parts_lines(first)[0], by=by)

    with pytest.raises(ValidationError) as refused:
        issue(second, by=by)

    assert refused.value.messages == [
        "库存不足:前刹车片(5QD698151) 现有 3 套(其中 2 套已为其他工单预留,可用 1 套),需要 2 套。"
    ]
    issue(first, by=by)  # its own reservation serves it
    assert _stock(pads)[:3] == (1, 0, 1)


def test_check_stock_finds_a_cache_changed_behind_the_services_back():
    by = flow_user()
    part = PartFactory(number="5QD129620")
    with time_machine.travel(local_datetime(dt.date(2026, 5, 6)), tick=False):
        receive(part, 4, "10.00", by=by)
    Stock.objects.filter(pk=part.pk).update(on_hand=5)

    with pytest.raises(CommandError) as failed:
        call_command("check_stock")

    assert str(failed.value) == "1 个配件、0 行工单明细与库存流水不符。"
