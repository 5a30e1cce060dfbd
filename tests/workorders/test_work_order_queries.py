"""Query counts of the flow's services stay constant in the number of lines: each loads
the order's lines once."""

import datetime as dt

import pytest
import time_machine

from apps.workorders import services
from apps.workorders.models import Approval, WorkOrder
from tests.factories.clock import SHANGHAI
from tests.factories.core import rules_in_cache
from tests.factories.workorders import flow_user, order_in_state

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 7, 1, 10, 0, tzinfo=SHANGHAI)


def _lines(count):
    return [
        services.NewLine(kind="part", description=f"配件{n}", quantity=1, unit_price=10)
        for n in range(count)
    ]


@pytest.mark.parametrize("count", [2, 40])
@time_machine.travel(NOW, tick=False)
def test_a_move_takes_the_same_queries_with_2_or_40_lines(count, django_assert_num_queries):
    by = flow_user()  # a superuser: permission checks need no query
    order = order_in_state(WorkOrder.Status.APPROVED, by=by, lines=_lines(count))

    # savepoint, the lines for the guards, the claiming UPDATE, the StatusChange, release
    with django_assert_num_queries(5):
        services.work_order_transition(work_order=order, name="dispatch", by=by)


@pytest.mark.parametrize("count", [2, 40])
@time_machine.travel(NOW, tick=False)
def test_an_approval_takes_the_same_queries_with_2_or_40_lines(count, django_assert_num_queries):
    by = flow_user()
    rules_in_cache()
    order = order_in_state(WorkOrder.Status.DRAFT, by=by, lines=_lines(count))
    decisions = {line.pk: index % 2 == 0 for index, line in enumerate(order.lines.all())}

    # savepoint; lock the order; lock its proposed lines; the Approval; the lines'
    # bulk UPDATE; the recommendations' INSERT; totals: read lines, UPDATE the order;
    # the approve move: lines for the guard, claim, StatusChange; release
    with django_assert_num_queries(12):
        services.work_order_record_approval(
            work_order=order,
            by=by,
            decisions=decisions,
            method=Approval.Method.PHONE,
            customer_name="张伟",
            phone_number="13800000000",
        )
