"""Events that callbacks hang on, and callbacks in a given state.

Delivered work orders are made like the archive's history (WorkOrderFactory, with a
delivery time); the flow's own delivery (services) is covered by the tests of
apps.workorders. Callbacks are made by the generator; the call screen that completes them
arrives later, so `completed` sets the state it will write.
"""

import datetime as dt
from decimal import Decimal

from apps.callbacks.models import Callback
from apps.workorders.models import WorkOrder
from tests.factories.clock import local_datetime
from tests.factories.customers import SalesFileFactory, VehicleFactory
from tests.factories.workorders import WorkOrderFactory


def delivered_order(
    on: dt.date, *, hour: int = 15, vehicle=None, total: str = "600.00", **fields
) -> WorkOrder:
    """A work order delivered on `on` at `hour`:00 (local) and settled."""
    vehicle = vehicle or VehicleFactory()
    return WorkOrderFactory(
        vehicle=vehicle,
        customer=vehicle.owner,
        opened_at=local_datetime(on, 9),
        delivered_at=local_datetime(on, hour),
        total_amount=Decimal(total),
        customer_paid_amount=Decimal(total),
        **fields,
    )


def new_car_sale(delivered_on: dt.date, *, owner=None, **fields):
    """A new car's sales file (through the archive's service)."""
    vehicle = VehicleFactory(owner=owner) if owner else VehicleFactory()
    return SalesFileFactory(vehicle=vehicle, delivered_on=delivered_on, **fields)


def completed(callback: Callback, *, at: dt.datetime, status=Callback.Status.DONE) -> Callback:
    """The callback closed at `at` (what the call screen will record)."""
    Callback.objects.filter(pk=callback.pk).update(status=status, closed_at=at)
    callback.refresh_from_db()
    return callback
