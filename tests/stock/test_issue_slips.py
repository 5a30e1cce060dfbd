"""Issue slips (出库单) and returns (退料单): partial issues, the technician's signature or
confirmation, returns at the cost the parts left at, and the work order's guards (settle
needs its approved parts issued; cancel needs them back)."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError

from apps.stock import services, tasks
from apps.stock.models import IssueSlip, Stock, StockMovement
from apps.workorders import services as work_order_services
from apps.workorders.models import OldParts, Payment, WorkOrder
from apps.workorders.services import NewPayment
from tests.factories.clock import local_datetime
from tests.factories.parts import PartFactory
from tests.factories.stock import issue, parts_lines, parts_order, receive
from tests.factories.workorders import flow_user, order_in_state

pytestmark = pytest.mark.django_db
S = WorkOrder.Status
D = Decimal
NOW = local_datetime(dt.date(2026, 6, 15), 10)


@pytest.fixture
def filter_part():
    return PartFactory(number="5QD115561", name="机油滤清器", unit="个", price=D("68.00"))


@time_machine.travel(NOW, tick=False)
def test_a_line_is_issued_in_parts_and_the_technician_signs_each_slip(filter_part, user_with_role):
    clerk, technician = user_with_role("parts"), user_with_role("technician", display_name="王师傅")
    order = parts_order(S.IN_PROGRESS, [(filter_part, 3)])
    receive(filter_part, 5, "40.00")
    [line] = parts_lines(order)

    first = issue(order, {line: 1}, by=clerk, technician=technician)
    second = issue(order, {line: 2}, by=clerk, technician=technician)

    assert [first.number, second.number] == ["CK202606150001", "CK202606150002"]
    line.refresh_from_db()
    assert line.issued_quantity == 3
    assert first.confirmed_at == NOW
    assert first.signature.signer_name == "王师傅"
    assert first.signature.content == {
        "slip": "CK202606150001",
        "work_order": order.number,
        "technician": "王师傅",
        "lines": [{"part": "5QD115561", "name": "机油滤清器", "quantity": "1"}],
    }
    assert work_order_services.signature_verify(first.signature)
    movement = first.movements.get()
    assert (movement.kind, movement.quantity, movement.work_order_line, movement.by) == (
        "issue",
        -1,
        line,
        clerk,
    )
    with pytest.raises(ValidationError) as refused:
        issue(order, {line: 1}, by=clerk, technician=technician)
    assert refused.value.messages == [
        f"{line.description}:工单数量 3,已出库 3,本次最多还可出库 0。"
    ]


@time_machine.travel(NOW, tick=False)
def test_an_unsigned_slip_waits_for_the_technicians_own_confirmation(filter_part, user_with_role):
    clerk, technician = user_with_role("parts"), user_with_role("technician")
    order = parts_order(S.IN_PROGRESS, [(filter_part, 1)])
    receive(filter_part, 1, "40.00")
    slip = issue(order, by=clerk, technician=technician, signed=False)
    assert (slip.signature, slip.confirmed_at) == (None, None)

    with pytest.raises(ValidationError) as refused:
        services.issue_slip_confirm(slip=slip, by=user_with_role("technician"))
    assert refused.value.messages == ["只有领料技师本人可以确认。"]

    services.issue_slip_confirm(slip=slip, by=technician)
    assert IssueSlip.objects.get(pk=slip.pk).confirmed_at == NOW
    with pytest.raises(ValidationError) as refused:
        services.issue_slip_confirm(slip=slip, by=technician)
    assert refused.value.messages == [f"出库单 {slip.number} 已确认。"]


@time_machine.travel(NOW, tick=False)
def test_what_may_not_be_issued_is_refused_and_nothing_is_written(filter_part, user_with_role):
    clerk = user_with_role("parts")
    receive(filter_part, 10, "40.00")
    draft = parts_order(S.DRAFT, [(filter_part, 1)])
    declined = parts_order(S.IN_PROGRESS, [(filter_part, 1), (filter_part, 2)])
    declined_line = parts_lines(declined)[1]
    declined_line.status = "declined"
    declined_line.save(update_fields=["status"])
    hand_typed = order_in_state(S.IN_PROGRESS)  # its part line names no catalogue part
    technician = user_with_role("technician")

    cases = [
        (draft, None, technician, "工单当前为“草稿”,不能出库(客户确认后、结算前才能出库)。"),
        (
            declined,
            {declined_line: 2},
            technician,
            f"{declined_line.description}:客户尚未确认,不能出库。",
        ),
        (declined, None, user_with_role("advisor"), "领料人须为在职的维修技师。"),
    ]
    for order, quantities, who, message in cases:
        with pytest.raises(ValidationError) as refused:
            issue(order, quantities, by=clerk, technician=who)
        assert refused.value.messages == [message]
    hand_line = hand_typed.lines.get(kind="part")
    with pytest.raises(ValidationError) as refused:
        services.issue_slip_create(
            work_order=hand_typed,
            technician=technician,
            lines=[services.SlipLine(hand_line, D(1))],
            by=clerk,
        )
    assert refused.value.messages == [f"{hand_line.description}:不是配件目录中的配件,无需出库。"]
    assert not IssueSlip.objects.exists()
    assert Stock.objects.get(pk=filter_part.pk).on_hand == 10


@time_machine.travel(NOW, tick=False)
def test_unused_parts_come_back_at_the_cost_they_left_at(filter_part, user_with_role):
    clerk, technician = user_with_role("parts"), user_with_role("technician")
    order = parts_order(S.IN_PROGRESS, [(filter_part, 2)])
    receive(filter_part, 2, "40.00")
    issue(order, by=clerk, technician=technician)
    receive(filter_part, 2, "50.00")  # the average is now 50.00; the two out cost 40.00
    [line] = parts_lines(order)

    with pytest.raises(ValidationError) as refused:
        services.return_slip_create(
            work_order=order,
            technician=technician,
            lines=[services.SlipLine(line, D(3))],
            by=clerk,
            reason="未用",
        )
    assert refused.value.messages == [f"{line.description}:已出库 2,最多可退 2。"]

    slip = services.return_slip_create(
        work_order=order,
        technician=technician,
        lines=[services.SlipLine(line, D(1))],
        by=clerk,
        reason="未用",
    )

    assert (slip.kind, slip.number, slip.note) == ("return", "TL202606150001", "未用")
    movement = slip.movements.get()
    assert (movement.kind, movement.quantity, movement.unit_cost, movement.value) == (
        "return",
        1,
        D("40.0000"),
        D("40.00"),
    )
    stock = Stock.objects.get(pk=filter_part.pk)
    assert (stock.on_hand, stock.value, stock.average_cost) == (3, D("140.00"), D("46.6667"))
    line.refresh_from_db()
    assert line.issued_quantity == 1


def _deliver(order, by):
    work_order_services.work_order_internal_check(work_order=order, by=by, old_parts=OldParts.SHOWN)
    work_order_services.work_order_deliver(work_order=order, by=by, callback_told=True)
    order.refresh_from_db()


@time_machine.travel(NOW, tick=False)
def test_an_order_is_settled_only_once_its_approved_parts_are_issued(filter_part):
    by = flow_user()
    order = parts_order(S.READY, [(filter_part, 2)], by=by)  # issued by the flow
    [line] = parts_lines(order)
    assert line.issued_quantity == 2
    services.return_slip_create(
        work_order=order, technician=by, lines=[services.SlipLine(line, D(1))], by=by, reason="未用"
    )
    _deliver(order, by)
    payments = [NewPayment(Payment.Method.CASH, order.customer_paid_amount)]

    with pytest.raises(ValidationError) as refused:
        work_order_services.work_order_settle(work_order=order, by=by, payments=payments)
    assert refused.value.messages == ["还有客户已确认的配件未出库,请配件专员按出库单发料后再结算。"]
    assert WorkOrder.objects.get(pk=order.pk).status == S.DELIVERED

    issue(order, {line: 1}, by=by)  # a delivered order may still be issued
    work_order_services.work_order_settle(work_order=order, by=by, payments=payments)
    assert WorkOrder.objects.get(pk=order.pk).status == S.SETTLED


@time_machine.travel(NOW, tick=False)
def test_an_order_with_parts_out_is_cancelled_only_once_they_are_back(filter_part):
    by = flow_user()
    order = parts_order(S.IN_PROGRESS, [(filter_part, 1)], by=by)
    receive(filter_part, 1, "40.00", by=by)
    issue(order, by=by)

    with pytest.raises(ValidationError) as refused:
        work_order_services.work_order_cancel(work_order=order, by=by, reason="客户不修了")
    assert refused.value.messages == ["本工单已领出的配件须先退回配件库,才能取消工单。"]

    [line] = parts_lines(order)
    services.return_slip_create(
        work_order=order, technician=by, lines=[services.SlipLine(line, D(1))], by=by, reason="取消"
    )
    work_order_services.work_order_cancel(work_order=order, by=by, reason="客户不修了")
    assert WorkOrder.objects.get(pk=order.pk).status == S.CANCELLED
    assert Stock.objects.get(pk=filter_part.pk).on_hand == 1


@time_machine.travel(NOW, tick=False)
def test_an_issue_takes_its_lines_reservation_and_the_daily_job_frees_closed_orders(filter_part):
    by = flow_user()
    kept = parts_order(S.IN_PROGRESS, [(filter_part, 3)], by=by)
    dropped = parts_order(S.APPROVED, [(filter_part, 2)], by=by)
    receive(filter_part, 6, "40.00", by=by)
    services.stock_reserve(line=parts_lines(kept)[0], by=by)
    services.stock_reserve(line=parts_lines(dropped)[0], by=by)
    assert Stock.objects.get(pk=filter_part.pk).available == 1

    issue(kept, {parts_lines(kept)[0]: 2}, by=by)
    stock = Stock.objects.get(pk=filter_part.pk)
    assert (stock.on_hand, stock.reserved) == (4, 3)  # 1 still set aside for kept, 2 for dropped
    work_order_services.work_order_cancel(work_order=dropped, by=by, reason="客户改期")

    assert tasks.release_stale_reservations() == 1
    assert tasks.release_stale_reservations() == 0  # a second run finds nothing
    stock = Stock.objects.get(pk=filter_part.pk)
    assert (stock.on_hand, stock.reserved, stock.available) == (4, 1, 3)
    assert StockMovement.objects.filter(kind="release").count() == 1
