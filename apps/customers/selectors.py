"""Reads of the customer archive; each owns its joins so pages run a fixed number of queries."""

import datetime as dt

from django.db.models import Count, F, Max, Prefetch, QuerySet, Sum
from django.utils import timezone

from apps.core.calendar import day_start
from apps.workorders.models import WorkOrder, WorkOrderLine

from .models import Customer, ImportBatch, PiiReveal, SalesFile, Vehicle, VehicleOwnership

PAGE_SIZE = 25  # rows per list page: one screen on a 10-inch tablet


def archive_stats() -> dict:
    month_start = day_start(timezone.localdate().replace(day=1))
    return {
        "customers": Customer.objects.count(),
        "vehicles": Vehicle.objects.count(),
        "vehicles_this_month": Vehicle.objects.filter(created_at__gte=month_start).count(),
    }


def recent_visits(*, limit: int) -> list[WorkOrder]:
    return list(
        WorkOrder.objects.select_related("vehicle", "customer").order_by("-opened_at")[:limit]
    )


def keyset_page(queryset: QuerySet, *, after: int | None, before: int | None, size=PAGE_SIZE):
    """One page of `queryset` ordered by -id, continuing after/before a row id.

    Keyset pagination reads `size` index entries whatever the page (OFFSET reads every row
    before the page: 1.2 s at row 950,000 against 0.1 ms, STYLE.md). Returns (rows,
    previous_cursor, next_cursor); a cursor is the id to continue from, or None at an end.
    """
    if before is not None:
        rows = list(queryset.filter(id__gt=before).order_by("id")[: size + 1])
        has_more_newer = len(rows) > size
        rows = list(reversed(rows[:size]))
        newer = rows[0].id if rows and has_more_newer else None
        older = rows[-1].id if rows else None
        return rows, newer, older
    if after is not None:
        queryset = queryset.filter(id__lt=after)
    rows = list(queryset.order_by("-id")[: size + 1])
    has_more_older = len(rows) > size
    rows = rows[:size]
    newer = rows[0].id if rows and after is not None else None
    older = rows[-1].id if rows and has_more_older else None
    return rows, newer, older


# Plates listed per customer in lists; the rest is "+N", so a fleet of 12 cars keeps its
# row one line high (a 10-inch tablet shows three plates beside the other columns).
PLATES_SHOWN = 3


def vehicles_preview() -> Prefetch:
    """Every vehicle of each listed customer, as the list `customer.vehicle_list` (the plates
    tag shows PLATES_SHOWN of them and "+N"), in one query with only what a plate link needs.

    All of them rather than a window of three: a window query costs more to build than the
    few vehicles a page of customers owns, and a list (unlike `.vehicles.all()`) costs no
    queryset per row."""
    vehicles = Vehicle.objects.only("id", "owner_id", "plate", "vin").order_by("id")
    return Prefetch("vehicles", queryset=vehicles, to_attr="vehicle_list")


def customer_list(*, base: QuerySet[Customer]) -> QuerySet[Customer]:
    return base.prefetch_related(vehicles_preview())


def vehicle_list(*, base: QuerySet[Vehicle]) -> QuerySet[Vehicle]:
    return base.select_related("owner")


def customer_card(*, customer_id: int) -> Customer:
    """The customer info card (客户售后信息卡): the customer, every vehicle they own or
    owned (current ones first, then the latest sold), each vehicle's sales file and every
    visit with its lines, in 4 queries: customer, ownerships, visits, lines."""
    lines = WorkOrderLine.objects.order_by("id")
    visits = WorkOrder.objects.select_related("advisor", "vehicle").prefetch_related(
        Prefetch("lines", queryset=lines)
    )
    return (
        Customer.objects.prefetch_related(
            Prefetch(
                "ownerships",
                # Current ownerships (ended_on NULL) first, said explicitly: ascending,
                # PostgreSQL puts NULLs last and SQLite first.
                queryset=VehicleOwnership.objects.select_related(
                    "vehicle", "vehicle__sales_file"
                ).order_by(F("ended_on").desc(nulls_first=True), "-started_on"),
            ),
            Prefetch("work_orders", queryset=visits.order_by("-opened_at")),
        )
    ).get(pk=customer_id)


def visit_summary(work_orders: list[WorkOrder]) -> dict:
    """Totals and continuity for the card, from the already-loaded visits (no query)."""
    paid = [wo for wo in work_orders if wo.customer_paid_amount > 0]
    gaps = [
        (newer.opened_at - older.opened_at).days
        for newer, older in zip(work_orders, work_orders[1:], strict=False)
    ]
    return {
        "count": len(work_orders),
        "total": sum((wo.total_amount for wo in work_orders), start=0),
        "paid_count": len(paid),
        "first_visit": work_orders[-1].opened_at if work_orders else None,
        "last_visit": work_orders[0].opened_at if work_orders else None,
        "last_paid_visit": paid[0].opened_at if paid else None,
        "longest_gap_days": max(gaps) if gaps else None,
    }


def vehicle_detail(*, vehicle_id: int) -> Vehicle:
    lines = WorkOrderLine.objects.order_by("id")
    return (
        Vehicle.objects.select_related("owner", "sales_file", "vin_exception_by")
        .prefetch_related(
            Prefetch(
                "ownerships",
                queryset=VehicleOwnership.objects.select_related("customer").order_by(
                    "-started_on", "-id"
                ),
            ),
            Prefetch(
                "work_orders",
                queryset=WorkOrder.objects.select_related("customer", "advisor")
                .prefetch_related(Prefetch("lines", queryset=lines))
                .order_by("-opened_at"),
            ),
            "sales_file__documents",
        )
        .get(pk=vehicle_id)
    )


def sales_files(*, state: str, on: dt.date) -> QuerySet[SalesFile]:
    """Sales files by document state: 'late' (due passed, incomplete), 'open', 'all'."""
    files = SalesFile.objects.select_related("vehicle", "vehicle__owner").annotate(
        received_count=Count("documents")
    )
    if state == "late":
        files = files.filter(documents_completed_on__isnull=True, documents_due_on__lt=on)
    elif state == "open":
        files = files.filter(documents_completed_on__isnull=True)
    elif state == "late_completed":
        files = files.filter(documents_completed_on__gt=F("documents_due_on"))
    return files.order_by("documents_due_on", "id")


def sales_files_late(*, limit: int) -> list[SalesFile]:
    return list(sales_files(state="late", on=timezone.localdate())[:limit])


def import_batches(*, limit: int) -> list[ImportBatch]:
    return list(ImportBatch.objects.select_related("created_by")[:limit])


def spend_and_visits(*, since: dt.date) -> QuerySet:
    """Per customer: paid spend and paid visits since `since` (for segments)."""
    return (
        WorkOrder.objects.filter(opened_at__gte=day_start(since), customer_paid_amount__gt=0)
        .exclude(status=WorkOrder.Status.CANCELLED)
        .values("customer_id")
        .annotate(spend=Sum("customer_paid_amount"), visits=Count("id"), last=Max("opened_at"))
    )


def vin_already_accepted(*, vehicle_id: int | None, vin: str) -> bool:
    """True when the stored vehicle has this very VIN, kept earlier with a bad check digit
    (so its stored flag, reason and approver stay as they are)."""
    return (
        vehicle_id is not None
        and Vehicle.objects.filter(pk=vehicle_id, vin=vin, vin_check_digit_valid=False).exists()
    )


def pii_reveals(*, base: QuerySet[PiiReveal]) -> QuerySet[PiiReveal]:
    """The reveal log (newest first through keyset_page), with whose and who."""
    return base.select_related("customer", "revealed_by")
