"""Taking a work order to a given state through the services, as the people of the shop do:
the demo's live flow (apps/workorders/demo.py) and the tests' factory
(tests/factories/workorders.py `order_in_state`) both build their orders here.

Nothing here writes a model directly except `backdate`, the demo's one rewrite of the
times the services stamped (they stamp `timezone.now()`): see its docstring.
"""

import base64
import datetime as dt
import io
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from PIL import Image, ImageDraw

from apps.core.discovery import app_modules
from apps.customers.models import Vehicle

from . import services
from .models import (
    Approval,
    DelayNotice,
    InspectionPhoto,
    LineStatus,
    NumberSequence,
    OldParts,
    Payment,
    Receivable,
    Recommendation,
    Signature,
    StatusChange,
    WorkOrder,
    WorkOrderLine,
)

S = WorkOrder.Status

# The forward moves made by work_order_transition, in order, to reach each state.
_PLAIN_MOVES = {
    S.DISPATCHED: ["dispatch"],
    S.IN_PROGRESS: ["dispatch", "start"],
    S.SELF_CHECKED: ["dispatch", "start", "self_check"],
    S.TEAM_CHECKED: ["dispatch", "start", "self_check", "team_check"],
    S.QC_PASSED: ["dispatch", "start", "self_check", "team_check", "final_qc"],
    S.WASHED: ["dispatch", "start", "self_check", "team_check", "final_qc", "wash"],
    S.READY: ["dispatch", "start", "self_check", "team_check", "final_qc", "ready"],
}


@dataclass(frozen=True)
class Crew:
    """Who makes each move (each needs its role's permission): the advisor receives,
    records approvals, delivers and settles; the workshop supervisor dispatches and checks
    as team leader; the technician works; the inspector passes QC; the manager approves a
    discount beyond the limit."""

    advisor: object
    supervisor: object
    technician: object
    qc: object
    manager: object  # approves a line discount beyond the settings' limit
    parts: object = None  # the parts clerk who issues the parts (default: the advisor)

    @classmethod
    def of(cls, user) -> "Crew":
        """One user for every move (a superuser in tests)."""
        return cls(
            advisor=user, supervisor=user, technician=user, qc=user, manager=user, parts=user
        )

    def for_move(self, name: str):
        return {
            "dispatch": self.supervisor,
            "team_check": self.supervisor,
            "start": self.technician,
            "self_check": self.technician,
            "wash": self.technician,
            "final_qc": self.qc,
            "ready": self.qc,
        }[name]


