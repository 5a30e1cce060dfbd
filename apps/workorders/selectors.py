"""Reads of work orders (the service file); each owns its joins.

Other apps read visits through here: the customer card and the vehicle page prefetch
them with `visits_prefetch`, the 工作台 lists `recent_visits`.
"""

from django.db.models import Prefetch

from .models import WorkOrder, WorkOrderLine


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
