import datetime as dt
from decimal import Decimal

import factory
from django.utils import timezone

from apps.workorders.models import WorkOrder, WorkOrderLine
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
