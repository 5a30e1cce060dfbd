"""Reads of work orders (the service file); each owns its joins.

Other apps read visits through here: the customer card and the vehicle page prefetch
them with `visits_prefetch`, the 工作台 lists `recent_visits`. A paid visit (DOMAIN.md
§8) is defined here once, for segments, the visit continuity on the card and churn.
"""

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet

from .models import Payer, WorkOrder, WorkOrderLine


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
