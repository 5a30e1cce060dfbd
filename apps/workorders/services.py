"""Writes to the service file. Each service owns its transaction."""

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from apps.core.bulk import insert_many

from .models import Payer, WorkOrder, WorkOrderLine

BULK_BATCH = 2000  # rows per INSERT: one statement stays well under a megabyte
# An imported order has dates only: it is shown as opened at 09:00 and delivered at 17:00.
IMPORT_OPENED_AT = dt.time(9, 0)
IMPORT_DELIVERED_AT = dt.time(17, 0)


@dataclass(slots=True)  # a row-limit file holds a million of these
class ImportedLine:
    kind: str
    code: str
    description: str
    quantity: Decimal
    unit_price: Decimal
    amount: Decimal
    payer: str


@dataclass(slots=True)
class ImportedOrder:
    number: str
    vehicle_id: int
    customer_id: int
    kind: str
    opened_on: dt.date
    delivered_on: dt.date | None
    mileage: int
    customer_words: str
    lines: list[ImportedLine] = field(default_factory=list)


@dataclass
class NewLine:
    """A line to add to a work order (work_order_add_lines), from the catalogue, a canned
    job, a recommendation or typed by hand."""

    kind: str
    description: str
    quantity: Decimal
    unit_price: Decimal
    payer: str = Payer.CUSTOMER
    code: str = ""
    labour_operation: object = None  # LabourOperation
    part: object = None  # parts.Part
    canned_job: object = None  # CannedJob
    from_recommendation: object = None  # Recommendation
    discount_percent: Decimal = Decimal(0)


@dataclass(frozen=True)
class NewPayment:
    method: str  # Payment.Method
    amount: Decimal
    reference: str = ""


@dataclass(frozen=True)
class Totals:
    labour: Decimal
    parts: Decimal
    total: Decimal
    customer_paid: Decimal


def work_order_totals(lines) -> Totals:
    """The stored amounts of an order from its lines (the one place this sum lives):
    labour lines, the rest (parts and materials), everything, and what the customer pays."""
    labour = total = paid = Decimal(0)
    for line in lines:
        total += line.amount
        if line.kind == WorkOrderLine.Kind.LABOUR:
            labour += line.amount
        if line.payer == Payer.CUSTOMER:
            paid += line.amount
    return Totals(labour=labour, parts=total - labour, total=total, customer_paid=paid)


def work_orders_import_many(*, orders: list[ImportedOrder], on_written=None) -> int:
    """Create settled, read-only work orders from the old system, with their lines.

    1. The stored totals are computed from the lines (work_order_totals).
    2. Orders then lines are inserted in batches of BULK_BATCH (apps.core.bulk: values
       ready for the database, no model instance per row); the ids the orders get
       (RETURNING) link their lines.
    3. `on_written(count)` is told after each batch of orders (progress of the import).
    Returns the number of orders created. The caller owns the import's transaction; this
    opens a savepoint so that it stays all or nothing on its own too.
    """
    created = 0
    with transaction.atomic():
        for start in range(0, len(orders), BULK_BATCH):
            chunk = orders[start : start + BULK_BATCH]
            records = []
            for order in chunk:
                totals = work_order_totals(order.lines)
                delivered = order.delivered_on or order.opened_on
                records.append(
                    {
                        "number": order.number,
                        "vehicle_id": order.vehicle_id,
                        "customer_id": order.customer_id,
                        "kind": order.kind,
                        "status": WorkOrder.Status.SETTLED.value,
                        "source": WorkOrder.Source.IMPORT.value,
                        "opened_at": _at(order.opened_on, IMPORT_OPENED_AT),
                        "delivered_at": _at(delivered, IMPORT_DELIVERED_AT),
                        "mileage": order.mileage,
                        "customer_words": order.customer_words,
                        "labour_amount": totals.labour,
                        "parts_amount": totals.parts,
                        "total_amount": totals.total,
                        "customer_paid_amount": totals.customer_paid,
                    }
                )
            ids = insert_many(WorkOrder, records, returning_ids=True)
            insert_many(
                WorkOrderLine,
                [
                    {
                        "work_order_id": order_id,
                        "kind": line.kind,
                        "code": line.code,
                        "description": line.description,
                        "quantity": line.quantity,
                        "unit_price": line.unit_price,
                        "amount": line.amount,
                        "payer": line.payer,
                    }
                    for order_id, order in zip(ids, chunk, strict=True)
                    for line in order.lines
                ],
            )
            created += len(records)
            if on_written:
                on_written(len(records) + sum(len(order.lines) for order in chunk))
    return created


def _at(day: dt.date, time: dt.time) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, time))
