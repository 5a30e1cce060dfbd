"""Reads of work orders that other apps share.

A paid visit (DOMAIN.md §8) is defined here once, for segments, the visit continuity on
the customer card and churn.
"""

from django.db.models import Exists, OuterRef, Q, QuerySet

from .models import Payer, WorkOrder, WorkOrderLine


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
