"""The one totals function (labour, parts, materials, discount, total, by payer) on
hand-computed orders, the stored cache and its check command, the line builders from the
catalogue, line changes and the discount limit."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.core.management import call_command

from apps.workorders import services
from apps.workorders.models import Approval, LineStatus, Payer, WorkOrder, WorkOrderLine
from apps.workorders.services import NewLine
from tests.factories.clock import SHANGHAI
from tests.factories.customers import VehicleFactory
from tests.factories.parts import PartFactory
from tests.factories.workorders import (
    CannedJobFactory,
    CannedJobLineFactory,
    LabourOperationFactory,
    flow_user,
    order_in_state,
)

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 7, 1, 10, 0, tzinfo=SHANGHAI)
LABOUR, PART, MATERIAL = (WorkOrderLine.Kind.LABOUR, WorkOrderLine.Kind.PART, "material")


def money(value: str) -> Decimal:
    return Decimal(value)


def _line(kind, quantity, price, payer=Payer.CUSTOMER, discount="0", description="项目"):
    return NewLine(
        kind=kind,
        description=description,
        quantity=money(quantity),
        unit_price=money(price),
        payer=payer,
        discount_percent=money(discount),
    )


def _decide(order, by, declined_descriptions=()):
    lines = order.lines.filter(status=LineStatus.PROPOSED)
    return services.work_order_record_approval(
        work_order=order,
        by=by,
        decisions={line.pk: line.description not in declined_descriptions for line in lines},
        method=Approval.Method.PHONE,
        customer_name="张伟",
        phone_number="13800000000",
    )


@time_machine.travel(NOW, tick=False)
def test_a_mixed_payer_order_with_a_discount_and_a_declined_line_adds_up_by_hand():
    by = flow_user()
    order = order_in_state(
        WorkOrder.Status.DRAFT,
        by=by,
        lines=[
            _line(LABOUR, "1.5", "200.00", discount="10", description="更换刹车片工时"),
            _line(PART, "4", "60.00", description="机油"),
            _line(MATERIAL, "1", "30.00", Payer.WARRANTY, description="清洗剂"),
            _line(PART, "1", "1234.56", Payer.INSURANCE, description="前保险杠"),
            _line(LABOUR, "2", "200.00", Payer.INSURANCE, description="钣喷工时"),
            _line(PART, "1", "500.00", description="雨刮片"),
        ],
    )
    _decide(order, by, declined_descriptions=("雨刮片",))
    order.refresh_from_db()

    totals = services.work_order_totals(order.lines.all())

    # labour 300 + 400, parts 240 + 1234.56, materials 30, discount 10 % of 300;
    # the declined wiper blades (500) count for nothing
    assert (totals.labour, totals.parts, totals.materials, totals.discount, totals.total) == (
        money("700.00"),
        money("1474.56"),
        money("30.00"),
        money("30.00"),
        money("2174.56"),
    )
    assert totals.by_payer == {
        "customer": money("510.00"),
        "warranty": money("30.00"),
        "insurance": money("1634.56"),
        "internal": money("0"),
        "campaign": money("0"),
    }
    assert totals.customer_paid == money("510.00")
    # and the stored cache says the same
    assert (
        order.labour_amount,
        order.parts_amount,
        order.materials_amount,
        order.discount_amount,
        order.total_amount,
        order.customer_paid_amount,
        order.warranty_amount,
        order.insurance_amount,
    ) == (
        money("700.00"),
        money("1474.56"),
        money("30.00"),
        money("30.00"),
        money("2174.56"),
        money("510.00"),
        money("30.00"),
        money("1634.56"),
    )


@time_machine.travel(NOW, tick=False)
def test_amounts_round_half_up_to_the_fen():
    order = order_in_state(
        WorkOrder.Status.DRAFT,
        lines=[
            _line(PART, "0.3", "33.35"),  # 10.005 → 10.01 (half-even would give 10.00)
            _line(PART, "3", "33.33", discount="5"),  # 99.99 × 0.95 = 94.9905 → 94.99
        ],
    )

    assert [line.amount for line in order.lines.order_by("id")] == [
        money("10.01"),
        money("94.99"),
    ]
    totals = services.work_order_totals(order.lines.all())
    assert (totals.parts, totals.discount, totals.total) == (
        money("110.00"),  # 10.01 + 99.99 before the discount
        money("5.00"),
        money("105.00"),
    )


@time_machine.travel(NOW, tick=False)
def test_the_check_command_lists_a_tampered_order_and_fixes_it(capsys):
    order = order_in_state(WorkOrder.Status.DRAFT)
    untouched = order_in_state(WorkOrder.Status.DRAFT)
    WorkOrder.objects.filter(pk=order.pk).update(total_amount=money("1.00"))

    with pytest.raises(SystemExit) as exited:
        call_command("check_workorder_totals")

    assert exited.value.code == 1
    out = capsys.readouterr().out
    assert out == f"{order.number}: total_amount 1.00 ≠ 420.00\n"
    assert untouched.number not in out

    call_command("check_workorder_totals", "--fix")
    assert WorkOrder.objects.get(pk=order.pk).total_amount == money("420.00")
    capsys.readouterr()
    call_command("check_workorder_totals")  # no SystemExit: everything matches now
    assert capsys.readouterr().out == "all stored work-order totals match their lines\n"


@time_machine.travel(NOW, tick=False)
def test_catalogue_lines_take_the_labour_rate_and_the_part_price():
    operation = LabourOperationFactory(code="LB-OIL", name="更换机油", standard_hours=money("0.50"))
    part = PartFactory(number="PT-FILTER", name="机滤", price=money("45.50"))

    labour = services.line_from_labour_operation(operation, payer=Payer.WARRANTY)
    filter_line = services.line_from_part(part, quantity=2, payer=Payer.CUSTOMER)

    assert (labour.code, labour.description, labour.quantity, labour.unit_price, labour.payer) == (
        "LB-OIL",
        "更换机油",
        money("0.50"),
        money("200.00"),
        Payer.WARRANTY,
    )
    assert (filter_line.code, filter_line.quantity, filter_line.unit_price) == (
        "PT-FILTER",
        money("2"),
        money("45.50"),
    )


@time_machine.travel(NOW, tick=False)
def test_a_canned_job_adds_its_lines_at_catalogue_or_written_prices_in_one_tap():
    by = flow_user()
    job = CannedJobFactory()
    operation = LabourOperationFactory(name="10000 公里保养工时", standard_hours="1.20")
    CannedJobLineFactory(canned_job=job, labour_operation=operation, position=1)
    CannedJobLineFactory(
        canned_job=job,
        kind=PART,
        labour_operation=None,
        part=PartFactory(name="机油 5W-30", price="60.00"),
        quantity="4",
        position=2,
    )
    CannedJobLineFactory(
        canned_job=job,
        kind=MATERIAL,
        labour_operation=None,
        description="清洗剂",
        unit_price="25.00",
        position=3,
    )
    order = order_in_state(WorkOrder.Status.DRAFT, by=by, lines=[])

    created = services.work_order_add_canned_job(work_order=order, by=by, canned_job=job)

    assert [
        (line.kind, line.description, line.quantity, line.unit_price, line.amount, line.status)
        for line in created
    ] == [
        (LABOUR, "10000 公里保养工时", money("1.20"), money("200.00"), money("240.00"), "proposed"),
        (PART, "机油 5W-30", money("4"), money("60.00"), money("240.00"), "proposed"),
        (MATERIAL, "清洗剂", money("1"), money("25.00"), money("25.00"), "proposed"),
    ]
    assert {line.canned_job_id for line in created} == {job.pk}
    order.refresh_from_db()
    assert order.total_amount == money("505.00")


@time_machine.travel(NOW, tick=False)
def test_only_proposed_lines_change_or_go(user_with_role):
    by = user_with_role("advisor")
    order = order_in_state(WorkOrder.Status.APPROVED)
    approved = order.lines.first()

    for attempt in (
        lambda: services.line_update(line=approved, by=by, quantity=2),
        lambda: services.line_remove(line=approved, by=by),
    ):
        with pytest.raises(ValidationError) as refused:
            attempt()
        assert refused.value.messages == [
            "“更换机油机滤”客户已同意,不能修改或删除;如需变更,请新增项目。"
        ]

    (added,) = services.work_order_add_lines(
        work_order=order, by=by, lines=[_line(PART, "1", "80.00", description="空调滤")]
    )
    assert added.is_added
    services.line_update(line=added, by=by, quantity=2, payer=Payer.INTERNAL)
    added.refresh_from_db()
    assert (added.quantity, added.amount, added.payer) == (money("2"), money("160.00"), "internal")
    order.refresh_from_db()
    assert (order.total_amount, order.internal_amount) == (money("580.00"), money("160.00"))

    services.line_remove(line=added, by=by)
    order.refresh_from_db()
    assert (order.lines.count(), order.total_amount) == (2, money("420.00"))


@time_machine.travel(NOW, tick=False)
def test_a_cancelled_order_takes_no_lines():
    by = flow_user()
    order = order_in_state(WorkOrder.Status.CANCELLED, by=by)

    with pytest.raises(ValidationError) as refused:
        services.work_order_add_lines(work_order=order, by=by, lines=[_line(PART, "1", "1")])

    assert refused.value.messages == [f"工单 {order.number} 当前为“已取消”,不能再修改。"]
    assert order.lines.count() == 0


@time_machine.travel(NOW, tick=False)
def test_a_discount_over_the_limit_waits_for_a_manager(user_with_role):
    advisor, manager = user_with_role("advisor"), user_with_role("manager")
    order = order_in_state(WorkOrder.Status.DRAFT, by=advisor, vehicle=VehicleFactory())
    labour = order.lines.get(kind=LABOUR)

    # The advisor gives 15 % (the limit is 10 %): saved, but the customer cannot approve yet
    services.line_update(line=labour, by=advisor, discount_percent="15")
    labour.refresh_from_db()
    assert (labour.amount, labour.discount_approved_by) == (money("153.00"), None)
    with pytest.raises(ValidationError) as refused:
        _decide(order, advisor)
    assert refused.value.messages == ["更换机油机滤 的折扣超出上限,须经理批准后才能请客户确认。"]
    assert order.lines.filter(status=LineStatus.PROPOSED).count() == 2

    # and the advisor cannot approve it himself
    with pytest.raises(ValidationError) as refused:
        services.line_approve_discount(line=labour, by=advisor)
    assert refused.value.messages == ["超出折扣上限的优惠须由售后经理批准。"]

    # The manager approves: the customer can now approve
    services.line_approve_discount(line=labour, by=manager)
    _decide(order, advisor)
    order.refresh_from_db()
    assert (order.status, order.discount_amount, order.total_amount) == (
        WorkOrder.Status.APPROVED,
        money("27.00"),
        money("393.00"),
    )


@time_machine.travel(NOW, tick=False)
def test_a_manager_s_own_discount_over_the_limit_is_approved_at_once(user_with_role):
    manager = user_with_role("manager")
    order = order_in_state(WorkOrder.Status.DRAFT, by=manager)
    line = order.lines.first()

    services.line_update(line=line, by=manager, discount_percent="20")

    line.refresh_from_db()
    assert line.discount_approved_by == manager
