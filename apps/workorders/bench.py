"""The service history's size in `make bench` (apps.core.benchmark); the card, the vehicle
page and the 工作台 read it and are measured by their own apps. Measured here: the
work-order page of a 40-line order, the list (page 1, and one advisor's month), the
advisor's home with today's orders in every state, and rendering the estimate PDF of the
40-line order (WeasyPrint with a CJK font), the work that runs in a Celery task after the
customer signs.

On data seeded before the live flow existed (or on another day), the few rows the pages
need are made through the demo's own code: the catalogue and today's orders of the live
flow (demo_live.seed_today), once a day."""

import datetime as dt
import functools
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from apps.core.benchmark import BENCH_USER, Operation
from apps.core.calendar import day_start
from apps.core.seeding import DemoRun
from apps.customers.models import Vehicle

from . import demo_live, documents, services
from .demo import SERVICE_ITEMS
from .demo_catalogue import seed_catalogue
from .models import Payer, WorkOrder, WorkOrderLine

BENCH_LINES = 40  # the "estimate PDF" of a big order: 40 lines
# The bench order is found again by these words on later runs over the same data.
BENCH_WORDS = "性能测试:40 行报价单"


def data() -> dict[str, int]:
    return {"work orders": WorkOrder.objects.count(), "lines": WorkOrderLine.objects.count()}


def forty_line_order() -> WorkOrder:
    """The bench's open order with BENCH_LINES lines, made once through the services (on
    the first vehicle, by the bench user) and reused by later runs."""
    existing = WorkOrder.objects.filter(customer_words=BENCH_WORDS).order_by("id").first()
    if existing is not None:
        return existing
    advisor = get_user_model().objects.get(username=BENCH_USER)
    vehicle = Vehicle.objects.order_by("id").first()
    order = services.work_order_open(
        vehicle=vehicle,
        by=advisor,
        kind=WorkOrder.Kind.REPAIR,
        mileage=vehicle.mileage,
        promised_at=None,
        customer_words=BENCH_WORDS,
        advisor=advisor,
    )
    items = [item for group in SERVICE_ITEMS.values() for item in group]
    payers = [Payer.CUSTOMER, Payer.CUSTOMER, Payer.CUSTOMER, Payer.WARRANTY, Payer.INSURANCE]
    lines = []
    for serial in range(BENCH_LINES):
        kind, code, description, quantity, prices = items[serial % len(items)]
        lines.append(
            services.NewLine(
                kind=kind,
                code=code,
                description=f"{description}({serial + 1})",
                quantity=quantity,
                unit_price=Decimal(prices[0] if prices else 200),
                payer=payers[serial % len(payers)],
            )
        )
    services.work_order_add_lines(work_order=order, by=advisor, lines=lines)
    return order


def todays_flow(advisor) -> int:
    """The advisor's open orders today made through the services; when there are none
    (data seeded on an earlier day, or before the live flow), today's orders of the demo's
    live flow are made now. Returns how many the advisor has open today."""
    now = timezone.now()
    today = (
        WorkOrder.objects.filter(advisor=advisor, opened_at__gte=day_start(timezone.localdate(now)))
        .filter(status_changes__isnull=False)
        .distinct()
    )
    if not today.exists():
        seed_catalogue()
        demo_live.seed_today(DemoRun(seed=2026, years=1, now=now, log=lambda _line: None))
    return today.count()


def last_full_month(today: dt.date) -> tuple[dt.date, dt.date]:
    last = today.replace(day=1) - dt.timedelta(days=1)
    return last.replace(day=1), last


def operations(data: dict[str, int]) -> list[Operation]:
    orders = data.get("work orders", 0)
    order = forty_line_order()
    advisor = get_user_model().objects.get(username=BENCH_USER)
    todays_flow(advisor)
    first, last = last_full_month(timezone.localdate())
    work_orders = reverse("workorders:list")
    month = f"{work_orders}?advisor={advisor.pk}&opened_from={first}&opened_to={last}"
    render = functools.partial(documents.document_render, work_order=order, kind="estimate")
    return [
        Operation(
            f"work-order page ({BENCH_LINES} lines)",
            reverse("workorders:detail", args=[order.pk]),
            BENCH_LINES,
        ),
        Operation("work-order list page 1", work_orders, orders),
        Operation("work-order list (advisor, month)", month, orders),
        Operation("advisor home", reverse("workorders:advisor_home"), orders),
        Operation("estimate PDF (render)", render, BENCH_LINES),
    ]
