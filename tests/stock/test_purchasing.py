"""Purchase requests (请购单) and receiving (入库): a short parts line raises a request with
its expected arrival date; a receipt with the supplier's delivery note fulfils the open
requests of each part oldest first, sets aside what came for each order and tells its
advisor; parts under their minimum are listed."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError

from apps.stock import selectors, services
from apps.stock.models import PurchaseRequest, Stock, StockMovement
from apps.workorders.models import WorkOrder
from tests.factories.clock import local_datetime
from tests.factories.customers import VehicleFactory
from tests.factories.parts import PartFactory
from tests.factories.stock import parts_lines, parts_order, receive
from tests.factories.workorders import flow_user

pytestmark = pytest.mark.django_db
S = WorkOrder.Status
D = Decimal
NOW = local_datetime(dt.date(2026, 6, 15), 10)


@pytest.fixture
def pads():
    return PartFactory(number="5QD698151", name="前刹车片(套)", unit="套", price=D("580.00"))


@time_machine.travel(NOW, tick=False)
def test_a_short_line_raises_a_request_for_what_is_missing_due_after_the_lead_days(pads):
    clerk = flow_user()
    order = parts_order(S.IN_PROGRESS, [(pads, 3)], by=clerk)
    receive(pads, 1, "350.00", by=clerk)
    [line] = parts_lines(order)

    request = services.purchase_request_for_line(line=line, by=clerk)

    assert (request.number, request.quantity, request.expected_on) == (
        "QG202606150001",
        2,  # 3 wanted, 1 in stock
        dt.date(2026, 6, 18),  # the settings' 3 lead days
    )
    assert (request.work_order, request.status) == (order, "open")
    with pytest.raises(ValidationError) as refused:
        services.purchase_request_for_line(line=line, by=clerk, expected_on=dt.date(2026, 6, 20))
    assert refused.value.messages == [
        "该配件行已有待到货的请购单 QG202606150001,预计 2026-06-18 到货。"
    ]
    with pytest.raises(ValidationError) as refused:
        services.purchase_request_for_line(line=line, by=clerk, expected_on=dt.date(2026, 6, 14))
    assert refused.value.message_dict == {"expected_on": ["预计到货日期不能早于今天。"]}


@time_machine.travel(NOW, tick=False)
def test_a_line_the_stock_can_serve_needs_no_request(pads):
    clerk = flow_user()
    order = parts_order(S.IN_PROGRESS, [(pads, 1)], by=clerk)
    receive(pads, 2, "350.00", by=clerk)

    with pytest.raises(ValidationError) as refused:
        services.purchase_request_for_line(line=parts_lines(order)[0], by=clerk)

    assert refused.value.messages == [
        f"{parts_lines(order)[0].description}:库存可用 2,足够本工单使用,无需请购。"
    ]


@time_machine.travel(NOW, tick=False)
def test_receiving_fulfils_requests_oldest_first_and_sets_aside_what_each_order_waits_for(
    pads, user_with_role
):
    clerk, advisor = user_with_role("parts"), user_with_role("advisor")
    first = parts_order(S.IN_PROGRESS, [(pads, 2)], vehicle=VehicleFactory())
    second = parts_order(S.APPROVED, [(pads, 2)])
    WorkOrder.objects.filter(pk=first.pk).update(advisor=advisor)
    with time_machine.travel(NOW - dt.timedelta(hours=2), tick=False):
        older = services.purchase_request_for_line(line=parts_lines(first)[0], by=clerk)
    newer = services.purchase_request_for_line(line=parts_lines(second)[0], by=clerk)
    for_stock = services.purchase_request_create(part=pads, quantity=4, by=clerk)

    received = services.goods_receipt_create(
        supplier="一汽-大众华南配件中心",
        delivery_note=" sd 2026 0615 01 ",
        lines=[services.ReceiptLine(pads, D(3), D("352.50"))],
        by=clerk,
    )

    receipt = received.receipt
    assert (receipt.number, receipt.delivery_note) == ("RK202606150001", "SD2026061501")
    [older, newer, for_stock] = PurchaseRequest.objects.filter(
        pk__in=[older.pk, newer.pk, for_stock.pk]
    ).order_by("requested_at", "id")
    assert [(r.status, r.received_quantity) for r in (older, newer, for_stock)] == [
        ("fulfilled", 2),
        ("open", 1),
        ("open", 0),
    ]
    assert (older.fulfilled_at, older.receipt) == (NOW, receipt)
    assert received.fulfilled == [older]
    # What came for each order is set aside for its line: 2 for the first, 1 for the second.
    reserved = dict(
        StockMovement.objects.filter(kind="reserve").values_list(
            "work_order_line", "reserved_change"
        )
    )
    assert reserved == {parts_lines(first)[0].pk: 2, parts_lines(second)[0].pk: 1}
    stock = Stock.objects.get(pk=pads.pk)
    assert (stock.on_hand, stock.reserved, stock.available, stock.average_cost) == (
        3,
        3,
        0,
        D("352.5000"),
    )
    # The first order's advisor sees the arrival on the 工作台 until they read it.
    arrivals = selectors.arrivals_for_advisor(advisor, since=NOW - dt.timedelta(days=7))
    assert [(a.number, a.work_order) for a in arrivals] == [(older.number, first)]
    services.arrival_seen(request=older, by=advisor)
    assert selectors.arrivals_for_advisor(advisor, since=NOW - dt.timedelta(days=7)) == []
    # The second order's page shows its request still open, with what arrived so far.
    parts = selectors.work_order_parts(second)
    [row] = parts.lines
    assert (row.reserved, row.open_request, row.short) == (1, newer, 1)


@time_machine.travel(NOW, tick=False)
def test_a_delivery_note_is_received_once_and_bad_lines_are_refused(pads):
    clerk = flow_user()
    receive(pads, 1, "350.00", by=clerk, note="SD01")

    with pytest.raises(ValidationError) as refused:
        receive(pads, 1, "350.00", by=clerk, note="SD01")
    assert refused.value.message_dict == {
        "delivery_note": [
            "一汽-大众华南配件中心 的送货单 SD01 已于 2026-06-15 10:00 入库"
            "(入库单 RK202606150001),不能重复入库。"
        ]
    }
    with pytest.raises(ValidationError) as refused:
        services.goods_receipt_create(supplier="", delivery_note="", lines=[], by=clerk)
    assert refused.value.message_dict == {
        "supplier": ["请填写供应商。"],
        "delivery_note": ["请填写供应商送货单号。"],
        "lines": ["请至少填写一行入库配件。"],
    }
    assert Stock.objects.get(pk=pads.pk).on_hand == 1


@time_machine.travel(NOW, tick=False)
def test_a_request_is_cancelled_once_with_a_reason(pads):
    clerk = flow_user()
    request = services.purchase_request_create(part=pads, quantity=2, by=clerk)

    with pytest.raises(ValidationError):
        services.purchase_request_cancel(request=request, by=clerk, reason=" ")
    services.purchase_request_cancel(request=request, by=clerk, reason="厂家停产")
    with pytest.raises(ValidationError) as refused:
        services.purchase_request_cancel(request=request, by=clerk, reason="再取消")

    assert refused.value.messages == [f"请购单 {request.number} 已到货或已取消。"]
    assert PurchaseRequest.objects.get(pk=request.pk).cancel_reason == "厂家停产"


@time_machine.travel(NOW, tick=False)
def test_parts_under_their_minimum_are_listed_emptiest_first_with_what_is_on_order():
    clerk = flow_user()
    empty, low, fine = (PartFactory(number=n) for n in ("A1", "B2", "C3"))
    receive(low, 1, "10.00", by=clerk)
    receive(fine, 5, "10.00", by=clerk)
    for part in (empty, low, fine):
        services.stock_update(part=part, by=clerk, bin="A-01", minimum=3)
    services.purchase_request_create(part=empty, quantity=6, by=clerk)

    rows, more = selectors.below_minimum(limit=10)

    assert [(r.part.number, r.available, r.on_order) for r in rows] == [("A1", 0, 6), ("B2", 1, 0)]
    assert more is False
    assert selectors.below_minimum(limit=1) == ([rows[0]], True)
