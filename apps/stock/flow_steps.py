"""The stock's step in a work order taken through the flow by code
(`apps.workorders.demo_flow.order_take_to`: the demo's live flow and the tests' factory
`order_in_state`), found there by name because workorders imports no app above it.

Before the self-check the technician draws the approved catalogue parts on a signed issue
slip, as at the parts counter; a part short in stock is first received from the supplier
(with a delivery note of its own), as the parts clerk would have it delivered.
"""

from decimal import Decimal

from django.db.models import Sum

from apps.parts.models import Part
from apps.workorders.demo_flow import SIGNATURE_POINTS, png_data_url, signature_png
from apps.workorders.models import LineStatus, WorkOrder, WorkOrderLine

from . import services
from .models import IssueSlip, PurchaseRequest, Stock

SUPPLIER = "一汽-大众华南配件中心"
# The dealer buys at about 62 % of the list price (a 4S parts margin of 35-40 %).
COST_SHARE = Decimal("0.62")


def parts_issue(*, work_order: WorkOrder, by, technician) -> IssueSlip | None:
    """Issue what the order's approved catalogue-parts lines still need, signed by
    `technician`; None when there is nothing to issue."""
    lines = [
        line
        for line in WorkOrderLine.objects.filter(
            work_order=work_order,
            kind=WorkOrderLine.Kind.PART,
            part__isnull=False,
            status=LineStatus.APPROVED,
        ).order_by("id")
        if line.issued_quantity < line.quantity
    ]
    if not lines:
        return None
    needed: dict[int, Decimal] = {}
    for line in lines:
        needed[line.part_id] = needed.get(line.part_id, Decimal(0)) + (
            line.quantity - line.issued_quantity
        )
    _receive_shortfall(work_order, needed, by=by)
    return services.issue_slip_create(
        work_order=work_order,
        technician=technician,
        lines=[services.SlipLine(line, line.quantity - line.issued_quantity) for line in lines],
        by=by,
        png_data_url=png_data_url(signature_png(strokes=3)),
        points=SIGNATURE_POINTS,
    )


def _receive_shortfall(work_order: WorkOrder, needed: dict[int, Decimal], *, by) -> None:
    """Receive what stock lacks, plus what open requests of those parts wait for (a
    receipt serves them first, oldest first)."""
    available = dict(
        Stock.objects.filter(part_id__in=list(needed)).values_list("part_id", "available")
    )
    waiting = dict(
        PurchaseRequest.objects.filter(part_id__in=list(needed), status=PurchaseRequest.Status.OPEN)
        .values("part_id")
        .annotate(left=Sum("quantity") - Sum("received_quantity"))
        .values_list("part_id", "left")
    )
    parts = Part.objects.in_bulk(list(needed))
    lines = []
    for part_id, need in sorted(needed.items()):
        short = need - max(available.get(part_id, Decimal(0)), Decimal(0))
        if short > 0:
            lines.append(
                services.ReceiptLine(
                    part=parts[part_id],
                    quantity=short + waiting.get(part_id, Decimal(0)),
                    unit_cost=services.to_cost(parts[part_id].price * COST_SHARE),
                )
            )
    if lines:
        services.goods_receipt_create(
            supplier=SUPPLIER, delivery_note=delivery_note(work_order.pk), lines=lines, by=by
        )


def delivery_note(work_order_id: int) -> str:
    """The delivery note of the goods received for one order of the flow (by its id: the
    demo renumbers orders by their day)."""
    return f"SH{work_order_id:08d}"
