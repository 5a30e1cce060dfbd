"""Delivery (the internal check, next maintenance, callback preferences) and settlement
(payments equal to the customer's share, receivables for the insurer's and the maker's
shares, settled_at)."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError

from apps.customers.models import Customer
from apps.workorders import services
from apps.workorders.models import (
    MaintenanceInterval,
    OldParts,
    Payer,
    Payment,
    Receivable,
    WorkOrder,
)
from apps.workorders.services import NewLine, NewPayment
from tests.factories.clock import SHANGHAI
from tests.factories.customers import VehicleFactory
from tests.factories.workorders import flow_user, order_in_state

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 7, 1, 16, 0, tzinfo=SHANGHAI)
S = WorkOrder.Status


@time_machine.travel(NOW, tick=False)
def test_the_internal_check_comes_after_final_qc_and_delivery_after_the_check(user_with_role):
    advisor = user_with_role("advisor")
    in_progress = order_in_state(S.IN_PROGRESS)
    ready = order_in_state(S.READY)

    with pytest.raises(ValidationError) as refused:
        services.work_order_internal_check(
            work_order=in_progress, by=advisor, old_parts=OldParts.SHOWN
        )
    assert refused.value.messages == ["工单当前为“维修中”,终检通过后才能做交车前检查。"]

    with pytest.raises(ValidationError) as refused:
        services.work_order_deliver(work_order=ready, by=advisor, callback_told=True)
    assert refused.value.messages == ["请先完成交车前内部检查。"]
    assert WorkOrder.objects.get(pk=ready.pk).status == S.READY

    services.work_order_internal_check(work_order=ready, by=advisor, old_parts=OldParts.LEFT)
    ready.refresh_from_db()
    assert (ready.internal_checked_at, ready.internal_checked_by, ready.old_parts) == (
        NOW,
        advisor,
        OldParts.LEFT,
    )


@time_machine.travel(NOW, tick=False)
def test_delivery_sets_the_next_maintenance_from_the_model_and_the_callback_preference():
    by = flow_user()
    vehicle = VehicleFactory(model_name="迈腾 2024款", mileage=30000)
    MaintenanceInterval.objects.create(model_name="迈腾 2024款", months=12, km=10000)
    order = order_in_state(S.READY, by=by, vehicle=vehicle)
    services.work_order_internal_check(work_order=order, by=by, old_parts=OldParts.SHOWN)

    change = services.work_order_deliver(
        work_order=order, by=by, callback_preferred_time="evening", callback_told=True
    )

    order.refresh_from_db()
    assert (change.transition, order.status, order.delivered_at, order.delivered_by) == (
        "deliver",
        S.DELIVERED,
        NOW,
        by,
    )
    # opened at 31,000 km (the vehicle's 30,000 + 1,000): +10,000 km, +12 months
    assert (order.next_maintenance_on, order.next_maintenance_km) == (dt.date(2027, 7, 1), 41000)
    assert (order.callback_preferred_time, order.callback_told) == ("evening", True)
    assert Customer.objects.get(pk=order.customer_id).preferred_contact_time == "evening"


@time_machine.travel(NOW, tick=False)
def test_delivery_defaults_to_the_settings_interval_or_takes_what_was_typed():
    by = flow_user()
    default = order_in_state(S.READY, by=by, vehicle=VehicleFactory(mileage=10000))
    typed = order_in_state(S.READY, by=by)
    for order in (default, typed):
        services.work_order_internal_check(work_order=order, by=by, old_parts=OldParts.SHOWN)

    services.work_order_deliver(work_order=default, by=by, callback_told=False)
    services.work_order_deliver(
        work_order=typed,
        by=by,
        next_maintenance_on=dt.date(2026, 10, 1),
        next_maintenance_km=20000,
        callback_told=True,
    )

    default.refresh_from_db()
    typed.refresh_from_db()
    assert (default.next_maintenance_on, default.next_maintenance_km) == (
        dt.date(2027, 1, 1),
        16000,
    )
    assert (typed.next_maintenance_on, typed.next_maintenance_km) == (dt.date(2026, 10, 1), 20000)


def _mixed_order(by):
    return order_in_state(
        S.DELIVERED,
        by=by,
        kind=WorkOrder.Kind.ACCIDENT,
        lines=[
            NewLine(kind="labour", description="钣喷", quantity=2, unit_price=200),
            NewLine(
                kind="part",
                description="前保险杠",
                quantity=1,
                unit_price=Decimal("1234.56"),
                payer=Payer.INSURANCE,
            ),
            NewLine(
                kind="part",
                description="水泵",
                quantity=1,
                unit_price=Decimal("650.00"),
                payer=Payer.WARRANTY,
            ),
        ],
    )


@time_machine.travel(NOW, tick=False)
def test_payments_that_do_not_add_up_to_the_customer_share_are_refused():
    by = flow_user()
    order = _mixed_order(by)

    with pytest.raises(ValidationError) as refused:
        services.work_order_settle(
            work_order=order, by=by, payments=[NewPayment(Payment.Method.CASH, Decimal("350"))]
        )

    assert refused.value.message_dict == {
        "payments": ["收款合计 350.00 元,客户应付 400.00 元,少收 50.00 元,请核对后再结算。"]
    }
    order.refresh_from_db()
    assert (order.status, order.settled_at) == (S.DELIVERED, None)
    assert (Payment.objects.count(), Receivable.objects.count()) == (0, 0)


@time_machine.travel(NOW, tick=False)
def test_settlement_records_the_payments_and_leaves_the_other_shares_as_receivables():
    by = flow_user()
    order = _mixed_order(by)

    change = services.work_order_settle(
        work_order=order,
        by=by,
        payments=[
            NewPayment(Payment.Method.WECHAT, Decimal("300.00"), reference="4200001234"),
            NewPayment(Payment.Method.CASH, Decimal("100.00")),
        ],
    )

    order.refresh_from_db()
    assert (change.transition, order.status, order.settled_at, order.settled_by) == (
        "settle",
        S.SETTLED,
        NOW,
        by,
    )
    assert list(order.payments.values_list("method", "amount", "reference", "received_at")) == [
        ("wechat", Decimal("300.00"), "4200001234", NOW),
        ("cash", Decimal("100.00"), "", NOW),
    ]
    assert sorted(order.receivables.values_list("payer", "party", "amount", "status")) == [
        ("insurance", "平安保险", Decimal("1234.56"), "open"),
        ("warranty", "大众 厂家", Decimal("650.00"), "open"),
    ]
    assert order.is_read_only
