"""The promised time: an order that will miss it shows among the orders at risk before it
passes; the advisor records that the customer was told and the new time."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from apps.workorders import services
from apps.workorders.models import DelayNotice, WorkOrder
from apps.workorders.selectors import delay_notice_was_late, work_orders_at_risk
from tests.factories.clock import SHANGHAI
from tests.factories.workorders import flow_user, order_in_state

pytestmark = pytest.mark.django_db
OPENED = dt.datetime(2026, 7, 1, 9, 0, tzinfo=SHANGHAI)
PROMISED = dt.datetime(2026, 7, 1, 17, 0, tzinfo=SHANGHAI)


def _at(hour, minute=0):
    return dt.datetime(2026, 7, 1, hour, minute, tzinfo=SHANGHAI)


def test_an_order_is_at_risk_from_the_warning_minutes_before_its_promise(time_machine):
    time_machine.move_to(OPENED, tick=False)
    advisor, other = flow_user(), flow_user()
    order = order_in_state(WorkOrder.Status.IN_PROGRESS, by=advisor, promised_at=PROMISED)
    order_in_state(WorkOrder.Status.IN_PROGRESS, by=other, promised_at=PROMISED)
    order_in_state(WorkOrder.Status.READY, by=advisor, promised_at=_at(12))  # ready: no risk
    order_in_state(WorkOrder.Status.IN_PROGRESS, by=advisor, promised_at=None)

    # 15:59: more than the 60 warning minutes before 17:00
    assert work_orders_at_risk(advisor=advisor, now=_at(15, 59)) == []
    # 16:00: within the warning, not yet overdue
    (at_risk,) = work_orders_at_risk(advisor=advisor, now=_at(16))
    assert (at_risk, at_risk.is_overdue) == (order, False)
    # 17:01: overdue; and the whole dealership's list has both advisors' orders
    assert [o.is_overdue for o in work_orders_at_risk(now=_at(17, 1))] == [True, True]


def test_a_notice_before_the_promise_moves_it_and_takes_the_order_off_the_list(time_machine):
    time_machine.move_to(OPENED, tick=False)
    by = flow_user()
    order = order_in_state(WorkOrder.Status.IN_PROGRESS, by=by, promised_at=PROMISED)

    time_machine.move_to(_at(16, 10), tick=False)
    notice = services.work_order_delay_notice(
        work_order=order, by=by, new_promised_at=_at(19), how="phone", note="等配件"
    )

    assert (
        notice.old_promised_at,
        notice.new_promised_at,
        notice.told_at,
        notice.told_by,
        notice.how,
    ) == (PROMISED, _at(19), _at(16, 10), by, "phone")
    assert not delay_notice_was_late(notice)
    assert WorkOrder.objects.get(pk=order.pk).promised_at == _at(19)
    assert work_orders_at_risk(now=_at(16, 10)) == []
    assert work_orders_at_risk(now=_at(18)) == [order]


def test_a_notice_after_the_promise_passed_is_recorded_and_flagged_late(time_machine):
    time_machine.move_to(OPENED, tick=False)
    by = flow_user()
    order = order_in_state(WorkOrder.Status.IN_PROGRESS, by=by, promised_at=PROMISED)

    time_machine.move_to(_at(17, 30), tick=False)
    notice = services.work_order_delay_notice(
        work_order=order, by=by, new_promised_at=_at(18, 30), how="wechat"
    )

    assert delay_notice_was_late(notice)


def test_the_new_time_must_be_later(time_machine):
    time_machine.move_to(OPENED, tick=False)
    by = flow_user()
    order = order_in_state(WorkOrder.Status.IN_PROGRESS, by=by, promised_at=PROMISED)

    with pytest.raises(ValidationError) as refused:
        services.work_order_delay_notice(
            work_order=order, by=by, new_promised_at=_at(16), how="phone"
        )

    assert refused.value.message_dict == {
        "new_promised_at": ["新的承诺时间须晚于原承诺时间和当前时间。"]
    }
    assert DelayNotice.objects.count() == 0
