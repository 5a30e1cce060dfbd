"""Writes to the parts stock. Each service owns its transaction; errors are ValidationError
with Chinese messages.

One writer of stock: `_post(stock, …)` turns a change into a movement row and the new
cached quantities and cost of the part's `Stock` row. Every service:

1. locks the rows it changes, always in the same order so that two services never wait on
   each other crosswise: work-order lines (by id), then stock rows (by part id, SELECT …
   FOR UPDATE), then the document's number counter (NumberSequence, last, so a refused
   change never holds it);
2. computes the new quantities from the locked row and refuses a change that would leave
   less than nothing, saying how many there are ("库存不足:… 现有 3 个,需要 5 个。");
3. writes the Stock row and the movements in the same transaction.

Whatever this code does, the database refuses negative stock (CHECK constraints on
Stock), so a bug cannot sell what is not there.

Cost is the moving average (移动加权平均): a receipt adds quantity × purchase cost to the
stock value and the average becomes value ÷ quantity (to 0.0001 yuan); an issue, a loss or
a count shortage takes quantity × average out (the last units take what value is left, so
no fen stays behind at zero); a return comes back at the cost it went out at.
"""

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Q, Sum
from django.utils import timezone

from apps.appointments.models import OPEN_STATUSES, Appointment, AppointmentPart
from apps.core.integrity import violated_constraint
from apps.core.settings import current_settings
from apps.parts.models import Part
from apps.workorders.models import LineStatus, NumberSequence, WorkOrder, WorkOrderLine
from apps.workorders.services import signature_take

from . import counts
from .models import (
    GoodsReceipt,
    IssueSlip,
    PickLine,
    PickList,
    PurchaseRequest,
    Stock,
    StockCount,
    StockCountChange,
    StockCountLine,
    StockMovement,
    StockSettings,
)

ZERO = Decimal(0)
FEN = Decimal("0.01")
COST_PLACES = Decimal("0.0001")
S = WorkOrder.Status
K = StockMovement.Kind
# Parts may be issued once the customer approved the lines and until the order is settled
# (a part forgotten before delivery is still issued, so that settlement finds it issued).
ISSUE_STATES = (
    S.APPROVED,
    S.DISPATCHED,
    S.IN_PROGRESS,
    S.SELF_CHECKED,
    S.TEAM_CHECKED,
    S.QC_PASSED,
    S.WASHED,
    S.READY,
    S.DELIVERED,
)
MAX_QUANTITY = Decimal("99999")  # one line of a document: far beyond any real delivery


# --- numbers and quantities --------------------------------------------------------------------


