"""The parts stock in `make bench` (apps.core.benchmark), as the advisor (the bench's user)
sees it, and the parts counter's write timed as a function:

- parts search with stock (库存): a name fragment, a number prefix, the parts below their
  minimum;
- a busy part's card at a past date: its stock five years ago (the sum of its movements up
  to then, from stockmovement_part_at_idx) with its latest movements;
- issue-slip creation: five lines of a bench order issued to a technician, in a
  transaction rolled back at the end (so 33 runs leave nothing behind; the commit itself
  is not timed);
- the work order's parts block (the work-order page loads it).

On data seeded before the stock app existed, the stock demo (apps/stock/demo.py) runs once
first, and the bench order is made once through the services."""

import datetime as dt
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from apps.core.benchmark import BENCH_USER, Operation
from apps.core.seeding import DemoRun
from apps.customers.models import Vehicle
from apps.parts.models import Part
from apps.workorders import services as work_order_services
from apps.workorders.models import Approval, WorkOrder

from . import demo, services
from .models import Stock, StockMovement

BENCH_WORDS = "性能测试:配件出库"  # the bench order is found again by these words
BENCH_LINES = 5
BUSY_PART = "G052195M4"  # the demo's fastest mover: 5W-30 4 L, nearly every service
YEARS_BACK = 5


def data() -> dict[str, int]:
    return {"parts": Part.objects.count(), "stock movements": StockMovement.objects.count()}


def _history_years() -> int:
    first = WorkOrder.objects.order_by("opened_at").values_list("opened_at", flat=True).first()
    if first is None:
        return 1
    return max(1, (timezone.localdate() - timezone.localdate(first)).days // 365)


def _stock_ready() -> None:
    """The stock demo, once, on data seeded before it existed."""
    run = DemoRun(seed=2026, years=_history_years(), now=timezone.now(), log=lambda _line: None)
    if not demo.history_exists(run):
        demo.seed(run)


def bench_order() -> WorkOrder:
    """The bench's approved order of BENCH_LINES well-stocked parts, made once through the
    services by the bench user and reused."""
    existing = WorkOrder.objects.filter(customer_words=BENCH_WORDS).order_by("id").first()
    if existing is not None:
        return existing
    advisor = get_user_model().objects.get(username=BENCH_USER)
    vehicle = Vehicle.objects.filter(owner__isnull=False).order_by("id").first()
    order = work_order_services.work_order_open(
        vehicle=vehicle,
        by=advisor,
        kind=WorkOrder.Kind.REPAIR,
        mileage=vehicle.mileage,
        promised_at=None,
        customer_words=BENCH_WORDS,
        advisor=advisor,
    )
    parts = Part.objects.filter(
        # The best-stocked parts (a 1-year bench has few parts with much stock).
        pk__in=Stock.objects.filter(available__gte=1).order_by("-available").values("part_id")[:50]
    ).order_by("number")[:BENCH_LINES]
    lines = work_order_services.work_order_add_lines(
        work_order=order,
        by=advisor,
        lines=[work_order_services.line_from_part(part, quantity=Decimal(1)) for part in parts],
    )
    work_order_services.work_order_record_approval(
        work_order=order,
        by=advisor,
        decisions={line.pk: True for line in lines},
        decline_reasons={},
        method=Approval.Method.PHONE,
        customer_name=order.customer.name,
        phone_number=order.customer.mobile,
    )
    order.refresh_from_db()
    return order


class _RolledBack(Exception):
    pass


def issue_rolled_back(order: WorkOrder, technician, clerk):
    """One issue slip of every line of `order`, rolled back when done."""
    lines = list(order.lines.filter(part__isnull=False).order_by("id"))
    for user in (clerk, technician):
        user.get_all_permissions()  # cached on the user: every timed run costs the same

    def issue():
        try:
            with transaction.atomic():
                services.issue_slip_create(
                    work_order=order,
                    technician=technician,
                    lines=[services.SlipLine(line, line.quantity) for line in lines],
                    by=clerk,
                )
                raise _RolledBack
        except _RolledBack:
            pass

    return issue


def operations(data: dict[str, int]) -> list[Operation]:
    _stock_ready()
    users = get_user_model().objects.in_bulk(["technician", "parts"], field_name="username")
    order = bench_order()
    busy = Part.objects.filter(number=BUSY_PART).first() or Part.objects.order_by("id").first()
    busy_movements = StockMovement.objects.filter(part=busy).count()
    past = timezone.localdate() - dt.timedelta(days=365 * YEARS_BACK)
    stock = reverse("stock:stock_list")
    parts = data.get("parts", 0)
    return [
        Operation("stock search (name)", f"{stock}?q=滤清器", parts),
        Operation("stock search (number prefix)", f"{stock}?q=5QD8", parts),
        Operation("stock below minimum", f"{stock}?below_minimum=on", parts),
        Operation(
            "busy part at a past date",
            f"{reverse('stock:part_detail', args=[busy.pk])}?on={past}",
            busy_movements,
        ),
        Operation(
            f"issue-slip creation ({BENCH_LINES} lines)",
            issue_rolled_back(order, users["technician"], users["parts"]),
            BENCH_LINES,
        ),
        Operation("work-order parts block", reverse("stock:work_order_block", args=[order.pk]), 5),
    ]
