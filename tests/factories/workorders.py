import datetime as dt
from decimal import Decimal

import factory
from django.utils import timezone

from apps.parts.models import Part
from apps.workorders.models import (
    CannedJob,
    CannedJobLine,
    LabourOperation,
    MaintenanceInterval,
    Payer,
    WorkOrder,
    WorkOrderLine,
)
from tests.factories.clock import local_datetime
from tests.factories.customers import VehicleFactory


class WorkOrderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WorkOrder

    number = factory.Sequence(lambda n: f"WO2026{n:08d}")
    vehicle = factory.SubFactory(VehicleFactory)
    customer = factory.SelfAttribute("vehicle.owner")
    kind = WorkOrder.Kind.MAINTENANCE
    status = WorkOrder.Status.SETTLED
    opened_at = factory.LazyFunction(lambda: timezone.make_aware(dt.datetime(2026, 6, 1, 9, 30)))
    mileage = 12000
    labour_amount = Decimal("180.00")
    parts_amount = Decimal("420.00")
    total_amount = Decimal("600.00")
    customer_paid_amount = Decimal("600.00")


class WorkOrderLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WorkOrderLine

    work_order = factory.SubFactory(WorkOrderFactory)
    kind = WorkOrderLine.Kind.LABOUR
    description = "常规保养工时"
    quantity = Decimal("1.00")
    unit_price = Decimal("180.00")
    amount = Decimal("180.00")


def visit(
    vehicle, *, on: dt.date, total: str, paid: str, lines=("更换机油", "更换机滤"), payer=None
) -> WorkOrder:
    """A visit of `vehicle` by its current owner on `on` (10:00 local), one line per
    description in `lines`."""
    work_order = WorkOrderFactory(
        vehicle=vehicle,
        customer=vehicle.owner,
        opened_at=local_datetime(on),
        total_amount=Decimal(total),
        customer_paid_amount=Decimal(paid),
    )
    for description in lines:
        WorkOrderLineFactory(
            work_order=work_order, description=description, payer=payer or Payer.CUSTOMER
        )
    return work_order


def visits_every_month(vehicles, *, count: int, lines=("工时", "配件")) -> list[WorkOrder]:
    """`count` paid visits 30 days apart from 2020-01-01, taking `vehicles` in turn."""
    return [
        visit(
            vehicles[serial % len(vehicles)],
            on=dt.date(2020, 1, 1) + dt.timedelta(days=30 * serial),
            total="100.00",
            paid="100.00",
            lines=lines,
        )
        for serial in range(count)
    ]


class PartFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Part

    number = factory.Sequence(lambda n: f"5QD{n:06d}")
    name = "机油滤清器"
    unit = "个"
    price = Decimal("68.00")


class LabourOperationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LabourOperation

    code = factory.Sequence(lambda n: f"LB-{n:04d}")
    name = "更换机油机滤"
    standard_hours = Decimal("0.50")


class CannedJobFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CannedJob

    name = "10000 公里保养"
    model_name = "速腾 2023款 300TSI"
    mileage = 10000


class CannedJobLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CannedJobLine

    canned_job = factory.SubFactory(CannedJobFactory)
    kind = WorkOrderLine.Kind.LABOUR
    labour_operation = factory.SubFactory(LabourOperationFactory)
    quantity = Decimal("1.00")


class MaintenanceIntervalFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MaintenanceInterval

    model_name = factory.Sequence(lambda n: f"ID.4 CROZZ {n}")
    months = 12
    km = 10000
