"""Reads of work orders (the service file); each owns its joins.

Other apps read visits through here: the customer card and the vehicle page prefetch
them with `visits_prefetch`, the 工作台 lists `recent_visits`. A paid visit (DOMAIN.md
§8) is defined here once, for segments, the visit continuity on the card and churn.
"""

import datetime as dt

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet

from apps.core.settings import current_settings

from .models import (
    DelayNotice,
    Payer,
    Recommendation,
    ServiceSettings,
    WorkOrder,
    WorkOrderLine,
)


def visits_prefetch(*, related: tuple[str, ...]) -> Prefetch:
    """Every visit of the customers or vehicles being loaded (their `work_orders`), latest
    first, with `related` joined and their lines: 2 queries however many visits."""
    lines = WorkOrderLine.objects.order_by("id")
    visits = (
        WorkOrder.objects.select_related(*related)
        .prefetch_related(Prefetch("lines", queryset=lines))
        .order_by("-opened_at", "-id")
    )
    return Prefetch("work_orders", queryset=visits)


def recent_visits(*, limit: int) -> list[WorkOrder]:
    """The latest visits of the whole dealership, with vehicle and customer."""
    return list(
        WorkOrder.objects.select_related("vehicle", "customer").order_by("-opened_at", "-id")[
            :limit
        ]
    )


def paid_visits() -> QuerySet[WorkOrder]:
    """Visits that count as paid visits (DOMAIN.md §8): every visit except cancelled ones
    and free-campaign-only ones. Warranty, insurance and internal visits count: the car
    came in for work someone paid for. A visit whose every line the campaign pays is
    free-campaign-only; a visit with no lines yet is judged by its kind.

    `is_paid_visit()` is the same rule on a visit already loaded with its lines.
    """
    lines = WorkOrderLine.objects.filter(work_order=OuterRef("pk"))
    not_campaign = lines.exclude(payer=Payer.CAMPAIGN)
    return WorkOrder.objects.exclude(status=WorkOrder.Status.CANCELLED).filter(
        Exists(not_campaign) | (~Exists(lines) & ~Q(kind=WorkOrder.Kind.CAMPAIGN))
    )


def is_paid_visit(work_order: WorkOrder) -> bool:
    """paid_visits() for one visit whose lines are prefetched (no query)."""
    if work_order.status == WorkOrder.Status.CANCELLED:
        return False
    lines = work_order.lines.all()
    if not lines:
        return work_order.kind != WorkOrder.Kind.CAMPAIGN
    return any(line.payer != Payer.CAMPAIGN for line in lines)


def open_recommendations(vehicle) -> list[Recommendation]:
    """The vehicle's open recommendations (lines declined at earlier visits), newest first,
    with the order each came from: shown at reception and addable with one tap."""
    return list(
        Recommendation.objects.filter(vehicle=vehicle, status=Recommendation.Status.OPEN)
        .select_related("source_work_order")
        .order_by("-created_at", "-id")
    )


# Orders still in the workshop: a car that is ready (or gone) can no longer miss its promise.
AT_RISK_STATES = (
    WorkOrder.Status.DRAFT,
    WorkOrder.Status.APPROVED,
    WorkOrder.Status.DISPATCHED,
    WorkOrder.Status.IN_PROGRESS,
    WorkOrder.Status.SELF_CHECKED,
    WorkOrder.Status.TEAM_CHECKED,
    WorkOrder.Status.QC_PASSED,
    WorkOrder.Status.WASHED,
)


def work_orders_at_risk(*, advisor=None, now: dt.datetime) -> list[WorkOrder]:
    """Open orders whose promised time is within the settings' warning minutes or has
    passed (a delay notice moves the promise, so a told customer drops off until the new
    time nears), soonest first; `is_overdue` is set on each. One query."""
    warning = dt.timedelta(minutes=current_settings(ServiceSettings).delay_warning_minutes)
    orders = (
        WorkOrder.objects.filter(
            source=WorkOrder.Source.SYSTEM,
            status__in=AT_RISK_STATES,
            promised_at__lte=now + warning,
        )
        .select_related("vehicle", "customer", "advisor")
        .order_by("promised_at", "id")
    )
    if advisor is not None:
        orders = orders.filter(advisor=advisor)
    found = list(orders)
    for order in found:
        order.is_overdue = order.promised_at < now
    return found


def delay_notice_was_late(notice: DelayNotice) -> bool:
    """The customer was told only after the promised time had passed."""
    return notice.told_at > notice.old_promised_at


def work_orders_with_stored_totals_off(*, chunk_size: int = 2000):
    """(order, {field: (stored, computed)}) of every order whose stored amounts differ from
    work_order_totals of its lines; orders are read in chunks with their lines."""
    from .services import stored_totals, work_order_totals  # the one totals function

    orders = WorkOrder.objects.prefetch_related(
        Prefetch("lines", queryset=WorkOrderLine.objects.order_by("id"))
    ).order_by("id")
    for order in orders.iterator(chunk_size=chunk_size):
        computed = stored_totals(work_order_totals(order.lines.all()))
        differences = {
            name: (getattr(order, name), value)
            for name, value in computed.items()
            if getattr(order, name) != value
        }
        if differences:
            yield order, differences
