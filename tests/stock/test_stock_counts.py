"""Stock counts (盘点): a count sheet by bin, the counted quantities (the book quantity taken
when each is entered), submitted with a reason for every difference, approved by a manager,
whose approval posts each difference as an adjustment; every move recorded."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError

from apps.stock import services
from apps.stock.models import Stock, StockCount, StockMovement
from apps.workorders.models import WorkOrder
from tests.factories.clock import local_datetime
from tests.factories.parts import PartFactory
from tests.factories.stock import issue, parts_order, receive

pytestmark = pytest.mark.django_db
S = WorkOrder.Status
D = Decimal
NOW = local_datetime(dt.date(2026, 6, 30), 17)


@pytest.fixture
def shelf(user_with_role):
    """Three parts in bins A-01-01, A-01-02 and B-02-01, 10 of each at 20.00."""
    clerk = user_with_role("parts")
    parts = [PartFactory(number=n) for n in ("P1", "P2", "P3")]
    for part, bin_ in zip(parts, ("A-01-01", "A-01-02", "B-02-01"), strict=True):
        receive(part, 10, "20.00", by=clerk)
        services.stock_update(part=part, by=clerk, bin=bin_, minimum=0)
    return clerk, parts


def _enter(count, clerk, counted: dict):
    lines = {line.part.number: line for line in count.lines.select_related("part")}
    return services.stock_count_enter(
        count=count,
        by=clerk,
        entries=[
            services.CountEntry(lines[number], None if value is None else D(value), reason)
            for number, (value, reason) in counted.items()
        ],
    )


@time_machine.travel(NOW, tick=False)
def test_a_count_by_bin_is_submitted_approved_and_posted_as_adjustments(shelf, user_with_role):
    clerk, (p1, p2, p3) = shelf
    manager = user_with_role("manager")
    count = services.stock_count_open(bin_prefix="a-01", by=clerk)
    assert (count.number, count.bin_prefix) == ("PD202606300001", "A-01")
    assert [(line.part, line.bin) for line in count.lines.order_by("bin")] == [
        (p1, "A-01-01"),
        (p2, "A-01-02"),
    ]

    _enter(count, clerk, {"P1": ("9", ""), "P2": (None, "")})
    with pytest.raises(ValidationError) as refused:
        services.stock_count_transition(count=count, name="submit", by=clerk)
    assert refused.value.messages == ["还有配件未填写实盘数量。", "有差异的配件须填写差异原因。"]

    _enter(count, clerk, {"P1": ("9", "破损报废"), "P2": ("12", "上次入库少录")})
    services.stock_count_transition(count=count, name="submit", by=clerk)
    with pytest.raises(ValidationError) as refused:
        services.stock_count_approve(count=count, by=clerk)
    assert refused.value.messages == ["您没有“审批过账”的权限。"]
    services.stock_count_approve(count=count, by=manager)

    count.refresh_from_db()
    assert (count.status, count.approved_by, count.approved_at) == ("posted", manager, NOW)
    adjustments = list(
        StockMovement.objects.filter(kind="adjustment")
        .order_by("part__number")
        .values_list("part__number", "quantity", "value", "reason", "by")
    )
    assert adjustments == [
        ("P1", -1, D("-20.00"), "盘点 PD202606300001:破损报废", manager.pk),
        ("P2", 2, D("40.00"), "盘点 PD202606300001:上次入库少录", manager.pk),
    ]
    assert [Stock.objects.get(pk=p.pk).on_hand for p in (p1, p2, p3)] == [9, 12, 10]
    assert list(count.changes.values_list("transition", "from_status", "to_status", "by")) == [
        ("submit", "counting", "submitted", clerk.pk),
        ("approve", "submitted", "posted", manager.pk),
    ]
    with pytest.raises(ValidationError):
        _enter(count, clerk, {"P1": ("8", "再改")})


@time_machine.travel(NOW, tick=False)
def test_the_book_quantity_is_the_one_when_the_count_was_entered(shelf, user_with_role):
    clerk, (p1, _p2, _p3) = shelf
    manager = user_with_role("manager")
    order = parts_order(S.IN_PROGRESS, [(p1, 3)])
    count = services.stock_count_open(bin_prefix="A-01-01", by=clerk)
    issue(order)  # 3 leave before the counter reaches the bin: 7 are there
    _enter(count, clerk, {"P1": ("7", "")})
    services.stock_count_transition(count=count, name="submit", by=clerk)

    services.stock_count_approve(count=count, by=manager)

    assert not StockMovement.objects.filter(kind="adjustment").exists()
    assert Stock.objects.get(pk=p1.pk).on_hand == 7


@time_machine.travel(NOW, tick=False)
def test_a_count_sent_back_is_counted_again_and_a_part_is_on_one_open_count(shelf, user_with_role):
    clerk, _parts = shelf
    manager = user_with_role("manager")
    count = services.stock_count_open(bin_prefix="A", by=clerk)
    _enter(count, clerk, {"P1": ("10", ""), "P2": ("10", "")})
    services.stock_count_transition(count=count, name="submit", by=clerk)

    with pytest.raises(ValidationError) as refused:
        services.stock_count_transition(count=count, name="send_back", by=manager)
    assert refused.value.message_dict == {"reason": ["“退回重盘”必须填写原因。"]}
    services.stock_count_transition(count=count, name="send_back", by=manager, reason="P2 复盘")
    assert StockCount.objects.get(pk=count.pk).status == "counting"

    other = services.stock_count_open(bin_prefix="", by=clerk)  # every bin: P1, P2 are taken
    assert [line.part.number for line in other.lines.select_related("part")] == ["P3"]
    with pytest.raises(ValidationError) as refused:
        services.stock_count_open(bin_prefix="B", by=clerk)
    assert refused.value.message_dict == {
        "bin_prefix": ["库位 B* 下没有需要盘点的配件(或都已在未完成的盘点单中)。"]
    }
    services.stock_count_transition(count=count, name="cancel", by=clerk, reason="重新安排")
    assert StockCount.objects.get(pk=count.pk).status == "cancelled"
