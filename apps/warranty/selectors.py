"""Reads of the warranty pages: the claim list and page, the deadlines, the paper
documents, the monthly statement, and the 三包 counts of vehicles.

Each selector owns its joins and runs a fixed number of queries whatever the data's size
(the tests count them): a vehicle's 三包 counts are two queries (its claims with their
work orders, its warranty work orders), for one vehicle or a page of them.
"""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from apps.core.calendar import day_start
from apps.core.pagination import PAGE_SIZE, KeysetPage, keyset_page
from apps.core.settings import current_settings
from apps.customers.models import Vehicle
from apps.workorders.models import LineStatus, Payer, WorkOrder, WorkOrderLine

from . import rights
from .models import (
    ClaimLine,
    ClaimStatusChange,
    DocumentBatch,
    MonthlyStatement,
    WarrantyClaim,
    WarrantySettings,
    WarrantyWatch,
)

S = WarrantyClaim.Status
W = WorkOrder.Status
LIST_ORDER = ("-created_at", "-id")  # claim_created_idx / claim_status_created_idx
WATCH_ORDER = ("-level", "vehicle")  # watch_level_idx
# Orders still in the workshop (their repair days run until now).
IN_WORKSHOP = tuple(s for s in W.values if s not in (W.DELIVERED, W.SETTLED, W.CANCELLED))
# A settled warranty order with no claim is listed for this long: a maker accepts no claim
# months after the repair, and the clerk's list stays short.
UNCLAIMED_LOOKBACK_DAYS = 90
# The months the invoice reminder looks back over (the maker's statements of a year).
INVOICE_LOOKBACK_MONTHS = 12
# Cars in the workshop for a warranty repair listed at most (the watch page and the home).
WORKSHOP_LIMIT = 30
# Claims the maker has approved: what it owes (approved) or paid.
APPROVED_STATES = (S.APPROVED, S.PAID)


