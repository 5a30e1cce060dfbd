import base64
import datetime as dt
import io
from decimal import Decimal

import factory
from django.utils import timezone
from PIL import Image, ImageDraw

from apps.workorders import services
from apps.workorders.models import (
    Approval,
    CannedJob,
    CannedJobLine,
    LabourOperation,
    LineStatus,
    MaintenanceInterval,
    OldParts,
    Payer,
    Payment,
    WorkOrder,
    WorkOrderLine,
)
from tests.factories.accounts import UserFactory
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


class LabourOperationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LabourOperation

    code = factory.Sequence(lambda n: f"LB-{n:05d}")
    name = factory.Sequence(lambda n: f"更换机油机滤{n}")
    standard_hours = Decimal("0.50")


class CannedJobFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CannedJob

    name = "10000 公里保养"
    model_name = "速腾 2023款 300TSI"
    mileage = 10000
    kind = WorkOrder.Kind.MAINTENANCE


class CannedJobLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CannedJobLine

    canned_job = factory.SubFactory(CannedJobFactory)
    kind = WorkOrderLine.Kind.LABOUR
    labour_operation = factory.SubFactory(LabourOperationFactory)
    quantity = Decimal("1.00")
    unit_price = None


def flow_user(**fields):
    """A user allowed every move of the flow (a superuser): for building orders in a given
    state; tests of refusals use role users."""
    return UserFactory(is_superuser=True, **fields)


# The forward moves made by work_order_transition, in order, to reach each state.
_PLAIN_MOVES = {
    WorkOrder.Status.DISPATCHED: ["dispatch"],
    WorkOrder.Status.IN_PROGRESS: ["dispatch", "start"],
    WorkOrder.Status.SELF_CHECKED: ["dispatch", "start", "self_check"],
    WorkOrder.Status.TEAM_CHECKED: ["dispatch", "start", "self_check", "team_check"],
    WorkOrder.Status.QC_PASSED: ["dispatch", "start", "self_check", "team_check", "final_qc"],
    WorkOrder.Status.WASHED: [
        "dispatch",
        "start",
        "self_check",
        "team_check",
        "final_qc",
        "wash",
    ],
    WorkOrder.Status.READY: ["dispatch", "start", "self_check", "team_check", "final_qc", "ready"],
}


def order_in_state(
    status: str,
    *,
    by=None,
    vehicle=None,
    lines: list[services.NewLine] | None = None,
    declined: int = 0,
    kind: str = WorkOrder.Kind.MAINTENANCE,
    promised_at: dt.datetime | None = None,
    payments: list[services.NewPayment] | None = None,
) -> WorkOrder:
    """An order taken to `status` through the services, as users would: opened, lines
    added (default: one labour line of 180.00 and one part of 240.00, customer paid),
    approved by phone (the last `declined` lines declined), then moved along; lines are
    marked done after 开工 and QC-passed before 终检. Call under time_machine.

    Delivery and settlement use the defaults (the customer pays the customer share in
    cash unless `payments` say otherwise).
    """
    by = by or flow_user()
    vehicle = vehicle or VehicleFactory()
    order = services.work_order_open(
        vehicle=vehicle,
        by=by,
        kind=kind,
        mileage=vehicle.mileage + 1000,
        promised_at=promised_at,
        insurer="平安保险" if kind == WorkOrder.Kind.ACCIDENT else "",
    )
    if status == WorkOrder.Status.CANCELLED:
        services.work_order_cancel(work_order=order, by=by, reason="客户改期")
        return order
    if lines is None:
        lines = [
            services.NewLine(
                kind=WorkOrderLine.Kind.LABOUR,
                description="更换机油机滤",
                quantity=Decimal("1"),
                unit_price=Decimal("180.00"),
            ),
            services.NewLine(
                kind=WorkOrderLine.Kind.PART,
                description="机油 5W-30",
                quantity=Decimal("4"),
                unit_price=Decimal("60.00"),
            ),
        ]
    created = services.work_order_add_lines(work_order=order, by=by, lines=lines)
    if status == WorkOrder.Status.DRAFT:
        return order
    cut = len(created) - declined
    services.work_order_record_approval(
        work_order=order,
        by=by,
        decisions={line.pk: index < cut for index, line in enumerate(created)},
        decline_reasons={line.pk: "下次再做" for line in created[cut:]},
        method=Approval.Method.PHONE,
        customer_name=vehicle.owner.name,
        phone_number=vehicle.owner.mobile,
    )
    target = status
    if status in (WorkOrder.Status.DELIVERED, WorkOrder.Status.SETTLED):
        target = WorkOrder.Status.READY
    for name in _PLAIN_MOVES.get(target, []):
        if name == "self_check":
            for line in order.lines.filter(status=LineStatus.APPROVED):
                services.line_mark_done(line=line, by=by)
        if name == "final_qc":
            for line in order.lines.filter(status=LineStatus.APPROVED):
                services.line_qc_pass(line=line, by=by)
        services.work_order_transition(work_order=order, name=name, by=by)
    if status in (WorkOrder.Status.DELIVERED, WorkOrder.Status.SETTLED):
        services.work_order_internal_check(work_order=order, by=by, old_parts=OldParts.SHOWN)
        services.work_order_deliver(work_order=order, by=by, callback_told=True)
    if status == WorkOrder.Status.SETTLED:
        order.refresh_from_db()
        services.work_order_settle(
            work_order=order,
            by=by,
            payments=payments
            if payments is not None
            else [services.NewPayment(Payment.Method.CASH, order.customer_paid_amount)]
            if order.customer_paid_amount
            else [],
        )
    order.refresh_from_db()
    return order


def png_bytes(width: int = 300, height: int = 100) -> bytes:
    """A real PNG (a stroke on white): a signature as the pad exports it, a photo, a logo.
    The one PNG maker of the tests."""
    image = Image.new("RGB", (width, height), "white")
    ImageDraw.Draw(image).line([(10, 80), (width - 10, 20)], fill="black", width=3)
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def png_data_url(data: bytes | None = None) -> str:
    return "data:image/png;base64," + base64.b64encode(data or png_bytes()).decode()


# signature_pad's toData(): strokes of points
SIGNATURE_POINTS = [
    {
        "penColor": "black",
        "points": [
            {"x": 10, "y": 80, "time": 1, "pressure": 0.5},
            {"x": 290, "y": 20.5, "time": 2, "pressure": 0.5},
        ],
    }
]


class MaintenanceIntervalFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MaintenanceInterval

    model_name = factory.Sequence(lambda n: f"ID.4 CROZZ {n}")
    months = 12
    km = 10000
