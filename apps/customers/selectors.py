"""Reads of the customer archive; each owns its joins so pages run a fixed number of queries."""

import datetime as dt

from django.db.models import Count, F, Max, OuterRef, Prefetch, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from apps.core.calendar import day_start
from apps.core.pagination import KeysetPage, keyset_page
from apps.workorders import selectors as workorder_selectors
from apps.workorders.models import WorkOrder
from apps.workorders.selectors import is_paid_visit, paid_visits

from .models import (
    Customer,
    CustomerMerge,
    ImportBatch,
    LicenceScan,
    PiiReveal,
    SalesDocument,
    SalesFile,
    Vehicle,
    VehicleOwnership,
)


def customers_with_mobile(mobile: str, *, name: str = "", limit: int = 5) -> list[Customer]:
    """The customers whose mobile is `mobile` (normalized), narrowed to `name` when given: a
    family shares a phone (customer_mobile_name_unique, mobile first). One query."""
    rows = Customer.objects.filter(mobile=mobile)
    if name:
        rows = rows.filter(name=name)
    return list(rows.order_by("id")[:limit])


def archive_stats() -> dict:
    month_start = day_start(timezone.localdate().replace(day=1))
    return {
        "customers": Customer.objects.count(),
        "vehicles": Vehicle.objects.count(),
        "vehicles_this_month": Vehicle.objects.filter(created_at__gte=month_start).count(),
    }


# The order of each list (keyset pages need a total order: the id breaks ties). Each has
# an index on the same columns (models.py).
CUSTOMER_LIST_ORDER = ("-created_at", "-id")  # 建档 newest first
VEHICLE_LIST_ORDER = ("-created_at", "-id")  # 登记 newest first
SALES_FILE_ORDER = {
    "late": ("documents_due_on", "id"),  # most overdue first
    "open": ("documents_due_on", "id"),  # due soonest first
    "late_completed": ("-delivered_on", "-id"),  # latest delivery first
    "all": ("-delivered_on", "-id"),
}
# The work lists show how many files they hold; the archive states grow with the years
# and are not counted on every page view.
SALES_FILE_STATES_COUNTED = ("late", "open")


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


def customer_list(*, base: QuerySet[Customer], after: str | None, before: str | None) -> KeysetPage:
    """One page of customers (the filtered `base`), newest record first, with their
    plates: 2 queries."""
    customers = base.prefetch_related(vehicles_preview())
    return keyset_page(customers, order=CUSTOMER_LIST_ORDER, after=after, before=before)


def vehicle_list(*, base: QuerySet[Vehicle], after: str | None, before: str | None) -> KeysetPage:
    """One page of vehicles (the filtered `base`), newest record first, with owners."""
    return keyset_page(
        base.select_related("owner"), order=VEHICLE_LIST_ORDER, after=after, before=before
    )


def customer_card(*, customer_id: int) -> Customer:
    """The customer info card (客户售后信息卡): the customer, every vehicle they own or
    owned (current ones first, then the latest sold), each vehicle's sales file and every
    visit with its lines, in 4 queries: customer, ownerships, visits, lines."""
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
            workorder_selectors.visits_prefetch(related=("advisor", "vehicle")),
        )
    ).get(pk=customer_id)


def visit_summary(work_orders: list[WorkOrder]) -> dict:
    """Totals and continuity for the card, from the already-loaded visits (no query)."""
    paid = [wo for wo in work_orders if is_paid_visit(wo)]
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
    """The vehicle page: owner, sales file and its documents, owner history, and every
    visit with its lines, in 5 queries."""
    return (
        Vehicle.objects.select_related("owner", "sales_file", "vin_exception_by")
        .prefetch_related(
            Prefetch(
                "ownerships",
                queryset=VehicleOwnership.objects.select_related("customer").order_by(
                    "-started_on", "-id"
                ),
            ),
            workorder_selectors.visits_prefetch(related=("customer", "advisor")),
            "sales_file__documents",
            Prefetch(
                "licence_scans",
                queryset=LicenceScan.objects.select_related("uploaded_by").order_by("-id"),
            ),
        )
        .get(pk=vehicle_id)
    )


def sales_files(*, state: str, on: dt.date) -> QuerySet[SalesFile]:
    """Sales files by document state on day `on`: 'late' (due passed, incomplete),
    'open' (incomplete), 'late_completed' (completed after the due day), 'all'."""
    files = SalesFile.objects.all()
    if state == "late":
        files = files.filter(documents_completed_on__isnull=True, documents_due_on__lt=on)
    elif state == "open":
        files = files.filter(documents_completed_on__isnull=True)
    elif state == "late_completed":
        files = files.filter(documents_completed_on__gt=F("documents_due_on"))
    return files


def _with_vehicle_and_documents(files: QuerySet[SalesFile]) -> QuerySet[SalesFile]:
    # The count of received documents as a subquery per row (not a join with GROUP BY),
    # so that the page itself stays a plain scan of the index on its order.
    received = (
        SalesDocument.objects.filter(sales_file=OuterRef("pk"))
        .order_by()
        .values("sales_file")
        .annotate(count=Count("id"))
        .values("count")
    )
    return files.select_related("vehicle", "vehicle__owner").annotate(
        received_count=Coalesce(Subquery(received), 0)
    )