def month_bounds(month: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """[start, end) of the local month that `month` falls in, as aware datetimes."""
    first = month.replace(day=1)
    following = (first + dt.timedelta(days=32)).replace(day=1)
    return day_start(first), day_start(following)


# --- the 三包 counts ------------------------------------------------------------------------


def warranty_statuses(vehicles, *, now: dt.datetime) -> dict[int, rights.WarrantyStatus]:
    """The 三包 counts of each vehicle (by id), in two queries for all of them: the claims
    with their work orders' dates, and the work orders with a warranty share (cancelled
    ones never count)."""
    vehicles = list(vehicles)
    if not vehicles:
        return {}
    ids = [vehicle.pk for vehicle in vehicles]
    rules = current_settings(WarrantySettings)
    claims = (
        WarrantyClaim.objects.filter(vehicle_id__in=ids)
        .exclude(work_order__status=W.CANCELLED)
        .values(
            "pk",
            "number",
            "vehicle_id",
            "work_order_id",
            "system",
            "main_part",
            "problem_key",
            "serious_fault",
            "replacement",
            "work_order__number",
            "work_order__opened_at",
            "work_order__delivered_at",
            "work_order__mileage",
            "work_order__status",
        )
        .order_by()
    )
    orders = (
        WorkOrder.objects.filter(vehicle_id__in=ids, warranty_amount__gt=0)
        .exclude(status=W.CANCELLED)
        .values("pk", "vehicle_id", "number", "opened_at", "delivered_at", "mileage", "status")
        .order_by()
    )
    repairs: dict[int, dict[int, rights.Repair]] = {pk: {} for pk in ids}
    facts: dict[int, list[rights.ClaimFacts]] = {pk: [] for pk in ids}
    for row in orders:
        repairs[row["vehicle_id"]][row["pk"]] = rights.Repair(
            work_order_id=row["pk"],
            number=row["number"],
            opened_at=row["opened_at"],
            delivered_at=row["delivered_at"],
            mileage=row["mileage"],
            in_workshop=row["status"] in IN_WORKSHOP,
        )
    for row in claims:
        repairs[row["vehicle_id"]].setdefault(
            row["work_order_id"],
            rights.Repair(
                work_order_id=row["work_order_id"],
                number=row["work_order__number"],
                opened_at=row["work_order__opened_at"],
                delivered_at=row["work_order__delivered_at"],
                mileage=row["work_order__mileage"],
                in_workshop=row["work_order__status"] in IN_WORKSHOP,
            ),
        )
        facts[row["vehicle_id"]].append(
            rights.ClaimFacts(
                claim_id=row["pk"],
                number=row["number"],
                work_order_id=row["work_order_id"],
                system=row["system"],
                main_part=row["main_part"],
                problem_key=row["problem_key"],
                serious_fault=row["serious_fault"],
                replacement=row["replacement"],
            )
        )
    return {
        vehicle.pk: rights.vehicle_status(
            vehicle=vehicle,
            repairs=list(repairs[vehicle.pk].values()),
            claims=facts[vehicle.pk],
            rules=rules,
            now=now,
        )
        for vehicle in vehicles
    }


def vehicle_warranty_status(vehicle: Vehicle, *, now: dt.datetime) -> rights.WarrantyStatus:
    """The 三包 counts of one vehicle (two queries)."""
    return warranty_statuses([vehicle], now=now)[vehicle.pk]


@dataclass(frozen=True)
class WatchRow:
    vehicle: Vehicle
    status: rights.WarrantyStatus


def _watch_rows(vehicles: list[Vehicle], now: dt.datetime) -> list[WatchRow]:
    statuses = warranty_statuses(vehicles, now=now)
    return [WatchRow(vehicle, statuses[vehicle.pk]) for vehicle in vehicles]


def watch_page(
    *, now: dt.datetime, after=None, before=None, size: int = PAGE_SIZE
) -> tuple[KeysetPage, list[WatchRow]]:
    """The vehicles whose last computed warning is one event short or reached, still in
    their return-or-replace period, most urgent first (keyset over the watch index), with
    their counts computed afresh: the page (1), its vehicles with owners (1), their claims
    and warranty orders (2)."""
    today = timezone.localdate(now)
    base = WarrantyWatch.objects.filter(level__gte=WarrantyWatch.Level.NEAR).filter(
        Q(return_ends_on__gte=today) | Q(return_ends_on__isnull=True)
    )
    page = keyset_page(base, order=WATCH_ORDER, after=after, before=before, size=size)
    vehicles = Vehicle.objects.select_related("owner").in_bulk(
        [row.vehicle_id for row in page.rows]
    )
    return page, _watch_rows([vehicles[row.vehicle_id] for row in page.rows], now)


def watch_count(*, now: dt.datetime) -> dict[str, int]:
    """How many vehicles are one event short and how many reached (one query)."""
    today = timezone.localdate(now)
    counts = (
        WarrantyWatch.objects.filter(level__gte=WarrantyWatch.Level.NEAR)
        .filter(Q(return_ends_on__gte=today) | Q(return_ends_on__isnull=True))
        .values("level")
        .annotate(n=Count("pk"))
        .order_by()
    )
    by_level = {row["level"]: row["n"] for row in counts}
    return {
        "near": by_level.get(WarrantyWatch.Level.NEAR, 0),
        "reached": by_level.get(WarrantyWatch.Level.REACHED, 0),
    }


def in_workshop_repairs(*, now: dt.datetime, limit: int) -> list[WatchRow]:
    """Vehicles in the workshop now for a warranty repair, longest first, with their
    counts (the courtesy car is owed past N days): the orders (1), their claims and
    warranty orders (2)."""
    orders = list(
        WorkOrder.objects.filter(status__in=IN_WORKSHOP, warranty_amount__gt=0)
        .select_related("vehicle", "vehicle__owner")
        .order_by("opened_at", "id")[:limit]
    )
    vehicles = list({order.vehicle_id: order.vehicle for order in orders}.values())
    return _watch_rows(vehicles, now)


# --- claims ----------------------------------------------------------------------------------


def claims_for_list() -> QuerySet[WarrantyClaim]:
    return WarrantyClaim.objects.select_related("vehicle", "work_order")


def claim_list(*, base: QuerySet[WarrantyClaim], after=None, before=None) -> KeysetPage:
    """One page of claims, newest first (the claim with its vehicle and work order: 1)."""
    return keyset_page(base, order=LIST_ORDER, after=after, before=before)


def claim_page(*, pk: int) -> WarrantyClaim:
    """A claim with everything its page shows: the claim with its work order, vehicle,
    customer and batch (1), its lines with the work-order lines (1), its status changes
    with who made them (1). Raises WarrantyClaim.DoesNotExist."""
    return (
        WarrantyClaim.objects.select_related(
            "work_order", "work_order__customer", "vehicle", "batch", "created_by"
        )
        .prefetch_related(
            Prefetch(
                "lines",
                queryset=ClaimLine.objects.select_related("line").order_by("id"),
            ),
            Prefetch(
                "status_changes",
                queryset=ClaimStatusChange.objects.select_related("by").order_by("at", "id"),
            ),
        )
        .get(pk=pk)
    )


def warranty_lines(work_order: WorkOrder, lines=None) -> list[WorkOrderLine]:
    """The order's lines paid by the maker that the customer did not decline."""
    lines = work_order.lines.all() if lines is None else lines
    return [
        line
        for line in lines
        if line.payer == Payer.WARRANTY and line.status != LineStatus.DECLINED
    ]


def work_order_claims(*, work_order: WorkOrder) -> list[WarrantyClaim]:
    """The order's claims with their lines (2 queries)."""
    return list(
        WarrantyClaim.objects.filter(work_order=work_order)
        .prefetch_related(Prefetch("lines", queryset=ClaimLine.objects.order_by("id")))
        .order_by("id")
    )


# --- deadlines ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Due:
    """A claim to submit (or a settled warranty order still without one) and its
    deadline."""

    work_order: WorkOrder
    claim: WarrantyClaim | None
    due_on: dt.date | None  # None: the order is not settled yet
    overdue: bool
    near: bool
    days_left: int | None  # negative: days past the deadline

    @property
    def overdue_days(self) -> int:
        return -self.days_left if self.overdue else 0


def settled_on(work_order: WorkOrder) -> dt.date | None:
    """The day the order was settled (history without a settlement time: delivered)."""
    moment = work_order.settled_at or (
        work_order.delivered_at if work_order.status == W.SETTLED else None
    )
    return timezone.localdate(moment) if moment else None


def claim_due_on(work_order: WorkOrder, rules: WarrantySettings) -> dt.date | None:
    """The last day to submit the order's claims: N days after settlement."""
    settled = settled_on(work_order)
    return settled + dt.timedelta(days=rules.warranty_claim_deadline_days) if settled else None


def _due(work_order: WorkOrder, claim, rules: WarrantySettings, today: dt.date) -> Due:
    due_on = claim_due_on(work_order, rules)
    overdue = due_on is not None and today > due_on
    near = (
        due_on is not None
        and not overdue
        and today >= due_on - dt.timedelta(days=rules.warranty_claim_warning_days)
    )
    days_left = None if due_on is None else (due_on - today).days
    return Due(work_order, claim, due_on, overdue, near, days_left)


def claims_due(*, now: dt.datetime, limit: int = 50) -> list[Due]:
    """What the warranty clerk must submit, the most urgent first: draft claims (1) and
    warranty orders settled in the last UNCLAIMED_LOOKBACK_DAYS without any claim (1),
    each with its deadline and near / overdue flags."""
    rules = current_settings(WarrantySettings)
    today = timezone.localdate(now)
    drafts = list(
        WarrantyClaim.objects.filter(status=S.DRAFT)
        .select_related("work_order", "work_order__vehicle")
        .order_by("created_at", "id")[:limit]
    )
    since = day_start(today - dt.timedelta(days=UNCLAIMED_LOOKBACK_DAYS))
    unclaimed = list(
        WorkOrder.objects.filter(settled_at__gte=since, warranty_amount__gt=0)
        .exclude(Exists(WarrantyClaim.objects.filter(work_order=OuterRef("pk"))))
        .select_related("vehicle")
        .order_by("settled_at", "id")[:limit]
    )
    rows = [_due(claim.work_order, claim, rules, today) for claim in drafts]
    rows += [_due(order, None, rules, today) for order in unclaimed]
    rows.sort(key=lambda row: (row.due_on is None, row.due_on or dt.date.max))
    return rows[:limit]


def claims_rejected(*, limit: int) -> list[WarrantyClaim]:
    """Claims the maker rejected, to correct and resubmit, the latest decision first (1)."""
    return list(
        WarrantyClaim.objects.filter(status=S.REJECTED)
        .select_related("vehicle", "work_order")
        .order_by("-decided_at", "-id")[:limit]
    )


# --- the monthly statement ---------------------------------------------------------------


def statement_claims(*, month: dt.date) -> QuerySet[WarrantyClaim]:
    """The claims the maker approved in `month` (approved or paid since), in number order,
    with their work orders and vehicles (1 query when iterated)."""
    start, end = month_bounds(month)
    return (
        WarrantyClaim.objects.filter(
            status__in=APPROVED_STATES, decided_at__gte=start, decided_at__lt=end
        )
        .select_related("work_order", "vehicle")
        .order_by("number")
    )


@dataclass(frozen=True)
class StatementTotals:
    month: dt.date
    claims: int
    claimed: Decimal
    approved: Decimal
    paid: Decimal
    statement: MonthlyStatement | None  # the invoice, once recorded

    @property
    def outstanding(self) -> Decimal:
        return self.approved - self.paid


def statement_totals(*, month: dt.date) -> StatementTotals:
    """The month's totals (1) and its invoice record (1)."""
    start, end = month_bounds(month)
    sums = WarrantyClaim.objects.filter(
        status__in=APPROVED_STATES, decided_at__gte=start, decided_at__lt=end
    ).aggregate(
        claims=Count("pk"),
        claimed=Sum("claimed_amount"),
        approved=Sum("approved_amount"),
        paid=Sum("paid_amount"),
    )
    zero = Decimal("0.00")
    return StatementTotals(
        month=month.replace(day=1),
        claims=sums["claims"],
        claimed=sums["claimed"] or zero,
        approved=sums["approved"] or zero,
        paid=sums["paid"] or zero,
        statement=MonthlyStatement.objects.filter(month=month.replace(day=1)).first(),
    )


@dataclass(frozen=True)
class InvoiceDue:
    month: dt.date
    claims: int
    approved: Decimal


def invoices_due(*, today: dt.date) -> list[InvoiceDue]:
    """Past months (of the last INVOICE_LOOKBACK_MONTHS) with claims the maker approved and
    no invoice recorded: the reminder to issue it. The months' sums (1, on the decided_at
    index) and the invoices recorded (1)."""
    this_month = today.replace(day=1)
    first = this_month
    for _ in range(INVOICE_LOOKBACK_MONTHS):
        first = (first - dt.timedelta(days=1)).replace(day=1)
    months = (
        WarrantyClaim.objects.filter(
            status__in=APPROVED_STATES,
            decided_at__gte=day_start(first),
            decided_at__lt=day_start(this_month),
        )
        .annotate(month=TruncMonth("decided_at"))
        .values("month")
        .annotate(claims=Count("pk"), approved=Sum("approved_amount"))
        .order_by("month")
    )
    invoiced = set(
        MonthlyStatement.objects.filter(month__gte=first).values_list("month", flat=True)
    )
    due = [
        InvoiceDue(timezone.localdate(row["month"]), row["claims"], row["approved"])
        for row in months
    ]
    return [row for row in due if row.month not in invoiced]


# --- the paper documents -------------------------------------------------------------------


@dataclass(frozen=True)
class DocumentsMonth:
    month: dt.date
    unsigned: list[WarrantyClaim]  # submitted, the paper not signed yet
    signed: list[WarrantyClaim]  # signed, in no batch yet
    batches: list[DocumentBatch]


def documents_month(*, month: dt.date) -> DocumentsMonth:
    """The paper documents of the claims first submitted in `month`: not yet signed (1),
    signed and waiting for a batch (1), and the month's batches with their claims (2)."""
    start, end = month_bounds(month)
    submitted = (
        WarrantyClaim.objects.filter(submitted_at__gte=start, submitted_at__lt=end)
        .select_related("vehicle")
        .order_by("number")
    )
    return DocumentsMonth(
        month=month.replace(day=1),
        unsigned=list(submitted.filter(documents_signed_at__isnull=True)),
        signed=list(submitted.filter(documents_signed_at__isnull=False, batch__isnull=True)),
        batches=list(
            DocumentBatch.objects.filter(month=month.replace(day=1))
            .select_related("created_by", "sent_by")
            .prefetch_related(Prefetch("claims", queryset=WarrantyClaim.objects.order_by("number")))
            .order_by("id")
        ),
    )


# --- the home pages ----------------------------------------------------------------------

HOME_ROWS = 5  # rows of each warranty panel on the 工作台 (the pages list them all)


@dataclass(frozen=True)
class WarrantyHome:
    due: list[Due] | None  # the clerk's: claims to submit, with their deadlines
    rejected: list[WarrantyClaim] | None
    invoices: list[InvoiceDue] | None
    watch: list[WatchRow] | None  # the clerk's and the service manager's: 三包 warnings
    watch_counts: dict[str, int] | None
    in_workshop: list[WatchRow] | None

    @property
    def overdue_count(self) -> int:
        return sum(1 for row in self.due or () if row.overdue)

    @property
    def near_count(self) -> int:
        return sum(1 for row in self.due or () if row.near)


def warranty_home(*, user, now: dt.datetime) -> WarrantyHome | None:
    """The warranty panels of the 工作台 for `user`: the clerk's deadlines, rejected
    claims and invoice reminders (users who submit claims: 5 queries), the 三包 warnings
    (users who see the watch list: 8 queries); None for everyone else."""
    clerk = user.has_perm("warranty.submit_warrantyclaim")
    watcher = user.has_perm("warranty.view_warranty_watch")
    if not (clerk or watcher):
        return None
    watch = counts = workshop = None
    if watcher:
        _page, watch = watch_page(now=now, size=HOME_ROWS)
        counts = watch_count(now=now)
        workshop = in_workshop_repairs(now=now, limit=HOME_ROWS)
    return WarrantyHome(
        due=claims_due(now=now) if clerk else None,
        rejected=claims_rejected(limit=HOME_ROWS) if clerk else None,
        invoices=invoices_due(today=timezone.localdate(now)) if clerk else None,
        watch=watch,
        watch_counts=counts,
        in_workshop=workshop,
    )
