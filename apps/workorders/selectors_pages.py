"""Reads of the work-order pages (the document page, the list, the advisor's home).

Each selector owns its joins, so that a page runs the same number of queries however many
lines, changes or payments an order has (the tests count them).
"""

import datetime as dt
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Reverse
from django.utils import timezone

from apps.core.calendar import day_start
from apps.core.pagination import KeysetPage, keyset_page
from apps.customers.search import ByteOrder, normalize_query

from .models import (
    Approval,
    DelayNotice,
    Payment,
    Receivable,
    StatusChange,
    WorkOrder,
    WorkOrderDocument,
    WorkOrderLine,
)
from .selectors import work_orders_at_risk

LIST_ORDER = ("-opened_at", "-id")  # served by workorder_status_opened_idx / _advisor_
S = WorkOrder.Status
# Orders still in the shop: the advisor's home and the promise watch look at these.
OPEN_STATES = tuple(s for s in S.values if s not in (S.DELIVERED, S.SETTLED, S.CANCELLED))


# The people a page names, by foreign key: loaded in one query by _attach_people rather
# than joined (nine joined tables cost PostgreSQL ~7 ms of planning on every page view).
ORDER_PEOPLE = ("advisor", "internal_checked_by", "delivered_by", "settled_by")
LINE_PEOPLE = ("done_by", "qc_passed_by", "discount_approved_by")


def _attach_people(rows_with_fields) -> None:
    """Set the user foreign keys `fields` of each row from one query of every user named."""
    ids = {
        getattr(row, f"{field}_id")
        for rows, fields in rows_with_fields
        for row in rows
        for field in fields
    } - {None}
    users = get_user_model().objects.in_bulk(ids) if ids else {}
    for rows, fields in rows_with_fields:
        for row in rows:
            for field in fields:
                setattr(row, field, users.get(getattr(row, f"{field}_id")))


def work_order_page(*, pk: int) -> WorkOrder:
    """One order with everything its page shows, in a fixed number of queries: the order
    with its vehicle, customer and inspection sheet (1), lines (1), status changes (1),
    approvals with their signature (1), documents (1), delay notices (1), payments (1),
    receivables (1), and the people the order and its lines name (1). Raises
    WorkOrder.DoesNotExist."""
    changes = StatusChange.objects.select_related("by").order_by("at", "id")
    approvals = Approval.objects.select_related("taken_by", "signature").order_by(
        "approved_at", "id"
    )
    order = (
        WorkOrder.objects.select_related("vehicle", "customer", "inspection")
        .prefetch_related(
            Prefetch("lines", queryset=WorkOrderLine.objects.order_by("id")),
            Prefetch("status_changes", queryset=changes),
            Prefetch("approvals", queryset=approvals),
            # Ordered on their own columns: the models' default ordering starts with
            # "work_order", which joins the order back in to sort by its own ordering.
            Prefetch("documents", queryset=WorkOrderDocument.objects.order_by("kind", "-version")),
            Prefetch(
                "delay_notices",
                queryset=DelayNotice.objects.select_related("told_by").order_by("told_at", "id"),
            ),
            Prefetch("payments", queryset=Payment.objects.order_by("received_at", "id")),
            Prefetch("receivables", queryset=Receivable.objects.order_by("id")),
        )
        .get(pk=pk)
    )
    _attach_people([([order], ORDER_PEOPLE), (order.lines.all(), LINE_PEOPLE)])
    return order


def number_condition(text: str) -> Q:
    """The list's number box: a prefix (WO2026…) from the prefix index, a tail of digits
    from the reversed-number index, anything else exactly (the search box's rules), typed
    as the search box takes it (spaces, dashes, full-width, lower case)."""
    q = normalize_query(text)
    if q[:1].isalpha():
        return Q(number_bytes__startswith=q)
    if q.isdigit():
        return Q(number_reversed__startswith=q[::-1])
    return Q(number=q)


def work_orders_for_list() -> QuerySet[WorkOrder]:
    """The base of the list and its filters (forms.WorkOrderFilter narrows it)."""
    return WorkOrder.objects.alias(
        number_bytes=ByteOrder("number"), number_reversed=Reverse("number")
    )


def having_line_of_payer(queryset: QuerySet[WorkOrder], payer: str) -> QuerySet[WorkOrder]:
    lines = WorkOrderLine.objects.filter(work_order=OuterRef("pk"), payer=payer)
    return queryset.filter(Exists(lines))


def work_order_list(*, base: QuerySet[WorkOrder], after=None, before=None) -> KeysetPage:
    """A page of orders, newest first, with vehicle, customer and advisor: 1 query."""
    return keyset_page(
        base.select_related("vehicle", "customer", "advisor"),
        order=LIST_ORDER,
        after=after,
        before=before,
    )


@dataclass(frozen=True)
class AdvisorDay:
    """The advisor's home: today's open orders by state, promises at risk, cars ready to
    hand over, and what was settled today."""

    by_state: list[tuple[str, list[WorkOrder]]]  # (state label, orders) in flow order
    at_risk: list[WorkOrder]
    ready: list[WorkOrder]
    settled_today: list[WorkOrder]

    @property
    def open_count(self) -> int:
        return sum(len(orders) for _label, orders in self.by_state)


# Each panel is bounded: an advisor handles a few dozen cars a day.
HOME_LIMIT = 50


def advisor_day(*, advisor, now: dt.datetime) -> AdvisorDay:
    """The advisor's day (advisor None: the whole desk): the open orders (opened today, or
    still in the shop from earlier days) by state, the promise watch's orders
    (work_orders_at_risk), and those settled today: 3 queries."""
    today = day_start(timezone.localdate(now))
    mine = WorkOrder.objects.select_related("vehicle", "customer")
    if advisor is not None:
        mine = mine.filter(advisor=advisor)
    # When the workshop handed the car over (待交车): the advisor's notice shows it.
    ready_at = (
        StatusChange.objects.filter(work_order=OuterRef("pk"), to_status=S.READY)
        .order_by("-at")
        .values("at")[:1]
    )
    open_orders = list(
        mine.filter(status__in=OPEN_STATES)
        .annotate(ready_at=Subquery(ready_at))
        .order_by("promised_at", "opened_at", "id")[:HOME_LIMIT]
    )
    settled = list(
        mine.filter(status=S.SETTLED, settled_at__gte=today).order_by("-settled_at", "-id")[
            :HOME_LIMIT
        ]
    )
    by_state = [
        (label, [order for order in open_orders if order.status == value])
        for value, label in S.choices
        if value in OPEN_STATES
    ]
    return AdvisorDay(
        by_state=[(label, orders) for label, orders in by_state if orders],
        at_risk=work_orders_at_risk(advisor=advisor, now=now),
        ready=[order for order in open_orders if order.status == S.READY],
        settled_today=settled,
    )