def sales_file_page(
    *, state: str, on: dt.date, after: str | None, before: str | None
) -> KeysetPage:
    """One page of the sales files in `state`, in that state's order (SALES_FILE_ORDER),
    with vehicles, owners and the number of documents received: 1 query."""
    return keyset_page(
        _with_vehicle_and_documents(sales_files(state=state, on=on)),
        order=SALES_FILE_ORDER[state],
        after=after,
        before=before,
    )


def sales_files_count(*, state: str, on: dt.date) -> int:
    return sales_files(state=state, on=on).count()


def sales_files_late(*, limit: int) -> list[SalesFile]:
    """The most overdue files, for the 工作台."""
    files = sales_files(state="late", on=timezone.localdate())
    return list(_with_vehicle_and_documents(files).order_by(*SALES_FILE_ORDER["late"])[:limit])


def import_batches(*, limit: int) -> list[ImportBatch]:
    return list(ImportBatch.objects.select_related("created_by")[:limit])


def spend_and_visits(*, since: dt.date) -> QuerySet:
    """Per customer since `since` (for segments): the paid visits (DOMAIN.md §8, warranty
    and insurance visits included), what the customer paid on them, and the last one."""
    return (
        paid_visits()
        .filter(opened_at__gte=day_start(since))
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


MERGE_CANDIDATES = 20  # more look-alikes than a manager can compare on one page


def merge_candidates(*, customer: Customer) -> QuerySet[Customer]:
    """Customers who may be the same person: same mobile, same name, or same ID number
    (the keys customers_merge accepts), with their vehicles, most recent first."""
    same = Q(mobile=customer.mobile) | Q(name=customer.name)
    if customer.id_number:
        same |= Q(id_number=customer.id_number)
    ids = list(
        Customer.objects.filter(same)
        .exclude(pk=customer.pk)
        .values_list("pk", flat=True)[:MERGE_CANDIDATES]
    )
    return (
        Customer.objects.filter(pk__in=ids)
        .prefetch_related(Prefetch("vehicles", queryset=Vehicle.objects.order_by("id")))
        .annotate(visit_count=Count("work_orders", distinct=True))
        .order_by("-id")
    )


def customer_merges(*, customer: Customer) -> list[CustomerMerge]:
    return list(CustomerMerge.objects.filter(kept=customer).select_related("merged_by"))


def plate_changes(*, vehicle: Vehicle) -> list[dict]:
    """The vehicle's plate over time, from its history: when, who, from, to, why."""
    records = list(
        vehicle.history.select_related("history_user").order_by("history_date", "history_id")
    )
    changes = []
    for older, newer in zip(records, records[1:], strict=False):
        if older.plate != newer.plate:
            changes.append(
                {
                    "at": newer.history_date,
                    "by": newer.history_user,
                    "old": older.plate,
                    "new": newer.plate,
                    "reason": newer.history_change_reason or "",
                }
            )
    return list(reversed(changes))


def pii_reveals(*, base: QuerySet[PiiReveal], after: str | None, before: str | None) -> KeysetPage:
    """One page of the reveal log (the filtered `base`), newest first, with whose and who."""
    return keyset_page(
        base.select_related("customer", "revealed_by"), order=("-id",), after=after, before=before
    )


# --- licence photos (行驶证) -------------------------------------------------------------------


def licence_scan(*, scan_id: int) -> LicenceScan:
    """A licence photo with who took it and the car it was confirmed for (raises
    LicenceScan.DoesNotExist)."""
    return LicenceScan.objects.select_related("uploaded_by", "vehicle").get(pk=scan_id)


def vehicle_for_licence(*, vin: str, plate: str) -> tuple[Vehicle | None, str]:
    """The archive's car for a confirmed licence: by its VIN, else by its plate; with how
    it was found ("vin", "plate" or ""). One query (the unique VIN and plate indexes)."""
    condition = Q(vin=vin) if vin else Q(pk__in=[])
    if plate:
        condition |= Q(plate=plate)
    found = list(Vehicle.objects.filter(condition).select_related("owner")[:2])
    for vehicle in found:
        if vin and vehicle.vin == vin:
            return vehicle, "vin"
    return (found[0], "plate") if found else (None, "")


def vehicles_for_reading(*, vins: list[str], plate: str) -> list[Vehicle]:
    """Cars of the archive that a reading names: by the VIN read (or one of the VIN's
    candidates) or by the plate; each with `matched_by` ("vin" or "plate"), VIN matches
    first. One query."""
    vins = [vin for vin in dict.fromkeys(vins) if vin]
    if not vins and not plate:
        return []
    condition = Q(vin__in=vins) if vins else Q(pk__in=[])
    if plate:
        condition |= Q(plate=plate)
    found = list(Vehicle.objects.filter(condition).select_related("owner").order_by("id")[:10])
    for vehicle in found:
        vehicle.matched_by = "vin" if vehicle.vin in vins else "plate"
    return sorted(found, key=lambda vehicle: vehicle.matched_by != "vin")