def signature_png(width: int = 300, height: int = 100, *, strokes: int = 1) -> bytes:
    """A real PNG of a few pen strokes on white, as a signature pad exports it (the demo's
    signatures; tests use it too)."""
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    for stroke in range(strokes):
        left = 10 + stroke * (width - 20) // max(strokes, 1)
        draw.line([(left, 80), (left + (width - 20) // max(strokes, 1), 20)], fill="black", width=3)
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def png_data_url(data: bytes | None = None) -> str:
    return "data:image/png;base64," + base64.b64encode(data or signature_png()).decode()


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


def default_lines() -> list[services.NewLine]:
    """One labour line of 180.00 and one part of 4 × 60.00, customer paid."""
    return [
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


def approve(
    order: WorkOrder,
    lines: list[WorkOrderLine],
    *,
    by,
    declined: int = 0,
    signed: bool = False,
    reason: str = "下次再做",
) -> Approval:
    """The customer decides `lines` (the last `declined` ones declined, with `reason`):
    signed on the tablet, or by phone with `by` taking the call."""
    customer = order.vehicle.owner
    cut = len(lines) - declined
    decisions = {line.pk: index < cut for index, line in enumerate(lines)}
    reasons = {line.pk: reason for line in lines[cut:]}
    if signed:
        how = {
            "method": Approval.Method.SIGNATURE,
            "png_data_url": png_data_url(signature_png(strokes=2)),
            "points": SIGNATURE_POINTS,
        }
    else:
        how = {"method": Approval.Method.PHONE, "phone_number": customer.mobile}
    return services.work_order_record_approval(
        work_order=order,
        by=by,
        decisions=decisions,
        decline_reasons=reasons,
        customer_name=customer.name,
        **how,
    )


def _parts_issued(order: WorkOrder, crew: Crew) -> None:
    """The technician draws the approved catalogue parts before the self-check (an order
    is settled only once they are issued: transitions.NEEDS_PARTS_ISSUED). Stock is kept
    by an app above this one, so its `flow_steps` module is found by name, as seed_demo
    finds each app's `demo` module."""
    for module in app_modules("flow_steps"):
        module.parts_issue(
            work_order=order, by=crew.parts or crew.advisor, technician=crew.technician
        )


def order_take_to(
    status: str,
    *,
    crew: Crew,
    vehicle: Vehicle,
    lines: list[services.NewLine] | None = None,
    recommendations: list[Recommendation] = (),
    declined: int = 0,
    kind: str = WorkOrder.Kind.MAINTENANCE,
    mileage: int | None = None,
    promised_at: dt.datetime | None = None,
    customer_words: str = "",
    insurer: str = "",
    signed: bool = False,
    added: list[services.NewLine] | None = None,
    added_approved: bool = True,
    payments: list[services.NewPayment] | None = None,
    cancel_reason: str = "客户改期",
) -> WorkOrder:
    """An order taken to `status` through the services, as users would: opened (mileage
    default: the vehicle's + 1,000 km), lines added (default: `default_lines`) with
    the vehicle's `recommendations` taken, a discount beyond the limit approved by the
    manager, approved (the last `declined` lines declined; `signed` on the tablet, else
    by phone), then moved along; the approved catalogue parts are issued (`_parts_issued`)
    and lines marked done before 自检, QC-passed before 终检. `added` lines (增项) are
    added once work has started and approved by phone — or left waiting when not
    `added_approved` (only for an order that stays 维修中). A cancelled order is cancelled
    right after opening, with `cancel_reason`.

    Delivery and settlement use the defaults (the customer pays the customer share in
    cash unless `payments` say otherwise).
    """
    order = services.work_order_open(
        vehicle=vehicle,
        by=crew.advisor,
        kind=kind,
        mileage=vehicle.mileage + 1000 if mileage is None else mileage,
        promised_at=promised_at,
        customer_words=customer_words,
        insurer=insurer or ("平安保险" if kind == WorkOrder.Kind.ACCIDENT else ""),
    )
    if status == S.CANCELLED:
        services.work_order_cancel(work_order=order, by=crew.advisor, reason=cancel_reason)
        return order
    created = services.work_order_add_lines(
        work_order=order, by=crew.advisor, lines=default_lines() if lines is None else lines
    )
    created += [
        services.recommendation_accept(recommendation=taken, work_order=order, by=crew.advisor)
        for taken in recommendations
    ]
    for line in created:
        if services.discount_awaits_manager(line):
            services.line_approve_discount(line=line, by=crew.manager)
    if status == S.DRAFT:
        return order
    approve(order, created, by=crew.advisor, declined=declined, signed=signed)
    target = S.READY if status in (S.DELIVERED, S.SETTLED) else status
    for name in _PLAIN_MOVES.get(target, []):
        if name == "self_check":
            _parts_issued(order, crew)
            for line in order.lines.filter(status=LineStatus.APPROVED):
                services.line_mark_done(line=line, by=crew.technician)
        if name == "final_qc":
            for line in order.lines.filter(status=LineStatus.APPROVED):
                services.line_qc_pass(line=line, by=crew.qc)
        services.work_order_transition(work_order=order, name=name, by=crew.for_move(name))
        if name == "start" and added:
            extra = services.work_order_add_lines(work_order=order, by=crew.advisor, lines=added)
            if added_approved:
                approve(order, extra, by=crew.advisor)
    if status in (S.DELIVERED, S.SETTLED):
        services.work_order_internal_check(
            work_order=order, by=crew.advisor, old_parts=OldParts.SHOWN
        )
        services.work_order_deliver(work_order=order, by=crew.advisor, callback_told=True)
    if status == S.SETTLED:
        order.refresh_from_db()
        if payments is None:
            due = order.customer_paid_amount
            payments = [services.NewPayment(Payment.Method.CASH, due)] if due else []
        services.work_order_settle(work_order=order, by=crew.advisor, payments=payments)
    order.refresh_from_db()
    return order


# --- the demo's history: moving service-stamped times back to the day they happened ---------


def backdate(order: WorkOrder, *, opened_at: dt.datetime, last_at: dt.datetime) -> WorkOrder:
    """Rewrite the times of an order the services just built (all stamped within the same
    second, `timezone.now()`) as the day it stands for: opened at `opened_at`, its moves
    spread evenly up to `last_at`. Demo only (apps/workorders/demo.py): a real order's
    times are the services' own and are never rewritten.

    Honest about what it changes, and nothing else: the order's opening (also its number,
    taken from `opened_at`'s day sequence, and the vehicle's mileage date), its status
    changes in their order, the approvals and their signatures at their move (an added
    item's between 开工 and 自检), the reception sheet's signature and photos just after
    opening, the lines' done and QC times just before 自检 and 终检, the recommendations
    at the estimate's approval (those it took, at opening), the delay notices, delivery,
    settlement with its payments and receivables. Amounts, people, states and hashes are
    untouched (no hash covers a time).
    """
    changes = list(StatusChange.objects.filter(work_order=order).order_by("id"))
    moves = {}
    span = last_at - opened_at
    first = opened_at + min(dt.timedelta(minutes=20), span / 4)
    for index, change in enumerate(changes):
        at = first + (last_at - first) * (index / max(len(changes) - 1, 1)) if changes else first
        change.at = at
        moves.setdefault(change.transition, at)
    StatusChange.objects.bulk_update(changes, ["at"])
    approved_at = moves.get("approve", first)
    started = moves.get("start", approved_at)
    after_start = started + (moves.get("self_check", last_at) - started) / 2
    lines = WorkOrderLine.objects.filter(work_order=order)
    number = order.number
    with transaction.atomic():
        if timezone.localdate(opened_at) != timezone.localdate(order.opened_at):
            # The number of the day it was opened; the serial the opening took from today's
            # counter is given back (the demo builds one order at a time: it is the last).
            key, serial = number[:-4], int(number[-4:])
            number = services._next_number(timezone.localdate(opened_at))
            NumberSequence.objects.filter(key=key, last=serial).update(last=F("last") - 1)
        approvals = list(Approval.objects.filter(work_order=order).order_by("id"))
        for approval in approvals:
            approval.approved_at = (
                approved_at if approval.kind == Approval.Kind.ESTIMATE else after_start
            )
        Approval.objects.bulk_update(approvals, ["approved_at"])
        for approval in approvals:
            if approval.signature_id:
                Signature.objects.filter(pk=approval.signature_id).update(
                    signed_at=approval.approved_at
                )
            lines.filter(approval=approval).update(
                created_at=opened_at, updated_at=approval.approved_at
            )
        sheet_signed = opened_at + (approved_at - opened_at) / 2
        Signature.objects.filter(inspection__work_order=order).update(signed_at=sheet_signed)
        InspectionPhoto.objects.filter(inspection__work_order=order).update(uploaded_at=opened_at)
        lines.filter(approval__isnull=True).update(created_at=opened_at, updated_at=opened_at)
        if "self_check" in moves:
            lines.filter(done_at__isnull=False).update(
                done_at=moves["self_check"] - dt.timedelta(minutes=10)
            )
        if "final_qc" in moves:
            lines.filter(qc_passed_at__isnull=False).update(
                qc_passed_at=moves["final_qc"] - dt.timedelta(minutes=5)
            )
        Recommendation.objects.filter(source_work_order=order).update(
            created_at=approved_at, updated_at=approved_at
        )
        Recommendation.objects.filter(
            pk__in=lines.values("from_recommendation"), status=Recommendation.Status.ACCEPTED
        ).update(closed_at=opened_at, updated_at=opened_at)
        DelayNotice.objects.filter(work_order=order).update(told_at=after_start)
        settled = moves.get("settle")
        Payment.objects.filter(work_order=order).update(received_at=settled)
        Receivable.objects.filter(work_order=order).update(created_at=settled)
        values = {
            "number": number,
            "opened_at": opened_at,
            "created_at": opened_at,
            "updated_at": changes[-1].at if changes else opened_at,
        }
        if order.internal_checked_at:
            values["internal_checked_at"] = moves["deliver"] - dt.timedelta(minutes=10)
        if order.delivered_at:
            values["delivered_at"] = moves["deliver"]
            delivered_on = timezone.localdate(moves["deliver"])
            values["next_maintenance_on"] = services.next_maintenance_defaults(
                order, on=delivered_on
            )[0]
        if order.settled_at:
            values["settled_at"] = settled
        WorkOrder.objects.filter(pk=order.pk).update(**values)
        Vehicle.objects.filter(pk=order.vehicle_id).update(
            mileage_recorded_on=timezone.localdate(opened_at)
        )
    order.refresh_from_db()
    return order
