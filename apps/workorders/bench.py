"""The service history's size in `make bench` (apps.core.benchmark); its pages (the card,
the vehicle page, the 工作台) read it and are measured by their own apps. Measured here:
rendering the estimate PDF of a 40-line order (WeasyPrint with a CJK font), the work that
runs in a Celery task after the customer signs."""

import functools
from decimal import Decimal

from django.contrib.auth import get_user_model

from apps.core.benchmark import BENCH_USER, Operation
from apps.customers.models import Vehicle

from . import documents, services
from .demo import SERVICE_ITEMS
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


def operations(data: dict[str, int]) -> list[Operation]:
    order = forty_line_order()
    render = functools.partial(documents.document_render, work_order=order, kind="estimate")
    return [Operation("estimate PDF (render)", render, BENCH_LINES)]
