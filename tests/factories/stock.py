"""Stock made through the services: receipts, work orders with catalogue parts lines,
issue slips. Call under time_machine."""

import itertools
from decimal import Decimal

from django.contrib.auth.models import Group

from apps.parts.models import Part
from apps.stock import accessories, services
from apps.workorders import services as work_order_services
from apps.workorders.models import WorkOrder, WorkOrderLine
from tests.factories.accounts import UserFactory
from tests.factories.parts import PartFactory
from tests.factories.workorders import SIGNATURE_POINTS, flow_user, order_in_state, png_data_url

SUPPLIER = "一汽-大众华南配件中心"
_notes = itertools.count(1)


def receive(part: Part, quantity, unit_cost, *, by=None, supplier: str = SUPPLIER, note=None):
    """A receipt of one part (a delivery note of its own unless `note`)."""
    return services.goods_receipt_create(
        supplier=supplier,
        delivery_note=note or f"SH{next(_notes):06d}",
        lines=[services.ReceiptLine(part, Decimal(quantity), Decimal(unit_cost))],
        by=by or flow_user(),
    )


def parts_order(status: str, parts: list[tuple[Part, object]], *, by=None, vehicle=None):
    """An order in `status` whose lines are catalogue parts (part, quantity), customer paid.
    Orders at 自检 or later have had their parts issued by the flow (received first when
    short)."""
    lines = [
        work_order_services.line_from_part(part, quantity=Decimal(quantity))
        for part, quantity in parts
    ]
    return order_in_state(status, by=by, vehicle=vehicle, lines=lines)


def parts_lines(order: WorkOrder) -> list[WorkOrderLine]:
    return list(order.lines.filter(kind=WorkOrderLine.Kind.PART).order_by("id"))


def issue(
    order: WorkOrder, quantities: dict | None = None, *, by=None, technician=None, signed=True
):
    """Issue the order's parts lines (default: what each still needs), signed on the pad."""
    by = by or flow_user()
    lines = parts_lines(order)
    wanted = quantities or {line: line.quantity - line.issued_quantity for line in lines}
    return services.issue_slip_create(
        work_order=order,
        technician=technician or by,
        lines=[services.SlipLine(line, Decimal(q)) for line, q in wanted.items()],
        by=by,
        png_data_url=png_data_url() if signed else None,
        points=SIGNATURE_POINTS if signed else None,
    )


def seller(role: str = "parts", **fields):
    """A user of a role that sells accessories (advisor, parts, manager)."""
    user = UserFactory(**fields)
    user.groups.set(Group.objects.filter(name=role))
    return user


def documents_of_every_kind(*, by=None) -> dict:
    """One of each stock document, for the role × page matrix: a part in stock (bin A-01)
    issued on a signed slip to an order in progress, a second part short with its purchase
    request, the receipt of the first, and a count of every bin."""
    by = by or flow_user()
    part, short = PartFactory(), PartFactory()
    order = parts_order(WorkOrder.Status.IN_PROGRESS, [(part, 1), (short, 2)], by=by)
    issued, missing = parts_lines(order)
    received = receive(part, 3, "40.00", by=by)
    services.stock_update(part=part, by=by, bin="A-01", minimum=5)
    slip = issue(order, {issued: 1}, by=by)
    accessory = PartFactory(name="脚垫", is_accessory=True, price=Decimal("300.00"))
    receive(accessory, 2, "120.00", by=by)
    sale = accessories.counter_sale_create(
        seller=seller("parts"), lines=[accessories.SaleLine(accessory, Decimal(1))], by=by
    )
    return {
        "counter_sale": sale,
        "stock_part": part,
        "stock_order": order,
        "stock_line": issued,
        "slip": slip,
        "purchase": services.purchase_request_for_line(line=missing, by=by),
        "receipt": received.receipt,
        "count": services.stock_count_open(bin_prefix="", by=by),
    }
