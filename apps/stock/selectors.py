"""Reads of the parts stock; each owns its joins so a page runs a fixed number of queries
whatever the data (the tests count them)."""

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import (
    Count,
    DecimalField,
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce

from apps.appointments.models import Appointment, AppointmentPart
from apps.core.calendar import day_start
from apps.core.pagination import KeysetPage, keyset_page
from apps.core.settings import current_settings
from apps.parts.models import Part
from apps.parts.selectors import part_search_filter
from apps.workorders.models import LineStatus, WorkOrder, WorkOrderLine

from .models import (
    GoodsReceipt,
    IssueSlip,
    PickLine,
    PickList,
    PurchaseRequest,
    Stock,
    StockCount,
    StockCountLine,
    StockMovement,
    StockSettings,
)
from .services import to_fen

ZERO = Decimal(0)
S = WorkOrder.Status
# Orders still in the shop, whose parts the store may still have to issue.
OPEN_STATES = (
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
STOCK_LIST_ORDER = ("number",)  # by part number: the catalogue's unique index
MOVEMENT_ORDER = ("-at", "-id")  # newest first: stockmovement_part_at_idx backwards
DOCUMENT_ORDER = ("-at", "-id")


# --- the stock list and a part's card ----------------------------------------------------------


def stock_list(
    *,
    query: str = "",
    below_minimum: bool = False,
    bin_prefix: str = "",
    after=None,
    before=None,
) -> KeysetPage:
    """One page of the catalogue with each part's stock (库存), by part number: 1 query
    (the stock row joined; a part never received has none and shows zeros).

    Search as the catalogue's (number prefix or name); "below minimum" keeps the parts with
    a minimum whose available stock is under it (a few hundred of a few thousand parts:
    the page reads them in part-number order)."""
    parts: QuerySet[Part] = Part.objects.filter(active=True).select_related("stock")
    if query.strip():
        parts = parts.filter(part_search_filter(query))
    if bin_prefix:
        parts = parts.filter(stock__bin__startswith=bin_prefix)
    if below_minimum:
        parts = parts.filter(stock__minimum__gt=0, stock__available__lt=F("stock__minimum"))
    return keyset_page(parts, order=STOCK_LIST_ORDER, after=after, before=before)


def stock_of(part: Part) -> Stock:
    """The part's stock row, or an unsaved empty one (never received)."""
    try:
        return part.stock
    except Stock.DoesNotExist:
        return Stock(part=part, available=ZERO)


@dataclass(frozen=True)
class StockAt:
    when: dt.datetime
    on_hand: Decimal
    reserved: Decimal
    value: Decimal

    @property
    def average_cost(self) -> Decimal | None:
        return (self.value / self.on_hand).quantize(Decimal("0.0001")) if self.on_hand else None


def stock_at(part_id: int, when: dt.datetime | dt.date) -> StockAt:
    """The stock of a part at a past moment (a date: the end of that day): the sum of its
    movements up to then, one query on stockmovement_part_at_idx (on PostgreSQL from the
    index alone: quantity and value are included in it)."""
    if isinstance(when, dt.date) and not isinstance(when, dt.datetime):
        when = day_start(when + dt.timedelta(days=1))
        inclusive = False
    else:
        inclusive = True
    condition = Q(at__lte=when) if inclusive else Q(at__lt=when)
    sums = StockMovement.objects.filter(condition, part_id=part_id).aggregate(
        on_hand=Sum("quantity"), reserved=Sum("reserved_change"), value=Sum("value")
    )
    # Quantised: SQLite (the embedded default) adds decimals up as floats.
    return StockAt(
        when=when,
        on_hand=to_fen(sums["on_hand"] or ZERO),
        reserved=to_fen(sums["reserved"] or ZERO),
        value=to_fen(sums["value"] or ZERO),
    )


def part_movements(part_id: int, *, after=None, before=None) -> KeysetPage:
    """A part's movements, newest first, with their documents and people: 1 query."""
    movements = StockMovement.objects.filter(part_id=part_id).select_related(
        "by", "slip", "receipt", "count", "work_order_line__work_order"
    )
    return keyset_page(movements, order=MOVEMENT_ORDER, after=after, before=before)


def below_minimum(*, limit: int = 10) -> tuple[list[Stock], bool]:
    """Parts whose available stock is under their minimum, the emptiest first, with what
    is already on order: (the first `limit`, whether there are more); 1 query."""
    on_order = (
        PurchaseRequest.objects.filter(
            part_id=OuterRef("part_id"), status=PurchaseRequest.Status.OPEN
        )
        .values("part_id")
        .annotate(left=Sum(F("quantity") - F("received_quantity")))
        .values("left")
    )
    rows = list(
        Stock.objects.filter(minimum__gt=0, available__lt=F("minimum"))
        .select_related("part")
        .annotate(on_order=Coalesce(Subquery(on_order), Value(ZERO), output_field=DecimalField()))
        .order_by(F("available") - F("minimum"), "part__number")[: limit + 1]
    )
    return rows[:limit], len(rows) > limit


# --- a work order's parts ----------------------------------------------------------------------


@dataclass
class PartsLine:
    """A parts line of a work order as the store sees it."""

    line: WorkOrderLine
    stock: Stock | None
    reserved: Decimal  # set aside for this line
    requests: list = field(default_factory=list)

    @property
    def outstanding(self) -> Decimal:
        """Still to issue."""
        return max(self.line.quantity - self.line.issued_quantity, ZERO)

    @property
    def available(self) -> Decimal:
        """What this line can take now: its reservation and the free stock."""
        free = self.stock.on_hand - self.stock.reserved if self.stock else ZERO
        return max(free, ZERO) + self.reserved

    @property
    def short(self) -> Decimal:
        return max(self.outstanding - self.available, ZERO)

    @property
    def open_request(self):
        return next((r for r in self.requests if r.status == PurchaseRequest.Status.OPEN), None)

    @property
    def approved(self) -> bool:
        return self.line.status == LineStatus.APPROVED


@dataclass
class WorkOrderParts:
    order: WorkOrder
    lines: list[PartsLine]
    slips: list[IssueSlip]

    @property
    def issuable(self) -> list[PartsLine]:
        return [p for p in self.lines if p.approved and p.outstanding > 0]

    @property
    def returnable(self) -> list[PartsLine]:
        return [p for p in self.lines if p.line.issued_quantity > 0]

    @property
    def waiting(self) -> bool:
        """An approved line waits for a part that is not there (the technician waits)."""
        return any(p.short > 0 for p in self.issuable)


def work_order_parts(order: WorkOrder) -> WorkOrderParts:
    """The order's catalogue-parts lines (not declined) with their stock, reservation and
    purchase requests, and its slips: 4 queries whatever the number of lines."""
    lines = list(
        WorkOrderLine.objects.filter(
            work_order=order, kind=WorkOrderLine.Kind.PART, part__isnull=False
        )
        .exclude(status=LineStatus.DECLINED)
        .select_related("part__stock")
        .order_by("id")
    )
    ids = [line.pk for line in lines]
    reserved = dict(
        StockMovement.objects.filter(work_order_line__in=ids)
        .values("work_order_line")
        .annotate(reserved=Sum("reserved_change"))
        .values_list("work_order_line", "reserved")
    )
    requests: dict[int, list] = {}
    for request in PurchaseRequest.objects.filter(work_order_line__in=ids).order_by(
        "-requested_at", "-id"
    ):
        requests.setdefault(request.work_order_line_id, []).append(request)
    rows = [
        PartsLine(
            line=line,
            stock=line.part.stock if _has_stock(line.part) else None,
            reserved=reserved.get(line.pk) or ZERO,
            requests=requests.get(line.pk, []),
        )
        for line in lines
    ]
    slips = (
        list(
            IssueSlip.objects.filter(work_order=order)
            .select_related("technician", "by")
            .prefetch_related("movements__part")
            .order_by("-at", "-id")
        )
        if ids
        else []
    )
    return WorkOrderParts(order=order, lines=rows, slips=slips)


def _has_stock(part: Part) -> bool:
    try:
        part.stock  # noqa: B018 (loaded by select_related; raises when there is none)
    except Stock.DoesNotExist:
        return False
    return True


def orders_waiting_for_issue(*, limit: int = 20) -> list[WorkOrder]:
    """Orders in the shop with approved catalogue parts not yet issued (the parts clerk's
    待出库), oldest first: 1 query. Open orders are few (today's and a few days'): the
    status index finds them, their lines come by the work-order foreign key."""
    waiting = WorkOrderLine.objects.filter(
        work_order=OuterRef("pk"),
        kind=WorkOrderLine.Kind.PART,
        part__isnull=False,
        status=LineStatus.APPROVED,
        issued_quantity__lt=F("quantity"),
    )
    return list(
        WorkOrder.objects.filter(status__in=OPEN_STATES, source=WorkOrder.Source.SYSTEM)
        .filter(Exists(waiting))
        .select_related("vehicle")
        .order_by("opened_at", "id")[:limit]
    )


# --- documents ---------------------------------------------------------------------------------


def slip_list(*, after=None, before=None, kind: str = "") -> KeysetPage:
    slips = IssueSlip.objects.select_related("work_order", "technician", "by")
    if kind:
        slips = slips.filter(kind=kind)
    return keyset_page(slips, order=DOCUMENT_ORDER, after=after, before=before)


def slip_detail(pk: int) -> IssueSlip:
    return (
        IssueSlip.objects.select_related("work_order__vehicle", "technician", "by", "signature")
        .prefetch_related("movements__part", "movements__work_order_line")
        .get(pk=pk)
    )


def receipt_list(*, after=None, before=None) -> KeysetPage:
    return keyset_page(
        GoodsReceipt.objects.select_related("by"), order=DOCUMENT_ORDER, after=after, before=before
    )


def receipt_detail(pk: int) -> GoodsReceipt:
    return (
        GoodsReceipt.objects.select_related("by")
        .prefetch_related("movements__part", "movements__work_order_line__work_order")
        .prefetch_related("fulfilled_requests__work_order")
        .get(pk=pk)
    )


REQUEST_ORDER = ("-requested_at", "-id")


def request_list(*, status: str = "", after=None, before=None) -> KeysetPage:
    requests = PurchaseRequest.objects.select_related("part", "work_order", "requested_by")
    if status:
        requests = requests.filter(status=status)
    return keyset_page(requests, order=REQUEST_ORDER, after=after, before=before)


def open_requests_of(part_ids) -> dict[int, list[PurchaseRequest]]:
    found: dict[int, list] = {}
    for request in PurchaseRequest.objects.filter(
        part_id__in=list(part_ids), status=PurchaseRequest.Status.OPEN
    ).order_by("requested_at", "id"):
        found.setdefault(request.part_id, []).append(request)
    return found


def advisor_arrivals(advisor, *, now: dt.datetime, limit: int = 10) -> list[PurchaseRequest]:
    """The arrival notices of the advisor's 工作台: those of the last `arrival_notice_days`."""
    days = current_settings(StockSettings).arrival_notice_days
    return arrivals_for_advisor(advisor, since=now - dt.timedelta(days=days), limit=limit)


def arrivals_for_advisor(advisor, *, since: dt.datetime, limit: int = 10) -> list[PurchaseRequest]:
    """到货通知: parts that arrived for the advisor's open orders since `since`, not yet
    read: 1 query (purchaserequest_arrived_idx)."""
    return list(
        PurchaseRequest.objects.filter(
            status=PurchaseRequest.Status.FULFILLED,
            fulfilled_at__gte=since,
            advisor_seen_at__isnull=True,
            work_order__isnull=False,
            work_order__advisor=advisor,
            work_order__status__in=OPEN_STATES,
        )
        .select_related("part", "work_order__vehicle")
        .order_by("-fulfilled_at", "-id")[:limit]
    )


def unconfirmed_slips(technician, *, limit: int = 10) -> list[IssueSlip]:
    """The technician's issue slips waiting for their confirmation (issueslip_unconfirmed_idx)."""
    return list(
        IssueSlip.objects.filter(technician=technician, confirmed_at__isnull=True)
        .select_related("work_order")
        .order_by("-at", "-id")[:limit]
    )


COUNT_ORDER = ("-created_at", "-id")


def count_list(*, after=None, before=None) -> KeysetPage:
    return keyset_page(
        StockCount.objects.select_related("created_by", "approved_by"),
        order=COUNT_ORDER,
        after=after,
        before=before,
    )


def count_detail(pk: int) -> tuple[StockCount, list[StockCountLine]]:
    count = StockCount.objects.select_related("created_by", "approved_by").get(pk=pk)
    lines = list(
        StockCountLine.objects.filter(count=count)
        .select_related("part", "part__stock", "counted_by")
        .order_by("bin", "part__number")
    )
    return count, lines


# --- the cache's check (manage.py check_stock) -------------------------------------------------


def stock_off_movements() -> list[dict]:
    """Stock rows whose cached quantities or value differ from the sums of their
    movements, and parts with movements but no stock row."""
    sums = {
        name: Coalesce(
            Subquery(
                StockMovement.objects.filter(part_id=OuterRef("part_id"))
                .values("part_id")
                .annotate(total=Sum(name))
                .values("total")
            ),
            Value(ZERO),
            output_field=DecimalField(),
        )
        for name in ("quantity", "reserved_change", "value")
    }
    off = (
        Stock.objects.annotate(
            moved_on_hand=sums["quantity"],
            moved_reserved=sums["reserved_change"],
            moved_value=sums["value"],
        )
        .exclude(on_hand=F("moved_on_hand"), reserved=F("moved_reserved"), value=F("moved_value"))
        .select_related("part")
        .order_by("part__number")
    )
    found = [
        {
            "part": stock.part.number,
            "cached": (stock.on_hand, stock.reserved, stock.value),
            "moved": (stock.moved_on_hand, stock.moved_reserved, stock.moved_value),
        }
        for stock in off
    ]
    orphans = Part.objects.filter(
        Exists(StockMovement.objects.filter(part_id=OuterRef("pk"))), stock__isnull=True
    ).order_by("number")
    found += [{"part": part.number, "cached": None, "moved": "…"} for part in orphans]
    return found


def issued_off_movements() -> list[dict]:
    """Work-order lines whose issued quantity differs from their issues less returns."""
    moved = Coalesce(
        Subquery(
            StockMovement.objects.filter(
                work_order_line=OuterRef("pk"),
                kind__in=(StockMovement.Kind.ISSUE, StockMovement.Kind.RETURN),
            )
            .values("work_order_line")
            .annotate(total=-Sum("quantity"))
            .values("total")
        ),
        Value(ZERO),
        output_field=DecimalField(),
    )
    with_movements = StockMovement.objects.filter(work_order_line__isnull=False).values(
        "work_order_line"
    )
    lines = (
        WorkOrderLine.objects.filter(Q(pk__in=with_movements) | ~Q(issued_quantity=0))
        .annotate(moved=moved)
        .exclude(issued_quantity=F("moved"))
        .select_related("work_order")
        .order_by("id")
    )
    return [
        {
            "work_order": line.work_order.number,
            "line": line.pk,
            "cached": line.issued_quantity,
            "moved": line.moved,
        }
        for line in lines
    ]


# --- pre-picking (预先捡料) ---------------------------------------------------------------------


@dataclass
class BinGroup:
    bin: str
    lines: list[PickLine]


@dataclass
class PickPage:
    pick_list: PickList | None
    groups: list[BinGroup]
    lines: list[PickLine]
    arrived: list[Appointment]  # arrived cars whose pre-picked parts still wait for transfer

    @property
    def to_pick(self) -> int:
        """Lines reserved in full and not picked yet."""
        return sum(1 for line in self.lines if line.status == PickLine.Status.RESERVED)


def pick_page(day: dt.date) -> PickPage:
    """The pick list of `day` by bin, then part number, then appointment time (the order
    the clerk walks the store). Two queries, whatever the number of lines."""
    pick_list = PickList.objects.filter(date=day).first()
    if pick_list is None:
        return PickPage(None, [], [], [])
    lines = list(
        PickLine.objects.filter(pick_list=pick_list)
        .select_related("part__stock", "appointment__vehicle", "appointment__work_order")
        .annotate(bin=Coalesce("part__stock__bin", Value("")))
        .order_by("bin", "part__number", "appointment__starts_at", "id")
    )
    groups: list[BinGroup] = []
    for line in lines:
        if not groups or groups[-1].bin != line.bin:
            groups.append(BinGroup(line.bin, []))
        groups[-1].lines.append(line)
    arrived = {}
    for line in lines:
        appointment = line.appointment
        if (
            appointment.status == Appointment.Status.ARRIVED
            and appointment.work_order_id
            and line.status in (PickLine.Status.RESERVED, PickLine.Status.PICKED)
        ):
            arrived.setdefault(appointment.pk, appointment)
    return PickPage(pick_list, groups, lines, list(arrived.values()))


@dataclass
class PrepickShare:
    start: dt.date
    end: dt.date
    parts: int  # appointment parts of the cars that arrived
    picked: int  # of which picked before the car arrived

    @property
    def percent(self) -> Decimal | None:
        if not self.parts:
            return None
        return (Decimal(100) * self.picked / self.parts).quantize(Decimal("0.1"))


def prepick_share(*, end: dt.date, weeks: int = 4) -> list[PrepickShare]:
    """预先捡料率 by week, the week ending `end` last: of the parts of the appointments
    whose car arrived that week (the appointment's day), how many were picked before the
    car arrived (the goal is all). One query."""
    start = end - dt.timedelta(days=7 * weeks - 1)
    rows = (
        AppointmentPart.objects.filter(
            appointment__status=Appointment.Status.ARRIVED,
            appointment__date__range=(start, end),
        )
        .values("appointment__date")
        .annotate(
            parts=Count("id"),
            picked=Count(
                "id",
                filter=Q(pick_line__picked_at__lt=F("appointment__arrived_at")),
            ),
        )
    )
    weeks_ = [
        PrepickShare(start + dt.timedelta(days=7 * n), start + dt.timedelta(days=7 * n + 6), 0, 0)
        for n in range(weeks)
    ]
    for row in rows:
        week = weeks_[(row["appointment__date"] - start).days // 7]
        week.parts += row["parts"]
        week.picked += row["picked"]
    return weeks_
