"""The stock demo (`seed_demo`): a wider catalogue, years of movements whose stock never
went below zero and whose cache equals them (check_stock), the live flow's slips moved to
their order's day and signed, a few open purchase requests; loaded once."""

import datetime as dt
import io
from collections import defaultdict

import pytest
import time_machine
from django.core.management import call_command
from django.db.models import Max

from apps.core import seeding
from apps.customers import demo as customers_demo
from apps.stock import demo as stock_demo
from apps.stock.models import GoodsReceipt, IssueSlip, PurchaseRequest, Stock, StockMovement
from apps.workorders.models import WorkOrder
from tests.factories.clock import SHANGHAI

pytestmark = pytest.mark.django_db

LOADED_AT = dt.datetime(2026, 11, 20, 14, 10, tzinfo=SHANGHAI)


@pytest.fixture
def demo(monkeypatch):
    monkeypatch.setattr(customers_demo, "CUSTOMERS_PER_YEAR", 300)
    monkeypatch.setattr(customers_demo, "BATCH", 200)
    monkeypatch.setattr(stock_demo, "WIDER_KINDS", stock_demo.WIDER_KINDS[:4])
    with time_machine.travel(LOADED_AT, tick=False):
        yield seeding.seed_all(seeding.DemoRun(seed=7, years=2, now=LOADED_AT, log=lambda _: None))


def test_the_stock_demo(demo):
    """One seed (minutes on a busy machine), every check of it."""
    _the_stock_equals_its_movements_which_never_went_below_zero()
    _the_live_flows_slips_are_on_their_orders_day_signed_and_numbered_by_it()
    _a_few_requests_wait_for_their_goods_one_for_a_work_order_of_today()
    _the_stock_demo_is_loaded_once(demo)


def _the_stock_equals_its_movements_which_never_went_below_zero():
    out = io.StringIO()
    call_command("check_stock", stdout=out)
    assert out.getvalue() == "库存与流水一致。\n"

    running = defaultdict(lambda: 0)
    for part_id, quantity in StockMovement.objects.order_by("at", "id").values_list(
        "part_id", "quantity"
    ):
        running[part_id] += quantity
        assert running[part_id] >= 0, part_id
    assert StockMovement.objects.count() > 5000
    assert StockMovement.objects.aggregate(last=Max("at"))["last"] <= LOADED_AT
    first = StockMovement.objects.order_by("at").first().at
    assert first.date() < (LOADED_AT - dt.timedelta(days=600)).date()  # two years back
    assert GoodsReceipt.objects.filter(at__lt=LOADED_AT - dt.timedelta(days=365)).exists()
    # The fastest mover is near the counter and under watch.
    oil = Stock.objects.get(part__number="G052195M4")
    assert oil.bin.startswith("A-") and oil.minimum > 0


def _the_live_flows_slips_are_on_their_orders_day_signed_and_numbered_by_it():
    slips = list(IssueSlip.objects.select_related("work_order", "signature"))
    assert slips
    for slip in slips:
        check = slip.work_order.status_changes.get(transition="self_check").at
        assert slip.at == check - dt.timedelta(minutes=15)
        assert slip.signature.signed_at == slip.at
        assert slip.number.startswith(f"CK{slip.at.astimezone(SHANGHAI):%Y%m%d}")
        assert set(slip.movements.values_list("at", flat=True)) == {slip.at}
    # Every settled order of the flow with catalogue parts had them issued on a slip.
    settled = WorkOrder.objects.filter(
        status=WorkOrder.Status.SETTLED, inspection__isnull=False, lines__part__isnull=False
    ).distinct()
    assert settled.count() == IssueSlip.objects.filter(work_order__in=settled).count() > 0


def _a_few_requests_wait_for_their_goods_one_for_a_work_order_of_today():
    open_requests = PurchaseRequest.objects.filter(status=PurchaseRequest.Status.OPEN)
    assert open_requests.filter(work_order__isnull=True).exists()
    waiting = open_requests.filter(work_order__isnull=False)
    assert waiting.exists()
    assert all(r.expected_on > LOADED_AT.date() for r in open_requests)


def _the_stock_demo_is_loaded_once(demo):
    count = StockMovement.objects.count()

    with time_machine.travel(LOADED_AT, tick=False):
        stock_demo.seed(demo)

    assert StockMovement.objects.count() == count
