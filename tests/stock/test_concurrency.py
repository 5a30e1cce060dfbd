"""Stock never goes below zero, even with many issues at once (DOMAIN.md §3 "Parts"): real
threads, each on its own database connection, issuing the last units of one part."""

import datetime as dt
import re
import threading
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.db.models import Sum

from apps.stock import services
from apps.stock.models import GoodsReceipt, Stock, StockMovement
from apps.workorders.models import WorkOrder, WorkOrderLine
from tests.factories.clock import local_datetime
from tests.factories.parts import PartFactory
from tests.factories.stock import parts_lines, parts_order, receive
from tests.factories.workorders import flow_user

S = WorkOrder.Status
NOW = local_datetime(dt.date(2026, 6, 15), 10)
SHORT = re.compile(r"^库存不足:机油滤清器\(5QD115561\) 现有 (\d+) 个,需要 (\d+) 个。$")
THREADS = 24  # clerks at once: far more than ever stand at one parts counter


def _run_at_once(work, items) -> list:
    """Run work(item) for every item in its own thread, all released together; returns
    what each returned (or the ValidationError it raised)."""
    barrier = threading.Barrier(len(items))
    outcomes = [None] * len(items)

    def run(index, item):
        try:
            barrier.wait(timeout=30)
            outcomes[index] = work(item)
        except ValidationError as error:
            outcomes[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=pair) for pair in enumerate(items)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return outcomes


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@time_machine.travel(NOW, tick=False)
def test_many_clerks_issuing_the_last_units_at_once_never_issue_more_than_there_was():
    # Given 10 filters in stock and 24 orders wanting 1, 2 or 3 of them (48 in all)
    clerk = flow_user()
    part = PartFactory(number="5QD115561", name="机油滤清器", unit="个")
    orders = [parts_order(S.IN_PROGRESS, [(part, 1 + n % 3)], by=clerk) for n in range(THREADS)]
    receive(part, 10, "40.00", by=clerk)

    # When every order's line is issued at the same moment, each from its own connection
    def issue(order):
        [line] = parts_lines(order)
        return services.issue_slip_create(
            work_order=order,
            technician=clerk,
            lines=[services.SlipLine(line, line.quantity)],
            by=clerk,
        )

    outcomes = _run_at_once(issue, orders)

    # Then the sum issued never exceeds what was there, and stock is not negative
    issued = sum(-m.quantity for m in StockMovement.objects.filter(kind="issue"))
    stock = Stock.objects.get(pk=part.pk)
    assert 8 <= issued <= 10  # a want of 2 or 3 may not fit what is left
    assert stock.on_hand == 10 - issued >= 0
    # every order either got all it wanted or was refused with how many there were
    for order, outcome in zip(orders, outcomes, strict=True):
        [line] = parts_lines(order)
        if isinstance(outcome, ValidationError):
            [message] = outcome.messages
            found = SHORT.match(message)
            assert found, message
            have, need = (int(n) for n in found.groups())
            assert have < need == line.quantity
            assert line.issued_quantity == 0
        else:
            assert outcome.work_order_id == order.pk
            assert line.issued_quantity == line.quantity
    refusals = [o for o in outcomes if isinstance(o, ValidationError)]
    assert len(refusals) >= THREADS - 10
    # and the stock equals the sum of its movements, the lines' issued quantities theirs
    moved = StockMovement.objects.filter(part=part).aggregate(on_hand=Sum("quantity"))
    assert stock.on_hand == moved["on_hand"]
    assert (
        sum(WorkOrderLine.objects.filter(part=part).values_list("issued_quantity", flat=True))
        == issued
    )
    call_command("check_stock")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@time_machine.travel(NOW, tick=False)
def test_two_clerks_issuing_the_same_line_at_once_issue_it_once():
    clerk = flow_user()
    part = PartFactory(number="5QD115561", name="机油滤清器", unit="个")
    order = parts_order(S.IN_PROGRESS, [(part, 2)], by=clerk)
    receive(part, 10, "40.00", by=clerk)
    [line] = parts_lines(order)

    outcomes = _run_at_once(
        lambda _: services.issue_slip_create(
            work_order=order,
            technician=clerk,
            lines=[services.SlipLine(line, Decimal(2))],
            by=clerk,
        ),
        [1, 2],
    )

    refused = [o.messages for o in outcomes if isinstance(o, ValidationError)]
    assert refused == [[f"{line.description}:工单数量 2,已出库 2,本次最多还可出库 0。"]]
    assert WorkOrderLine.objects.get(pk=line.pk).issued_quantity == 2
    assert Stock.objects.get(pk=part.pk).on_hand == 8


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@time_machine.travel(NOW, tick=False)
def test_one_delivery_note_scanned_twice_at_once_is_received_once():
    clerk = flow_user()
    part = PartFactory()

    outcomes = _run_at_once(
        lambda _: receive(part, 5, "12.00", by=clerk, note="SD2026061501"), [1, 2]
    )

    refused = [o.message_dict["delivery_note"] for o in outcomes if isinstance(o, ValidationError)]
    assert len(refused) == 1
    assert "送货单 SD2026061501 已于 2026-06-15 10:00 入库" in refused[0][0]
    assert GoodsReceipt.objects.count() == 1
    assert Stock.objects.get(pk=part.pk).on_hand == 5


@pytest.mark.django_db
@time_machine.travel(NOW, tick=False)
def test_the_database_itself_refuses_negative_stock_and_over_reservation():
    part = PartFactory()
    receive(part, 3, "10.00")

    for change in ({"on_hand": -1, "value": 0}, {"reserved": 4}):
        with pytest.raises(IntegrityError), transaction.atomic():
            Stock.objects.filter(pk=part.pk).update(**change)

    assert Stock.objects.get(pk=part.pk).on_hand == 3
