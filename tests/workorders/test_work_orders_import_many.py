"""apps.workorders.services.work_orders_import_many: imported history, read-only, with the
stored totals computed from the lines in one place."""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from apps.workorders.models import WorkOrder, WorkOrderLine
from apps.workorders.services import ImportedLine, ImportedOrder, work_orders_import_many
from tests.factories.customers import VehicleFactory

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")


def line(kind, amount, payer="customer"):
    return ImportedLine(
        kind=kind,
        code="",
        description="项目",
        quantity=Decimal(1),
        unit_price=Decimal(amount),
        amount=Decimal(amount),
        payer=payer,
    )


def test_orders_are_settled_imported_with_totals_from_their_lines(django_assert_num_queries):
    vehicle = VehicleFactory()
    orders = [
        ImportedOrder(
            number=f"WO{n}",
            vehicle_id=vehicle.pk,
            customer_id=vehicle.owner_id,
            kind=WorkOrder.Kind.MAINTENANCE,
            opened_on=dt.date(2023, 5, 18),
            delivered_on=None,
            mileage=30000 + n,
            customer_words="",
            lines=[line("labour", "180"), line("part", "240"), line("material", "30", "warranty")],
        )
        for n in range(3)
    ]
    written = []

    # One INSERT of the orders (RETURNING their ids), one of the lines, in a savepoint
    with django_assert_num_queries(4):
        created = work_orders_import_many(orders=orders, on_written=written.append)

    assert (created, written) == (3, [12])
    assert list(
        WorkOrder.objects.order_by("number").values_list(
            "number",
            "status",
            "source",
            "opened_at",
            "delivered_at",
            "labour_amount",
            "parts_amount",
            "materials_amount",
            "total_amount",
            "customer_paid_amount",
        )
    )[0] == (
        "WO0",
        WorkOrder.Status.SETTLED,
        WorkOrder.Source.IMPORT,
        dt.datetime(2023, 5, 18, 9, 0, tzinfo=SHANGHAI),
        dt.datetime(2023, 5, 18, 17, 0, tzinfo=SHANGHAI),
        Decimal("180.00"),
        Decimal("240.00"),
        Decimal("30.00"),
        Decimal("450.00"),
        Decimal("420.00"),
    )
    assert WorkOrderLine.objects.count() == 9