def qty(value) -> str:
    """A quantity as people write it: 3, 4.5, 0.25 (no trailing zeros)."""
    text = format(Decimal(value).quantize(FEN), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def to_fen(value) -> Decimal:
    return Decimal(value).quantize(FEN, rounding=ROUND_HALF_UP)


def parse_quantity(value, *, label: str = "数量", allow_zero: bool = False) -> Decimal:
    """A positive quantity to the hundredth, or our own sentence."""
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ValidationError(f"{label}须为数字。") from None
    if not number.is_finite() or number != number.quantize(FEN):
        raise ValidationError(f"{label}最多两位小数。")
    if number < 0 or (number == 0 and not allow_zero):
        raise ValidationError(f"{label}须大于 0。")
    if number > MAX_QUANTITY:
        raise ValidationError(f"{label}不能超过 {qty(MAX_QUANTITY)}。")
    return number


def _next_number(prefix: str, day: dt.date) -> str:
    """prefix + yyyymmdd + a 4-digit serial, from the work orders' row-locked counters
    (one row per prefix and day; the UPDATE holds its lock until the transaction ends, a
    rolled-back document gives its serial back)."""
    key = f"{prefix}{day:%Y%m%d}"
    NumberSequence.objects.bulk_create([NumberSequence(key=key)], ignore_conflicts=True)
    NumberSequence.objects.filter(key=key).update(last=F("last") + 1)
    serial = NumberSequence.objects.filter(key=key).values_list("last", flat=True).get()
    return f"{key}{serial:04d}"


def _part_label(part: Part) -> str:
    return f"{part.name}({part.number})"


# --- the one writer of stock -------------------------------------------------------------------


def _locked_stocks(part_ids) -> dict[int, Stock]:
    """The Stock rows of `part_ids`, created when missing (INSERT … ON CONFLICT DO NOTHING:
    two first receipts of a part cannot both create it) and locked in part order."""
    part_ids = sorted(set(part_ids))
    Stock.objects.bulk_create([Stock(part_id=pk) for pk in part_ids], ignore_conflicts=True)
    rows = (
        Stock.objects.select_for_update(of=("self",))
        .select_related("part")
        .filter(part_id__in=part_ids)
        .order_by("part_id")
    )
    return {stock.part_id: stock for stock in rows}


def _short(stock: Stock, *, need: Decimal, usable: Decimal | None = None) -> ValidationError:
    """The refusal of an issue or a loss: how many there are, and how many were wanted."""
    part, unit = stock.part, stock.part.unit
    usable = stock.on_hand - stock.reserved if usable is None else usable
    held = stock.on_hand - usable
    have = f"现有 {qty(stock.on_hand)} {unit}"
    if held > 0:
        have += f"(其中 {qty(held)} {unit}已为其他工单预留,可用 {qty(max(usable, ZERO))} {unit})"
    return ValidationError(f"库存不足:{_part_label(part)} {have},需要 {qty(need)} {unit}。")


def valued(*, on_hand, value, average, quantity, unit_cost=None) -> tuple:
    """The moving average's arithmetic of one change, on its own (the demo's bulk history
    uses it too): (unit cost of the movement, its value, the stock value after, the
    average after). In at `unit_cost` (default: the average), out at the average."""
    after = on_hand + quantity
    if quantity > 0:
        cost = average if unit_cost is None else Decimal(unit_cost)
        change = to_fen(quantity * cost)
        value += change
        average = (value / after).quantize(COST_PLACES, rounding=ROUND_HALF_UP)
    elif quantity < 0:
        cost = average
        # The last units take whatever value is left: no fen stays behind at zero stock.
        change = -value if after == 0 else -min(to_fen(-quantity * cost), value)
        value += change
    else:
        cost, change = average, ZERO
    return cost, change, value, average


def _post(
    stock: Stock,
    *,
    kind: str,
    by,
    at: dt.datetime,
    quantity: Decimal = ZERO,
    reserved_change: Decimal = ZERO,
    unit_cost: Decimal | None = None,
    reason: str = "",
    **document,
) -> StockMovement:
    """Apply one change to a locked Stock row and give its movement (unsaved: the caller
    saves the movements of a document together).

    1. The new on-hand and reserved quantities; less than nothing, or more reserved than
       there is, is refused with how many there are.
    2. The value and the moving average: in at `unit_cost` (default: the average), out at
       the average.
    3. The Stock row is written now, with absolute values computed under its row lock.
    """
    on_hand = stock.on_hand + quantity
    reserved = stock.reserved + reserved_change
    if reserved < 0:
        raise ValueError(f"releasing more than is reserved of part {stock.part_id}")
    if on_hand < 0 or reserved > on_hand:
        # What the change may use: what is not reserved, plus what it releases itself.
        usable = stock.on_hand - stock.reserved + max(-reserved_change, ZERO)
        raise _short(stock, need=-quantity if quantity < 0 else reserved_change, usable=usable)
    cost, change, value, average = valued(
        on_hand=stock.on_hand,
        value=stock.value,
        average=stock.average_cost,
        quantity=quantity,
        unit_cost=unit_cost,
    )
    Stock.objects.filter(pk=stock.pk).update(
        on_hand=on_hand, reserved=reserved, value=value, average_cost=average, updated_at=at
    )
    stock.on_hand, stock.reserved, stock.value, stock.average_cost = (
        on_hand,
        reserved,
        value,
        average,
    )
    return StockMovement(
        part_id=stock.part_id,
        kind=kind,
        quantity=quantity,
        reserved_change=reserved_change,
        unit_cost=cost,
        value=change,
        at=at,
        by=by,
        reason=reason[:200],
        **document,
    )


def _reserved_for_lines(line_ids) -> dict[int, Decimal]:
    """How much is reserved for each work-order line now (its reservation movements)."""
    rows = (
        StockMovement.objects.filter(work_order_line__in=list(line_ids))
        .values("work_order_line")
        .annotate(reserved=Sum("reserved_change"))
    )
    return {row["work_order_line"]: row["reserved"] or ZERO for row in rows}


# --- stock settings of a part ------------------------------------------------------------------


def stock_update(*, part: Part, by, bin: str, minimum) -> Stock:
    """Set a part's bin (库位) and minimum stock (最低库存). Quantities and cost change only
    through movements."""
    minimum = parse_quantity(minimum, label="最低库存", allow_zero=True)
    bin_ = "".join(str(bin).split()).upper()[:20]
    with transaction.atomic():
        stock = _locked_stocks([part.pk])[part.pk]
        Stock.objects.filter(pk=part.pk).update(
            bin=bin_, minimum=minimum, updated_at=timezone.now()
        )
        stock.bin, stock.minimum = bin_, minimum
    return stock


# --- issue slips (出库单) and returns (退料单) ----------------------------------------------------


@dataclass(frozen=True)
class SlipLine:
    """One line of an issue or return slip: a parts line of the order and how many."""

    line: WorkOrderLine
    quantity: Decimal


def _wanted(work_order: WorkOrder, lines: list[SlipLine]) -> dict[int, Decimal]:
    """Quantities by work-order line (a line named twice adds up); only positive ones."""
    wanted: dict[int, Decimal] = {}
    for item in lines:
        if item.line.work_order_id != work_order.pk:
            raise ValidationError("所选配件行不属于本工单。")
        quantity = Decimal(item.quantity)
        if quantity < 0:
            raise ValidationError(f"{item.line.description}:数量不能为负数。")
        if quantity:
            wanted[item.line.pk] = wanted.get(item.line.pk, ZERO) + quantity
    if not wanted:
        raise ValidationError("请至少填写一行数量。")
    return wanted


def _technician(user) -> None:
    if user is None or not user.is_active or not user.has_perm("workorders.work_workorder"):
        raise ValidationError({"technician": "领料人须为在职的维修技师。"})


def _locked_lines(work_order: WorkOrder, ids) -> list[WorkOrderLine]:
    return list(
        WorkOrderLine.objects.select_for_update(of=("self",))
        .select_related("part")
        .filter(work_order=work_order, pk__in=list(ids))
        .order_by("pk")
    )


def _slip_content(slip: IssueSlip, movements: list[StockMovement], parts: dict) -> dict:
    """What the technician signs: the slip as issued."""
    return {
        "slip": slip.number,
        "work_order": slip.work_order.number,
        "technician": str(slip.technician),
        "lines": [
            {
                "part": parts[movement.part_id].number,
                "name": parts[movement.part_id].name,
                "quantity": qty(-movement.quantity),
            }
            for movement in movements
        ],
    }


def issue_slip_create(
    *,
    work_order: WorkOrder,
    technician,
    lines: list[SlipLine],
    by,
    png_data_url: str | None = None,
    points=None,
    note: str = "",
) -> IssueSlip:
    """Issue parts of a work order's approved parts lines to a technician (出库单).

    1. The order is between approval and settlement; each line is an approved line of a
       catalogue part and is not issued beyond its quantity.
    2. Lines, then stock rows, locked; each line takes its own reservation first, then
       what is available; a shortage is refused with how many there are, and nothing of
       the slip is written.
    3. Each line's issued quantity (the settle guard's cache) grows by what it took.
       (Before all this, what pre-picking holds for the order's appointment moves to its
       lines: `prepick_carry_over`.)
    4. Signed: the technician's drawing on the tablet (`png_data_url` + `points`), or,
       without one, the slip waits for the technician's confirmation
       (`issue_slip_confirm`).
    """
    prepick_carry_over(work_order=work_order, by=by)
    if work_order.source == WorkOrder.Source.IMPORT or work_order.status not in ISSUE_STATES:
        raise ValidationError(
            f"工单当前为“{work_order.get_status_display()}”,不能出库(客户确认后、结算前才能出库)。"
        )
    _technician(technician)
    if png_data_url is not None and not png_data_url:
        raise ValidationError({"signature": "请技师在签字框内签字。"})
    wanted = _wanted(work_order, lines)
    now = timezone.now()
    with transaction.atomic():
        locked = _locked_lines(work_order, wanted)
        if len(locked) != len(wanted):
            raise ValidationError("所选配件行不属于本工单。")
        for line in locked:
            if line.kind != WorkOrderLine.Kind.PART or line.part_id is None:
                raise ValidationError(f"{line.description}:不是配件目录中的配件,无需出库。")
            if line.status != LineStatus.APPROVED:
                raise ValidationError(f"{line.description}:客户尚未确认,不能出库。")
            left = line.quantity - line.issued_quantity
            if wanted[line.pk] > left:
                raise ValidationError(
                    f"{line.description}:工单数量 {qty(line.quantity)},已出库 "
                    f"{qty(line.issued_quantity)},本次最多还可出库 {qty(max(left, ZERO))}。"
                )
        reserved = _reserved_for_lines(wanted)
        stocks = _locked_stocks(line.part_id for line in locked)
        movements = []
        for line in locked:
            quantity = wanted[line.pk]
            movements.append(
                _post(
                    stocks[line.part_id],
                    kind=K.ISSUE,
                    by=by,
                    at=now,
                    quantity=-quantity,
                    reserved_change=-min(quantity, reserved.get(line.pk, ZERO)),
                    reason=f"{work_order.number} {line.description}",
                    work_order_line=line,
                )
            )
            WorkOrderLine.objects.filter(pk=line.pk).update(
                issued_quantity=line.issued_quantity + quantity, updated_at=now
            )
        slip = IssueSlip(
            number=_next_number("CK", timezone.localdate(now)),
            kind=IssueSlip.Kind.ISSUE,
            work_order=work_order,
            technician=technician,
            by=by,
            at=now,
            note=note.strip()[:200],
        )
        if png_data_url:
            parts = {line.part_id: line.part for line in locked}
            slip.signature = signature_take(
                by=by,
                signer_name=str(technician),
                png_data_url=png_data_url,
                points=points,
                content=_slip_content(slip, movements, parts),
            )
            slip.confirmed_at = now
        slip.save()
        for movement in movements:
            movement.slip = slip
        StockMovement.objects.bulk_create(movements)
    return slip


def issue_slip_confirm(*, slip: IssueSlip, by) -> IssueSlip:
    """The technician confirms from their own login that they received the parts of a
    slip not signed on the counter's tablet. Twice is refused once."""
    if slip.kind != IssueSlip.Kind.ISSUE:
        raise ValidationError("退料单无需技师确认。")
    if by.pk != slip.technician_id:
        raise ValidationError("只有领料技师本人可以确认。")
    now = timezone.now()
    claimed = IssueSlip.objects.filter(pk=slip.pk, confirmed_at__isnull=True).update(
        confirmed_at=now
    )
    if not claimed:
        raise ValidationError(f"出库单 {slip.number} 已确认。")
    slip.confirmed_at = now
    return slip


def _issued_costs(line_ids) -> dict[int, Decimal]:
    """The average cost at which each line's parts left the store (its issues less its
    returns), the cost a return comes back at."""
    rows = (
        StockMovement.objects.filter(
            work_order_line__in=list(line_ids), kind__in=(K.ISSUE, K.RETURN)
        )
        .values("work_order_line")
        .annotate(quantity=Sum("quantity"), value=Sum("value"))
    )
    return {
        row["work_order_line"]: (row["value"] / row["quantity"]).quantize(COST_PLACES)
        for row in rows
        if row["quantity"]
    }


def return_slip_create(
    *, work_order: WorkOrder, technician, lines: list[SlipLine], by, reason: str
) -> IssueSlip:
    """Unused parts brought back to the store (退料单): at most what each line has out,
    back at the cost they left at; the lines' issued quantities shrink (a line issued
    short again blocks settlement until it is issued or the order changes)."""
    if work_order.source == WorkOrder.Source.IMPORT or work_order.status == S.SETTLED:
        raise ValidationError("已结算或旧系统导入的工单不能退料。")
    _technician(technician)
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": "请填写退料原因。"})
    wanted = _wanted(work_order, lines)
    now = timezone.now()
    with transaction.atomic():
        locked = _locked_lines(work_order, wanted)
        if len(locked) != len(wanted):
            raise ValidationError("所选配件行不属于本工单。")
        for line in locked:
            if wanted[line.pk] > line.issued_quantity:
                raise ValidationError(
                    f"{line.description}:已出库 {qty(line.issued_quantity)},"
                    f"最多可退 {qty(line.issued_quantity)}。"
                )
        costs = _issued_costs(wanted)
        stocks = _locked_stocks(line.part_id for line in locked)
        movements = []
        for line in locked:
            quantity = wanted[line.pk]
            movements.append(
                _post(
                    stocks[line.part_id],
                    kind=K.RETURN,
                    by=by,
                    at=now,
                    quantity=quantity,
                    unit_cost=costs.get(line.pk),
                    reason=f"{work_order.number} 退料:{reason}",
                    work_order_line=line,
                )
            )
            WorkOrderLine.objects.filter(pk=line.pk).update(
                issued_quantity=line.issued_quantity - quantity, updated_at=now
            )
        slip = IssueSlip.objects.create(
            number=_next_number("TL", timezone.localdate(now)),
            kind=IssueSlip.Kind.RETURN,
            work_order=work_order,
            technician=technician,
            by=by,
            at=now,
            confirmed_at=now,  # the clerk received the parts: nothing to confirm
            note=reason[:200],
        )
        for movement in movements:
            movement.slip = slip
        StockMovement.objects.bulk_create(movements)
    return slip


# --- reservations (预留) -----------------------------------------------------------------------


def _line_needs(line: WorkOrderLine, reserved: Decimal) -> Decimal:
    """What a parts line still needs from the store beyond its reservation."""
    return max(line.quantity - line.issued_quantity - reserved, ZERO)


def stock_reserve(*, line: WorkOrderLine, by, quantity=None) -> StockMovement:
    """Set parts aside for a work order's parts line (default: all it still needs); they
    stay in the store but are no longer available to others."""
    prepick_carry_over(work_order=line.work_order, by=by)
    if line.kind != WorkOrderLine.Kind.PART or line.part_id is None:
        raise ValidationError(f"{line.description}:不是配件目录中的配件。")
    if line.status == LineStatus.DECLINED:
        raise ValidationError(f"{line.description}:客户不维修,无需预留。")
    now = timezone.now()
    with transaction.atomic():
        [locked] = _locked_lines(line.work_order, [line.pk])
        if locked.work_order.status in (S.SETTLED, S.CANCELLED):
            raise ValidationError("工单已结算或已取消,不能预留。")
        needs = _line_needs(locked, _reserved_for_lines([locked.pk]).get(locked.pk, ZERO))
        quantity = needs if quantity is None else parse_quantity(quantity, label="预留数量")
        if not quantity or quantity > needs:
            raise ValidationError(f"{locked.description}:最多还可预留 {qty(needs)}。")
        stock = _locked_stocks([locked.part_id])[locked.part_id]
        movement = _post(
            stock,
            kind=K.RESERVE,
            by=by,
            at=now,
            reserved_change=quantity,
            reason=f"{locked.work_order.number} {locked.description}",
            work_order_line=locked,
        )
        movement.save()
    return movement


def stock_release(*, line: WorkOrderLine, by, reason: str = "") -> StockMovement | None:
    """Give back to the available stock what is reserved for a parts line (None when
    nothing is)."""
    now = timezone.now()
    with transaction.atomic():
        [locked] = _locked_lines(line.work_order, [line.pk])
        reserved = _reserved_for_lines([locked.pk]).get(locked.pk, ZERO)
        if not reserved:
            return None
        stock = _locked_stocks([locked.part_id])[locked.part_id]
        movement = _post(
            stock,
            kind=K.RELEASE,
            by=by,
            at=now,
            reserved_change=-reserved,
            reason=(reason or f"{locked.work_order.number} 取消预留")[:200],
            work_order_line=locked,
        )
        movement.save()
    return movement


def stale_reservations_release() -> int:
    """Release what is still reserved for lines of settled or cancelled orders (the daily
    job, apps.stock.tasks): selects by state, so a second run finds nothing. The release is
    recorded in the name of whoever made the reservation. Returns how many lines."""
    reserved = (
        StockMovement.objects.filter(
            work_order_line__isnull=False,
            work_order_line__work_order__status__in=(S.SETTLED, S.CANCELLED),
        )
        .values("work_order_line")
        .annotate(reserved=Sum("reserved_change"))
        .filter(reserved__gt=0)
        .values_list("work_order_line", flat=True)
    )
    released = 0
    for line in WorkOrderLine.objects.select_related("work_order").filter(pk__in=list(reserved)):
        reserver = (
            StockMovement.objects.filter(work_order_line=line, kind=K.RESERVE)
            .select_related("by")
            .order_by("-at", "-id")
            .first()
            .by
        )
        reason = f"{line.work_order.number} 工单已关闭,释放预留"
        if stock_release(line=line, by=reserver, reason=reason):
            released += 1
    return released


# --- purchase requests (请购单) ----------------------------------------------------------------


def _expected_on(expected_on: dt.date | None) -> dt.date:
    today = timezone.localdate()
    if expected_on is None:
        return today + dt.timedelta(days=current_settings(StockSettings).purchase_lead_days)
    if expected_on < today:
        raise ValidationError({"expected_on": "预计到货日期不能早于今天。"})
    return expected_on


def _request_save(request: PurchaseRequest) -> PurchaseRequest:
    try:
        with transaction.atomic():
            request.number = _next_number("QG", timezone.localdate(request.requested_at))
            request.save()
    except IntegrityError as error:
        if violated_constraint(error) != "purchaserequest_one_open_per_line":
            raise
        other = PurchaseRequest.objects.filter(
            work_order_line=request.work_order_line, status=PurchaseRequest.Status.OPEN
        ).first()
        when = f",预计 {other.expected_on:%Y-%m-%d} 到货" if other else ""
        number = other.number if other else ""
        raise ValidationError(f"该配件行已有待到货的请购单 {number}{when}。") from error
    return request


def purchase_request_for_line(
    *, line: WorkOrderLine, by, expected_on: dt.date | None = None, quantity=None, note: str = ""
) -> PurchaseRequest:
    """A parts line whose part is short raises a request (default: the shortfall), with
    the expected arrival date (default: today + the settings' lead days), shown on the
    work order. One open request per line."""
    order = line.work_order
    if line.kind != WorkOrderLine.Kind.PART or line.part_id is None:
        raise ValidationError(f"{line.description}:不是配件目录中的配件,不能请购。")
    if line.status == LineStatus.DECLINED or order.is_read_only:
        raise ValidationError(f"{line.description}:客户不维修或工单已关闭,无需请购。")
    expected = _expected_on(expected_on)
    reserved = _reserved_for_lines([line.pk]).get(line.pk, ZERO)
    stock = Stock.objects.filter(pk=line.part_id).first()
    available = stock.available if stock else ZERO
    short = _line_needs(line, reserved) - max(available, ZERO)
    if quantity is None:
        if short <= 0:
            raise ValidationError(
                f"{line.description}:库存可用 {qty(available)},足够本工单使用,无需请购。"
            )
        quantity = short
    quantity = parse_quantity(quantity, label="请购数量")
    return _request_save(
        PurchaseRequest(
            part_id=line.part_id,
            quantity=quantity,
            work_order=order,
            work_order_line=line,
            expected_on=expected,
            requested_by=by,
            requested_at=timezone.now(),
            note=note.strip()[:200],
        )
    )


def purchase_request_create(
    *, part: Part, quantity, by, expected_on: dt.date | None = None, note: str = ""
) -> PurchaseRequest:
    """A request for stock (e.g. a part below its minimum), for no work order."""
    return _request_save(
        PurchaseRequest(
            part=part,
            quantity=parse_quantity(quantity, label="请购数量"),
            expected_on=_expected_on(expected_on),
            requested_by=by,
            requested_at=timezone.now(),
            note=note.strip()[:200],
        )
    )


def purchase_request_cancel(*, request: PurchaseRequest, by, reason: str) -> PurchaseRequest:
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": "请填写取消原因。"})
    claimed = PurchaseRequest.objects.filter(
        pk=request.pk, status=PurchaseRequest.Status.OPEN
    ).update(status=PurchaseRequest.Status.CANCELLED, cancel_reason=reason[:200])
    if not claimed:
        raise ValidationError(f"请购单 {request.number} 已到货或已取消。")
    request.status, request.cancel_reason = PurchaseRequest.Status.CANCELLED, reason[:200]
    return request


def arrival_seen(*, request: PurchaseRequest, by) -> None:
    """The advisor has read the arrival notice (it leaves the 工作台)."""
    PurchaseRequest.objects.filter(pk=request.pk, advisor_seen_at__isnull=True).update(
        advisor_seen_at=timezone.now()
    )


# --- receiving (入库) --------------------------------------------------------------------------


@dataclass(frozen=True)
class ReceiptLine:
    part: Part
    quantity: Decimal
    unit_cost: Decimal  # the purchase price per unit, without VAT


@dataclass
class Received:
    receipt: GoodsReceipt
    fulfilled: list[PurchaseRequest]  # the requests completed by this receipt
    reserved: list[StockMovement]  # what it set aside for the work orders waiting


def goods_receipt_create(
    *, supplier: str, delivery_note: str, lines: list[ReceiptLine], by, note: str = ""
) -> Received:
    """Receive goods against the supplier's delivery note (入库).

    1. One delivery note of a supplier is received once (a unique constraint; the refusal
       names the receipt that took it).
    2. Each line is a receipt movement at its purchase cost (the moving average moves).
    3. The open requests of each part are fulfilled oldest first (FIFO) with what came in;
       what a work order's request receives is reserved for its parts line, so it is
       not issued to another order; the advisor sees the arrival on the 工作台 and the
       order's page.
    """
    supplier = " ".join(supplier.split())[:60]
    delivery_note = "".join(delivery_note.split()).upper()[:40]
    errors = {}
    if not supplier:
        errors["supplier"] = "请填写供应商。"
    if not delivery_note:
        errors["delivery_note"] = "请填写供应商送货单号。"
    if not lines:
        errors["lines"] = "请至少填写一行入库配件。"
    if errors:
        raise ValidationError(errors)
    for item in lines:
        if item.quantity <= 0:
            raise ValidationError({"lines": f"{_part_label(item.part)}:数量须大于 0。"})
        if item.unit_cost < 0:
            raise ValidationError({"lines": f"{_part_label(item.part)}:进价不能为负数。"})
    now = timezone.now()
    with transaction.atomic():
        stocks = _locked_stocks(item.part.pk for item in lines)
        receipt = GoodsReceipt(
            number=_next_number("RK", timezone.localdate(now)),
            supplier=supplier,
            delivery_note=delivery_note,
            by=by,
            at=now,
            note=note.strip()[:200],
        )
        try:
            with transaction.atomic():
                receipt.save()
        except IntegrityError as error:
            if violated_constraint(error) != "goodsreceipt_delivery_note_unique":
                raise
            other = GoodsReceipt.objects.filter(
                supplier=supplier, delivery_note=delivery_note
            ).first()
            raise ValidationError(
                {
                    "delivery_note": f"{supplier} 的送货单 {delivery_note} 已于 "
                    f"{timezone.localtime(other.at):%Y-%m-%d %H:%M} 入库"
                    f"(入库单 {other.number}),不能重复入库。"
                }
            ) from error
        movements = [
            _post(
                stocks[item.part.pk],
                kind=K.RECEIPT,
                by=by,
                at=now,
                quantity=item.quantity,
                unit_cost=to_cost(item.unit_cost),
                reason=f"{supplier} 送货单 {delivery_note}",
                receipt=receipt,
            )
            for item in lines
        ]
        received = Received(receipt=receipt, fulfilled=[], reserved=[])
        came: dict[int, Decimal] = {}
        for item in lines:
            came[item.part.pk] = came.get(item.part.pk, ZERO) + item.quantity
        _fulfil_requests(received, came, stocks, by=by, at=now)
        StockMovement.objects.bulk_create(movements + received.reserved)
    return received


def to_cost(value) -> Decimal:
    return Decimal(value).quantize(COST_PLACES, rounding=ROUND_HALF_UP)


def _fulfil_requests(received: Received, came: dict[int, Decimal], stocks, *, by, at) -> None:
    """Share what came in among the open requests of each part, oldest first."""
    requests = (
        PurchaseRequest.objects.select_for_update(of=("self",))
        .select_related("work_order_line__work_order")
        .filter(part_id__in=list(came), status=PurchaseRequest.Status.OPEN)
        .order_by("part_id", "requested_at", "id")
    )
    by_line = {}
    for request in requests:
        left = came[request.part_id]
        if left <= 0:
            continue
        take = min(left, request.outstanding)
        came[request.part_id] = left - take
        request.received_quantity += take
        fields = ["received_quantity"]
        if request.received_quantity >= request.quantity:
            request.status = PurchaseRequest.Status.FULFILLED
            request.fulfilled_at = at
            request.receipt = received.receipt
            fields += ["status", "fulfilled_at", "receipt"]
            received.fulfilled.append(request)
        request.save(update_fields=fields)
        line = request.work_order_line
        if line is not None and line.work_order.status not in (S.SETTLED, S.CANCELLED):
            by_line.setdefault(line.pk, (line, ZERO))
            by_line[line.pk] = (line, by_line[line.pk][1] + take)
    reserved_now = _reserved_for_lines(by_line)
    for line, take in by_line.values():
        # Set aside for the order what it still needs, no more than arrived for it.
        quantity = min(take, _line_needs(line, reserved_now.get(line.pk, ZERO)))
        stock = stocks[line.part_id]
        quantity = min(quantity, stock.on_hand - stock.reserved)
        if quantity > 0:
            received.reserved.append(
                _post(
                    stock,
                    kind=K.RESERVE,
                    by=by,
                    at=at,
                    reserved_change=quantity,
                    reason=f"到货预留 {line.work_order.number} {line.description}",
                    receipt=received.receipt,
                    work_order_line=line,
                )
            )


# --- stock counts (盘点) -----------------------------------------------------------------------


def stock_count_open(*, bin_prefix: str, by, note: str = "") -> StockCount:
    """A count sheet of the bins starting with `bin_prefix` (empty: every part kept in a
    bin or in stock). A part already on a count not yet posted is left out (counted once)."""
    prefix = "".join(bin_prefix.split()).upper()[:20]
    now = timezone.now()
    with transaction.atomic():
        stocks = Stock.objects.filter(bin__startswith=prefix) if prefix else Stock.objects.all()
        if not prefix:
            stocks = stocks.filter(~Q(bin="") | Q(on_hand__gt=0))
        busy = StockCountLine.objects.filter(
            count__status__in=(StockCount.Status.COUNTING, StockCount.Status.SUBMITTED)
        ).values("part_id")
        rows = list(stocks.exclude(part_id__in=busy).order_by("bin", "part__number"))
        if not rows:
            where = f"库位 {prefix}* 下" if prefix else "库存中"
            raise ValidationError(
                {"bin_prefix": f"{where}没有需要盘点的配件(或都已在未完成的盘点单中)。"}
            )
        count = StockCount.objects.create(
            number=_next_number("PD", timezone.localdate(now)),
            bin_prefix=prefix,
            created_by=by,
            created_at=now,
            note=note.strip()[:200],
        )
        StockCountLine.objects.bulk_create(
            [StockCountLine(count=count, part_id=stock.part_id, bin=stock.bin) for stock in rows]
        )
    return count


@dataclass(frozen=True)
class CountEntry:
    line: StockCountLine
    counted: Decimal | None  # None: not counted yet
    reason: str = ""


def stock_count_enter(*, count: StockCount, by, entries: list[CountEntry]) -> int:
    """Record counted quantities (and the reasons of differences) while counting; the
    book quantity is taken at entry. Returns how many lines changed."""
    now = timezone.now()
    with transaction.atomic():
        locked = StockCount.objects.select_for_update().get(pk=count.pk)
        if locked.status != StockCount.Status.COUNTING:
            raise ValidationError(
                f"盘点单 {locked.number} {locked.get_status_display()},不能再录入。"
            )
        on_hand = dict(
            Stock.objects.filter(part_id__in=[e.line.part_id for e in entries]).values_list(
                "part_id", "on_hand"
            )
        )
        changed = []
        for entry in entries:
            line = entry.line
            if line.count_id != locked.pk:
                raise ValidationError("盘点明细不属于本盘点单。")
            counted = entry.counted
            reason = entry.reason.strip()[:200]
            if counted == line.counted and reason == line.reason:
                continue
            if counted is not None and counted < 0:
                raise ValidationError(f"{line.part}:实盘数量不能为负数。")
            line.counted = counted
            line.reason = reason
            line.expected = on_hand.get(line.part_id, ZERO) if counted is not None else None
            line.counted_by = by if counted is not None else None
            line.counted_at = now if counted is not None else None
            changed.append(line)
        StockCountLine.objects.bulk_update(
            changed, ["counted", "reason", "expected", "counted_by", "counted_at"]
        )
    return len(changed)


def _count_move(
    count: StockCount, transition: counts.Transition, *, by, reason: str, at, extra=None
) -> StockCountChange:
    """Claim the move (UPDATE … WHERE status = <the status seen>) and record it."""
    claimed = StockCount.objects.filter(pk=count.pk, status=count.status).update(
        status=transition.target, **(extra or {})
    )
    if not claimed:
        raise ValidationError("盘点单状态已被他人更新,请刷新后再操作。")
    change = StockCountChange.objects.create(
        count=count,
        transition=transition.name,
        from_status=count.status,
        to_status=transition.target,
        by=by,
        at=at,
        reason=reason[:200],
    )
    count.status = transition.target
    for name, value in (extra or {}).items():
        setattr(count, name, value)
    return change


def _checked_count_move(count: StockCount, name: str, by, reason: str) -> counts.Transition:
    transition = counts.TRANSITIONS[name]
    if count.status not in transition.sources:
        raise ValidationError(
            f"盘点单当前为“{count.get_status_display()}”,不能“{transition.label}”。"
        )
    if not by.has_perm(transition.permission):
        raise ValidationError(f"您没有“{transition.label}”的权限。")
    if transition.needs_reason and not reason.strip():
        raise ValidationError({"reason": f"“{transition.label}”必须填写原因。"})
    blocked = counts.refusals(transition, list(count.lines.all()))
    if blocked:
        raise ValidationError(blocked)
    return transition


def stock_count_transition(
    *, count: StockCount, name: str, by, reason: str = ""
) -> StockCountChange:
    """Submit, send back or cancel a count (counts.TRANSITIONS); approving is
    stock_count_approve."""
    transition = _checked_count_move(count, name, by, reason)
    if transition.via:
        raise ValidationError(f"“{transition.label}”请使用审批按钮。")
    with transaction.atomic():
        return _count_move(count, transition, by=by, reason=reason.strip(), at=timezone.now())


def stock_count_approve(*, count: StockCount, by) -> StockCountChange:
    """A manager approves a submitted count: each difference becomes an adjustment
    movement (gains in at the average cost, losses out at it) with the line's reason, in
    the same transaction as the move to 已过账. A loss larger than what is there now
    (parts issued since the count) is refused, naming the part."""
    transition = _checked_count_move(count, "approve", by, "")
    now = timezone.now()
    with transaction.atomic():
        lines = [
            line
            for line in StockCountLine.objects.select_related("part").filter(count=count)
            if line.difference
        ]
        change = _count_move(
            count,
            transition,
            by=by,
            reason="",
            at=now,
            extra={"approved_by": by, "approved_at": now},
        )
        stocks = _locked_stocks(line.part_id for line in lines)
        movements = [
            _post(
                stocks[line.part_id],
                kind=K.ADJUSTMENT,
                by=by,
                at=now,
                quantity=line.difference,
                reason=f"盘点 {count.number}:{line.reason}",
                count=count,
            )
            for line in lines
        ]
        StockMovement.objects.bulk_create(movements)
    return change


# --- pre-picking (预先捡料) ---------------------------------------------------------------------

PL = PickLine.Status
# Lines still holding (or still wanting) parts for their appointment.
PICK_OPEN = (PL.RESERVED, PL.SHORT, PL.PICKED)


def _short_reason(stock: Stock, *, need: Decimal, got: Decimal) -> str:
    """Why a pick line is short, with the part's open purchase requests if any."""
    unit = stock.part.unit
    text = (
        f"需要 {qty(need)} {unit},已预留 {qty(got)} {unit};"
        f"现有 {qty(stock.on_hand)} {unit},其中 {qty(stock.reserved)} {unit}已预留"
    )
    requests = list(
        PurchaseRequest.objects.filter(
            part_id=stock.part_id, status=PurchaseRequest.Status.OPEN
        ).order_by("expected_on", "id")[:2]
    )
    if requests:
        arriving = "、".join(f"{r.number}({r.expected_on:%m-%d})" for r in requests)
        text += f";待到货请购单 {arriving}"
    else:
        text += ";无待到货请购单,请请购"
    return text[:200]


def _release_pick_line(line: PickLine, stock: Stock, *, by, at, reason: str):
    """The unsaved release movement of what a pick line holds (None when nothing)."""
    if not line.reserved_quantity:
        return None
    movement = _post(
        stock,
        kind=K.RELEASE,
        by=by,
        at=at,
        reserved_change=-line.reserved_quantity,
        reason=reason,
        pick_line=line,
    )
    line.reserved_quantity = ZERO
    return movement


def prepick_run(*, day: dt.date, by=None) -> dict:
    """Pre-pick the appointments of `day` (预先捡料, DOMAIN §3: the evening before): one
    pick line per part of every booked or confirmed appointment, its quantity reserved.

    1. The day's PickList row is created if missing and locked (SELECT … FOR UPDATE): two
       runs of one day wait on each other, the second finds the first's lines.
    2. Lines are added for the appointment parts that have none (a unique line per part:
       running twice adds nothing); the open lines are locked (appointment time, id).
    3. The stock rows of their parts are locked in part order (as every stock service);
       each line still missing parts reserves what is available, up to its quantity, in
       the order of the appointments' start times (the earliest car is served first);
       a line left short says why (what there is, what is reserved, open requests).
    4. A line whose appointment is no longer open (cancelled, re-booked, missed) gives
       its reservation back.
    The movements are in the name of `by` (the parts clerk), or for the daily job of the
    appointment's booker. Returns counts for the jobs page.
    """
    now = timezone.now()
    counts_ = {"appointments": 0, "lines": 0, "reserved": 0, "short": 0, "released": 0}
    with transaction.atomic():
        PickList.objects.bulk_create(
            [PickList(date=day, created_at=now, refreshed_at=now)], ignore_conflicts=True
        )
        pick_list = PickList.objects.select_for_update().get(date=day)
        wanted = list(
            AppointmentPart.objects.filter(
                appointment__date=day, appointment__status__in=OPEN_STATUSES
            )
            .exclude(pick_line__isnull=False)
            .select_related("appointment")
            .order_by("id")
        )
        PickLine.objects.bulk_create(
            [
                PickLine(
                    pick_list=pick_list,
                    appointment_part=row,
                    appointment=row.appointment,
                    part_id=row.part_id,
                    quantity=row.quantity,
                )
                for row in wanted
            ]
        )
        lines = list(
            PickLine.objects.select_for_update(of=("self",))
            .select_related("appointment__created_by")
            .filter(pick_list=pick_list, status__in=PICK_OPEN)
            .order_by("appointment__starts_at", "appointment_id", "id")
        )
        stocks = _locked_stocks([line.part_id for line in lines]) if lines else {}
        movements = []
        for line in lines:
            stock = stocks[line.part_id]
            who = by or line.appointment.created_by
            label = f"预先捡料 {day:%m-%d} 预约#{line.appointment_id}"
            if line.appointment.status == Appointment.Status.ARRIVED:
                continue  # the car is here: prepick_transfer moves its parts to the order
            if line.appointment.status not in OPEN_STATUSES:
                movement = _release_pick_line(
                    line, stock, by=who, at=now, reason=f"{label} 预约已取消或改约,释放"
                )
                movements += [movement] if movement else []
                line.status = PL.RELEASED
                line.save(update_fields=["reserved_quantity", "status"])
                counts_["released"] += 1
                continue
            counts_["lines"] += 1
            take = min(line.missing, max(stock.on_hand - stock.reserved, ZERO))
            if take:
                movements.append(
                    _post(
                        stock,
                        kind=K.RESERVE,
                        by=who,
                        at=now,
                        reserved_change=take,
                        reason=label,
                        pick_line=line,
                    )
                )
                line.reserved_quantity += take
            if line.status != PL.PICKED:
                if line.missing:
                    line.status = PL.SHORT
                    line.short_reason = _short_reason(
                        stock, need=line.quantity, got=line.reserved_quantity
                    )
                    counts_["short"] += 1
                else:
                    line.status, line.short_reason = PL.RESERVED, ""
                    counts_["reserved"] += 1
            line.save(update_fields=["reserved_quantity", "status", "short_reason"])
        StockMovement.objects.bulk_create(movements)
        PickList.objects.filter(pk=pick_list.pk).update(refreshed_at=now)
        counts_["appointments"] = len(
            {line.appointment_id for line in lines if line.status in PICK_OPEN}
        )
    return counts_


def pick_lines_tick(*, pick_list: PickList, line_ids, by) -> int:
    """The parts clerk took these lines' parts off the shelf (已捡料). Only a fully
    reserved line can be picked (a conditional UPDATE: a line picked meanwhile, or short,
    is left as it is). Returns how many lines were ticked now. The list row is locked
    first, as by prepick_run, so a tick and a run never lock the lines crosswise."""
    with transaction.atomic():
        PickList.objects.select_for_update().get(pk=pick_list.pk)
        return PickLine.objects.filter(
            pick_list=pick_list, pk__in=list(line_ids), status=PL.RESERVED
        ).update(status=PL.PICKED, picked_at=timezone.now(), picked_by=by)


def prepick_transfer(*, appointment: Appointment, by) -> int:
    """The appointment's car arrived and its work order has its parts lines: what the
    pre-pick holds for it moves to the order's lines of the same parts (a release on the
    pick line and a reservation on the work-order line, so the stock's reserved total
    does not change); what no line wants is released. Returns how many lines moved.

    Locks: the work order's parts lines (by id), then the pick lines, then the stock rows
    (by part) — the order of every stock service."""
    order = appointment.work_order
    now = timezone.now()
    with transaction.atomic():
        order_lines = []
        if order is not None and order.status not in (S.SETTLED, S.CANCELLED):
            ids = order.lines.filter(kind=WorkOrderLine.Kind.PART, part__isnull=False).exclude(
                status=LineStatus.DECLINED
            )
            order_lines = _locked_lines(order, ids.values_list("pk", flat=True))
        picks = list(
            PickLine.objects.select_for_update()
            .filter(appointment=appointment, status__in=PICK_OPEN)
            .order_by("pk")
        )
        if not picks:
            return 0
        stocks = _locked_stocks([pick.part_id for pick in picks])
        reserved = _reserved_for_lines([line.pk for line in order_lines])
        by_part = {}
        for line in order_lines:
            by_part.setdefault(line.part_id, line)
        moved, movements = 0, []
        for pick in picks:
            stock, target = stocks[pick.part_id], by_part.get(pick.part_id)
            carry = ZERO
            if target is not None:
                carry = min(
                    pick.reserved_quantity,
                    _line_needs(target, reserved.get(target.pk, ZERO)),
                )
            if carry:
                movements.append(
                    _post(
                        stock,
                        kind=K.RELEASE,
                        by=by,
                        at=now,
                        reserved_change=-carry,
                        reason=f"预先捡料转入工单 {order.number}",
                        pick_line=pick,
                    )
                )
                movements.append(
                    _post(
                        stock,
                        kind=K.RESERVE,
                        by=by,
                        at=now,
                        reserved_change=carry,
                        reason=f"{order.number} {target.description}(预先捡料)",
                        work_order_line=target,
                    )
                )
                reserved[target.pk] = reserved.get(target.pk, ZERO) + carry
                pick.reserved_quantity -= carry
                moved += 1
            rest = _release_pick_line(pick, stock, by=by, at=now, reason="预先捡料:工单不需要,释放")
            movements += [rest] if rest else []
            pick.status = PL.TRANSFERRED if carry else PL.RELEASED
            pick.save(update_fields=["reserved_quantity", "status"])
        StockMovement.objects.bulk_create(movements)
    return moved


def prepick_carry_over(*, work_order: WorkOrder, by) -> int:
    """Before an issue or a reservation for a work order: what pre-picking still holds
    for its appointment moves to its lines first (else the parts set aside for this very
    car would count as taken). One query when there is nothing."""
    appointment = (
        Appointment.objects.filter(
            work_order=work_order,
            pick_lines__status__in=PICK_OPEN,
            pick_lines__reserved_quantity__gt=0,
        )
        .select_related("work_order")
        .first()
    )
    if appointment is None:
        return 0
    return prepick_transfer(appointment=appointment, by=by)


def prepick_close(*, day: dt.date) -> dict:
    """After `day`: the pick lines of its appointments still holding parts are settled —
    an arrived car's move to its work order (prepick_transfer), any other's are released —
    in the name of the appointment's booker. Selects by state: a second run finds nothing."""
    appointments = (
        Appointment.objects.filter(date=day, pick_lines__status__in=PICK_OPEN)
        .select_related("work_order", "created_by")
        .distinct()
        .order_by("pk")
    )
    result = {"transferred": 0, "closed": 0}
    for appointment in appointments:
        result["transferred"] += prepick_transfer(
            appointment=appointment, by=appointment.created_by
        )
        result["closed"] += 1
    return result
