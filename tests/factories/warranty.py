"""Warranty claims and vehicle histories for the tests, made through the services."""

import datetime as dt
from decimal import Decimal

from apps.warranty import services
from apps.warranty.models import Replacement, WarrantyClaim
from apps.workorders import services as workorder_services
from apps.workorders.models import Payer, WorkOrder, WorkOrderLine
from tests.factories.clock import local_datetime
from tests.factories.customers import VehicleFactory
from tests.factories.workorders import WorkOrderFactory, WorkOrderLineFactory, order_in_state

S = WarrantyClaim.Status


def warranty_lines() -> list[workorder_services.NewLine]:
    """A warranty repair: a labour line of 400.00 and a part of 1,200.00, paid by the maker,
    and a customer-paid line of 180.00."""
    return [
        workorder_services.NewLine(
            kind=WorkOrderLine.Kind.LABOUR,
            description="水泵更换",
            quantity=Decimal("2"),
            unit_price=Decimal("200.00"),
            payer=Payer.WARRANTY,
        ),
        workorder_services.NewLine(
            kind=WorkOrderLine.Kind.PART,
            description="水泵总成",
            quantity=Decimal("1"),
            unit_price=Decimal("1200.00"),
            payer=Payer.WARRANTY,
        ),
        workorder_services.NewLine(
            kind=WorkOrderLine.Kind.LABOUR,
            description="更换机油机滤",
            quantity=Decimal("1"),
            unit_price=Decimal("180.00"),
        ),
    ]


def warranty_order(status=WorkOrder.Status.SETTLED, *, by=None, vehicle=None) -> WorkOrder:
    """A warranty order (the lines of `warranty_lines`) taken to `status` through the work
    orders' services. Call under time_machine."""
    return order_in_state(
        status,
        by=by,
        vehicle=vehicle or VehicleFactory(),
        lines=warranty_lines(),
        kind=WorkOrder.Kind.WARRANTY,
    )


FILLED = {
    "fault_description": "发动机水温过高,仪表报警",
    "cause": "水泵轴承磨损,漏水",
    "repair_done": "更换水泵总成,加注冷却液",
    "service_order_number": "FW2026110001",
    "outside_service_km": 0,
    "system": "engine",
    "main_part": "水泵",
    "fault_code": "",
    "serious_fault": "",
    "replacement": Replacement.NONE,
}


def fill(claim: WarrantyClaim, *, by, **changes) -> WarrantyClaim:
    """The claim filled in as a clerk would (FILLED, with `changes`), every old part's
    fault described."""
    values = {**FILLED, **changes}
    faults = {line.pk: "轴承异响漏水" for line in claim.lines.all() if line.tag_number}
    return services.claim_update(claim=claim, by=by, old_part_faults=faults, **values)


def claim_in_state(status: str, *, by, order: WorkOrder | None = None, **changes):
    """A claim of a settled warranty order taken to `status` through the services, every
    move by `by` (a superuser in most tests): filled, submitted, decided, paid; a rejected
    claim is rejected once ("照片不清晰"); a resubmitted one was rejected first."""
    order = order or warranty_order(by=by)
    claim = services.claim_create(work_order=order, by=by)
    claim = fill(claim, by=by, **changes)
    if status == S.DRAFT:
        return claim
    services.claim_transition(claim=claim, name="submit", by=by)
    if status in (S.REJECTED, S.RESUBMITTED):
        services.claim_transition(claim=claim, name="reject", by=by, reason="照片不清晰")
        if status == S.RESUBMITTED:
            services.claim_transition(claim=claim, name="resubmit", by=by)
    if status in (S.APPROVED, S.PAID):
        services.claim_approve(claim=claim, by=by, approved_amount=claim.claimed_amount)
    if status == S.PAID:
        services.claim_pay(claim=claim, by=by, paid_amount=claim.approved_amount)
    claim.refresh_from_db()
    return claim


def history_repair(
    vehicle,
    *,
    on: dt.date,
    days: float = 1,
    mileage: int = 10000,
    status=WorkOrder.Status.SETTLED,
    by,
    **classification,
):
    """A past warranty repair of `vehicle` built by hand (no flow): a settled order opened
    on `on` at 09:00, delivered `days` later (None: still in the workshop), with one
    warranty part line, and its claim classified by `classification` (none: no claim)."""
    opened = local_datetime(on, 9)
    in_workshop = days is None
    order = WorkOrderFactory(
        vehicle=vehicle,
        customer=vehicle.owner,
        kind=WorkOrder.Kind.WARRANTY,
        status=WorkOrder.Status.IN_PROGRESS if in_workshop else status,
        opened_at=opened,
        delivered_at=None if in_workshop else opened + dt.timedelta(days=days),
        settled_at=None if in_workshop else opened + dt.timedelta(days=days),
        mileage=mileage,
        warranty_amount=Decimal("800.00"),
    )
    WorkOrderLineFactory(
        work_order=order,
        kind=WorkOrderLine.Kind.PART,
        description="三包配件",
        payer=Payer.WARRANTY,
        amount=Decimal("800.00"),
    )
    if not classification:
        return order, None
    claim = services.claim_create(work_order=order, by=by)
    values = {**FILLED, "main_part": "", **classification}
    claim = services.claim_update(claim=claim, by=by, **values)
    return order, claim
